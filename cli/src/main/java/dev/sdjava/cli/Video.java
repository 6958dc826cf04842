package dev.sdjava.cli;

import dev.sdjava.GeneratedVideo;
import dev.sdjava.ModelConfig;
import dev.sdjava.SamplingMethod;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;
import dev.sdjava.StableDiffusionException;
import dev.sdjava.VideoRequest;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code sdj video} (alias {@code vid_gen}): text-to-video and image-to-video with a video model (Wan 2.1/2.2), as
 * upstream's {@code sd-cli -M vid_gen}, with its option names and its output files: several frames become one
 * Motion-JPEG AVI ({@code output.png} gives {@code output.avi}), a {@code %d} in {@code -o} numbers one image per
 * frame instead, and a single frame is an image.
 */
@Command(name = "video", aliases = "vid_gen", abbreviateSynopsis = true,
        description = {"Generate a video with a video model (Wan 2.1/2.2): text-to-video, image-to-video (-i), "
                + "first-last-frame (-i, --end-img), Wan 2.2 A14B (--high-noise-diffusion-model).",
                "Option names, defaults and output files are those of upstream's sd-cli -M vid_gen: frames go to one "
                        + "MJPEG .avi (-o output.png writes output.avi), or one image per frame with %d in -o "
                        + "(-o frames/%03d.png)."})
final class Video extends Subcommand {
    @ArgGroup(validate = false, heading = "%nModels:%n") GenerateOptions.Models models = new GenerateOptions.Models();
    @ArgGroup(validate = false, heading = "%nPrompt, size and seed:%n") GenerateOptions.Prompt prompt = new GenerateOptions.Prompt();
    @ArgGroup(validate = false, heading = "%nVideo:%n") VideoOptions video = new VideoOptions();
    @ArgGroup(validate = false, heading = "%nSampling:%n") GenerateOptions.Sampling sampling = new GenerateOptions.Sampling();
    @ArgGroup(validate = false, heading = "%nStep cache:%n") GenerateOptions.Cache cache = new GenerateOptions.Cache();
    @ArgGroup(validate = false, heading = "%nPerformance and memory:%n") GenerateOptions.Performance performance = new GenerateOptions.Performance();
    @ArgGroup(validate = false, heading = "%nOutput:%n") GenerateOptions.Output output = new GenerateOptions.Output();

    /** The options only videos have, named as sd-cli names them. */
    static final class VideoOptions {
        @Option(names = "--video-frames", paramLabel = "N", defaultValue = "1",
                description = "Frames, 4n+1: 1, 5, 9, ... 81 (default: ${DEFAULT-VALUE}, as sd-cli).") int frames;
        @Option(names = "--fps", paramLabel = "N", defaultValue = "16", description = "Frames per second of the .avi (default: ${DEFAULT-VALUE}).") int fps;
        @Option(names = "--cfg-scale", paramLabel = "X", description = "Classifier-free guidance scale (default: 7.0).") Float cfgScale;
        @Option(names = {"-i", "--init-img"}, paramLabel = "IMAGE", description = "First frame (image-to-video).") Path initImg;
        @Option(names = "--end-img", paramLabel = "IMAGE", description = "Last frame (first-last-frame-to-video, Wan 2.1 FLF2V).") Path endImg;
        @Option(names = "--strength", paramLabel = "X", description = "Init image strength in [0,1] (default: 0.75).") Float strength;
        @Option(names = "--vace-strength", paramLabel = "X", description = "Wan VACE strength (default: 1).") Float vaceStrength;
        @Option(names = "--high-noise-steps", paramLabel = "N",
                description = "(Wan 2.2 A14B) high-noise sampling steps (default: -1 = split at --moe-boundary, sd.cpp's default;"
                        + " the pinned sd-cli says so too but runs 20 unless given: pass it for the same pixels).") Integer highNoiseSteps;
        @Option(names = "--high-noise-cfg-scale", paramLabel = "X", description = "(Wan 2.2 A14B) high-noise guidance scale (default: 7.0).") Float highNoiseCfgScale;
        @Option(names = "--high-noise-sampling-method", paramLabel = "NAME", converter = SdNames.Samplers.class,
                completionCandidates = SdNames.Samplers.class,
                description = "(Wan 2.2 A14B) high-noise sampler (default: the model's).") SamplingMethod highNoiseSamplingMethod;
        @Option(names = "--moe-boundary", paramLabel = "X",
                description = "(Wan 2.2 A14B) timestep boundary between the two models (default: 0.875).") Float moeBoundary;
    }

    @Override
    public Integer call() {
        Term term = term();
        models.required();
        output.check();
        for (Path p : models.files()) {
            Io.input(p, "model file");
        }
        if (video.fps <= 0) {
            throw new Failure(Failure.USAGE, "--fps must be at least 1, got " + video.fps);
        }
        String ext = Io.extension(output.output).toLowerCase(Locale.ROOT);
        if (ext.equals(".webm")) {
            throw new Failure(Failure.USAGE, "sdj writes videos as MJPEG .avi (sd-cli's WebM needs a libwebm build): use a .avi name for -o");
        }
        boolean sizeSet = prompt.sizeSet();
        SdImage init = video.initImg == null ? null
                : Io.image(video.initImg, "init image", 3, sizeSet ? prompt.width : 0, sizeSet ? prompt.height : 0);
        if (init != null && !sizeSet) {
            prompt.width = init.width();
            prompt.height = init.height();
        }
        int w = prompt.width != null && prompt.width > 0 ? prompt.width : 512;
        int h = prompt.height != null && prompt.height > 0 ? prompt.height : 512;
        SdImage end = video.endImg == null ? null : Io.image(video.endImg, "end image", 3, w, h);

        VideoRequest request;
        Progress progress = new Progress(term, "sampling", "steps", sampling.expectedSteps(), 1);
        try {
            VideoRequest.Builder vb = VideoRequest.builder(prompt.prompt);
            prompt.applyTo(vb);
            sampling.applyTo(vb);
            vb.frames(video.frames);
            if (video.cfgScale != null) vb.cfgScale(video.cfgScale);
            if (init != null) vb.initImage(init);
            if (end != null) vb.endImage(end);
            if (video.strength != null) vb.strength(video.strength);
            if (video.vaceStrength != null) vb.vaceStrength(video.vaceStrength);
            if (video.highNoiseSteps != null) vb.highNoiseSteps(video.highNoiseSteps);
            if (video.highNoiseCfgScale != null) vb.highNoiseCfgScale(video.highNoiseCfgScale);
            if (video.highNoiseSamplingMethod != null) vb.highNoiseSamplingMethod(video.highNoiseSamplingMethod);
            if (video.moeBoundary != null) vb.moeBoundary(video.moeBoundary);
            if (performance.tiling() != null) vb.vaeTiling(performance.tiling());
            dev.sdjava.CacheParams steps = cache.params();
            if (steps != null) vb.cache(steps);
            vb.progress(progress);
            request = vb.build();
        } catch (IllegalArgumentException e) {
            throw new Failure(Failure.USAGE, e.getMessage(), e);
        }

        ModelConfig.Builder cb = ModelConfig.builder();
        models.applyTo(cb);
        sampling.applyTo(cb);
        performance.applyTo(cb);
        // As sd-cli in vid_gen mode: the VAE encoder is kept (image-to-video encodes frames); one generation per process.
        cb.vaeDecodeOnly(false);
        cb.freeParamsImmediately(true);
        ModelConfig config = cb.build();

        long t0 = System.nanoTime();
        StableDiffusion sd = Generate.load(config, false, new Progress(term, "loading", "tensors", 0, 1), models.main());
        double loadS = Units.secondsSince(t0);
        long t1 = System.nanoTime();
        GeneratedVideo result;
        try (sd) {
            if (!sd.supportsVideoGeneration()) {
                throw new Failure(Failure.INPUT, models.main() + " is not a video model: sdj video needs one such as Wan 2.1/2.2"
                        + " (--diffusion-model, --vae, --t5xxl); use sdj generate for images");
            }
            result = Interrupts.cancellable(sd::cancel, () -> sd.generateVideo(request));
        } catch (StableDiffusionException e) {
            if (e.kind() == StableDiffusionException.Kind.GENERATION_FAILED) {
                throw new Failure(Failure.GENERATION, "sd.cpp produced no video" + Sdj.sdCppSaid(e), e);
            }
            throw e;
        } finally {
            progress.finish();
        }
        double genS = Units.secondsSince(t1);
        long t2 = System.nanoTime();
        List<Path> written = write(result, output.output, output.outputBeginIdx, video.fps);
        double saveS = Units.secondsSince(t2);
        List<Map<String, Object>> files = new ArrayList<>();
        for (Path p : written) {
            files.add(Json.object("path", p.toString()));
        }
        if (!output.json.print(out(), Json.object("files", files, "frames", result.frames().size(), "width", result.width(),
                "height", result.height(), "seed", result.seed(), "fps", video.fps,
                "timings", Json.object("load_s", Units.rounded(loadS), "generate_s", Units.rounded(genS), "save_s", Units.rounded(saveS))))) {
            for (Path p : written) {
                out().println(p + "  " + result.width() + "x" + result.height() + "  " + result.frames().size()
                        + " frame" + (result.frames().size() == 1 ? "" : "s") + "  seed " + result.seed());
            }
        }
        term.note(String.format(Locale.ROOT, "loaded in %.1f s, generated %d frames in %.1f s, saved in %.2f s",
                loadS, result.frames().size(), genS, saveS));
        return 0;
    }

    /**
     * Writes the frames where sd-cli's {@code save_results} puts them: with a {@code %d} pattern one image per frame
     * ({@code .png} unless the name says {@code .jpg}), else several frames as one AVI (the name's {@code .avi},
     * or {@code .avi} in place of an image extension or after any other), else the single frame as an image.
     */
    static List<Path> write(GeneratedVideo video, String output, int begin, int fps) {
        List<SdImage> frames = video.frames();
        if (frames.size() > 1 && !Io.FORMAT.matcher(output).find()) {
            String ext = Io.extension(output);
            String lower = ext.toLowerCase(Locale.ROOT);
            boolean strip = Io.isImageExtension(lower) || lower.equals(".avi") || lower.equals(".webp") || lower.equals(".webm");
            String base = strip ? output.substring(0, output.length() - ext.length()) : output;
            Path file = Path.of(base + (lower.equals(".avi") ? ext : ".avi"));
            byte[] avi = video.toAvi(fps);
            Io.writeAtomically(file, tmp -> {
                try {
                    Files.write(tmp, avi);
                } catch (IOException e) {
                    throw new Failure(Failure.INPUT, "could not write " + file + ": " + e.getMessage(), e);
                }
            });
            return List.of(file);
        }
        List<Path> names = Io.outputNames(output, frames.size(), begin);
        for (int i = 0; i < frames.size(); i++) {
            Io.write(frames.get(i), names.get(i));
        }
        return names;
    }
}
