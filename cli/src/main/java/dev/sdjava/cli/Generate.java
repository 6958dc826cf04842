package dev.sdjava.cli;

import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.HiresFix;
import dev.sdjava.ModelConfig;
import dev.sdjava.PhotoMaker;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;
import dev.sdjava.StableDiffusionException;
import dev.sdjava.Upscaler;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code sdj generate}: text-to-image, image-to-image, inpainting, ControlNet, with upstream
 * {@code sd-cli}'s option names (declared in {@link GenerateOptions}, one class per help
 * section). Unset options keep sd.cpp's defaults, as upstream.
 */
@Command(name = "generate", aliases = "img_gen", abbreviateSynopsis = true,
        description = {"Generate images: text-to-image, image-to-image (-i), inpainting (--mask), ControlNet "
                + "(--control-net, --control-image), with LoRAs, embeddings, TAESD, hires fix.",
                "Option names and defaults are those of upstream's sd-cli."})
final class Generate extends Subcommand {
    @ArgGroup(validate = false, heading = "%nModels:%n") GenerateOptions.Models models = new GenerateOptions.Models();
    @ArgGroup(validate = false, heading = "%nPrompt, size and seed:%n") GenerateOptions.Prompt prompt = new GenerateOptions.Prompt();
    @ArgGroup(validate = false, heading = "%nInput images:%n") GenerateOptions.Images images = new GenerateOptions.Images();
    @ArgGroup(validate = false, heading = "%nSampling:%n") GenerateOptions.Sampling sampling = new GenerateOptions.Sampling();
    @ArgGroup(validate = false, heading = "%nGuidance:%n") GenerateOptions.Guidance guidance = new GenerateOptions.Guidance();
    @ArgGroup(validate = false, heading = "%nLoRA, ControlNet, PhotoMaker:%n") GenerateOptions.Adapters adapters = new GenerateOptions.Adapters();
    @ArgGroup(validate = false, heading = "%nHires fix and upscaling:%n") GenerateOptions.Hires hires = new GenerateOptions.Hires();
    @ArgGroup(validate = false, heading = "%nPerformance and memory:%n") GenerateOptions.Performance performance = new GenerateOptions.Performance();
    @ArgGroup(validate = false, heading = "%nStep cache:%n") GenerateOptions.Cache cache = new GenerateOptions.Cache();
    @ArgGroup(validate = false, heading = "%nModel-specific:%n") GenerateOptions.ModelSpecific modelSpecific = new GenerateOptions.ModelSpecific();
    @ArgGroup(validate = false, heading = "%nPreviews:%n") GenerateOptions.Preview preview = new GenerateOptions.Preview();
    @ArgGroup(validate = false, heading = "%nOutput:%n") GenerateOptions.Output output = new GenerateOptions.Output();

    @Override
    public Integer call() {
        Term term = term();
        models.required();
        output.check();
        checkInputs();

        // Images first: an init image sets the size when -W/-H are not both given (as upstream).
        boolean sizeSet = prompt.sizeSet();
        SdImage init = null;
        if (images.initImg != null) {
            init = Io.image(images.initImg, "init image", 3, sizeSet ? prompt.width : 0, sizeSet ? prompt.height : 0);
            if (!sizeSet) {
                prompt.width = init.width();
                prompt.height = init.height();
            }
        }
        int w = prompt.width != null && prompt.width > 0 ? prompt.width : 512;
        int h = prompt.height != null && prompt.height > 0 ? prompt.height : 512;
        SdImage maskImage = images.mask == null ? null : Io.image(images.mask, "mask", 1, w, h);
        SdImage control = null;
        if (adapters.controlImage != null) {
            control = Io.image(adapters.controlImage, "control image", 3, w, h);
            if (adapters.canny) {
                control = StableDiffusion.canny(control, 0.08f, 0.08f, 0.8f, 1.0f, false);
            }
        }
        List<SdImage> refs = new ArrayList<>();
        for (Path r : images.refImages) {
            refs.add(Io.image(r, "reference image", 3, 0, 0));
        }
        Loras loras = Loras.parse(prompt.prompt, adapters.loraModelDir, adapters.lora);
        if (adapters.loraModelDir == null && Loras.TAG.matcher(prompt.prompt).find()) {
            term.note("note: the prompt has <lora:...> tags but no --lora-model-dir: they stay in the prompt as text (as upstream)");
        }
        HiresFix hiresFix = hires.fix();

        ModelConfig config = config(init != null || !refs.isEmpty() || hiresFix != null && GenerateOptions.Hires.inPixels(hiresFix),
                Math.max(w, h));
        GenerationRequest.Builder rb = GenerationRequest.builder(loras.prompt());
        prompt.applyTo(rb);
        sampling.applyTo(rb);
        guidance.applyTo(rb);
        if (init != null) rb.initImage(init);
        if (images.strength != null) rb.strength(images.strength);
        if (maskImage != null) rb.mask(maskImage);
        if (control != null) rb.controlImage(control);
        if (adapters.controlStrength != null) rb.controlStrength(adapters.controlStrength);
        refs.forEach(rb::referenceImage);
        if (!refs.isEmpty()) {
            rb.autoResizeReferenceImages(!images.disableAutoResizeRefImage);
            rb.increaseReferenceIndex(images.increaseRefIndex);
        }
        loras.loras().forEach(rb::lora);
        if (adapters.pmIdImagesDir != null || adapters.pmIdEmbedPath != null) {
            rb.photoMaker(new PhotoMaker(adapters.pmIdImagesDir == null ? List.of() : imagesIn(adapters.pmIdImagesDir),
                    adapters.pmIdEmbedPath, adapters.pmStyleStrength));
        }
        performance.applyTo(rb);
        cache.applyTo(rb);
        if (hiresFix != null) rb.hires(hiresFix);
        int batch = prompt.batch();
        Progress progress = new Progress(term, "sampling", "steps", sampling.expectedSteps(), batch);
        rb.progress(progress);
        preview.applyTo(rb);
        GenerationRequest request = rb.build();
        List<Path> names = Io.outputNames(output.output, batch, output.outputBeginIdx);

        long t0 = System.nanoTime();
        StableDiffusion sd = load(config, performance.isolated, new Progress(term, "loading", "tensors", 0, 1), models.main());
        double loadS = Units.secondsSince(t0);
        if (sd.memoryPlan() != null) {
            term.note("--max-memory: " + sd.memoryPlan());
        }
        long t1 = System.nanoTime();
        List<GeneratedImage> results;
        try (sd) {
            results = Interrupts.cancellable(sd::cancel, () -> sd.generate(request));
        } catch (StableDiffusionException e) {
            if (e.kind() == StableDiffusionException.Kind.GENERATION_FAILED) {
                throw new Failure(Failure.GENERATION, "sd.cpp produced no image" + Sdj.sdCppSaid(e), e);
            }
            throw e;
        } finally {
            progress.finish();
        }
        double genS = Units.secondsSince(t1);
        Mixins.Upscaling upscaling = hires.upscaling;
        double upscaleS = 0;
        if (upscaling.model != null && upscaling.repeats > 0) {
            long t2 = System.nanoTime();
            results = upscale(results);
            upscaleS = Units.secondsSince(t2);
        }
        long t3 = System.nanoTime();
        List<Map<String, Object>> written = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            GeneratedImage g = results.get(i);
            Path file = names.get(i);
            Io.write(g, file, !output.disableImageMetadata);
            written.add(Json.object("path", file.toString(), "width", g.width(), "height", g.height(), "seed", g.seed(),
                    "parameters", g.parameters()));
        }
        double saveS = Units.secondsSince(t3);
        Map<String, Object> timings = Json.object("load_s", Units.rounded(loadS), "generate_s", Units.rounded(genS));
        if (upscaling.model != null) {
            timings.put("upscale_s", Units.rounded(upscaleS));
        }
        timings.put("save_s", Units.rounded(saveS));
        if (!output.json.print(out(), Json.object("images", written, "timings", timings))) {
            for (Map<String, Object> m : written) {
                out().println(m.get("path") + "  " + m.get("width") + "x" + m.get("height") + "  seed " + m.get("seed"));
            }
        }
        term.note(String.format(Locale.ROOT, "loaded in %.1f s, generated %d image%s in %.1f s%s, saved in %.2f s",
                loadS, results.size(), results.size() == 1 ? "" : "s", genS,
                upscaling.model != null ? String.format(Locale.ROOT, ", upscaled in %.1f s", upscaleS) : "", saveS));
        return 0;
    }

    /** Every input file and directory is readable (exit code 3 names the first that is not). */
    private void checkInputs() {
        List<Path> files = new ArrayList<>(models.files());
        files.addAll(Arrays.asList(adapters.controlNet, adapters.photoMakerModel, hires.upscaling.model,
                adapters.pmIdEmbedPath));
        for (Path p : files) {
            Io.input(p, "model file");
        }
        Io.inputDir(models.embdDir, "--embd-dir");
        Io.inputDir(adapters.loraModelDir, "--lora-model-dir");
        Io.inputDir(hires.hiresUpscalersDir, "--hires-upscalers-dir");
        Io.inputDir(adapters.pmIdImagesDir, "--pm-id-images-dir");
    }

    /** Loads the models, turning sd.cpp's refusal into exit code 4 with the model's name. */
    static StableDiffusion load(ModelConfig config, boolean isolated, Progress progress, Path what) {
        try {
            return Interrupts.nativeCall(() -> isolated ? StableDiffusion.loadIsolated(config, progress)
                    : StableDiffusion.load(config, progress));
        } catch (StableDiffusionException e) {
            if (e.kind() == StableDiffusionException.Kind.MODEL_LOAD_FAILED) {
                throw new Failure(Failure.MODEL_LOAD, "sd.cpp could not load " + what + Sdj.sdCppSaid(e), e);
            }
            throw e;
        } finally {
            progress.finish();
        }
    }

    private ModelConfig config(boolean needsEncoder, int side) {
        ModelConfig.Builder b = ModelConfig.builder();
        models.applyTo(b);
        sampling.applyTo(b);
        adapters.applyTo(b);
        performance.applyTo(b);
        modelSpecific.applyTo(b);
        preview.applyTo(b);
        // As upstream's CLI: without an image to encode only the VAE decoder is kept, and the
        // weights are freed after the one generation this process makes.
        b.vaeDecodeOnly(!needsEncoder);
        b.freeParamsImmediately(true);
        if (performance.maxMemory != null) {
            // The budget's plan chooses flash attention itself; a calibrated choice would pin it.
            b.maxMemoryImageSize(Math.min(Math.max(side, 64), 16384));
            return b.build();
        }
        return performance.calibrated.apply(b.build(), models.main(), performance.faGiven(), term()::note);
    }

    private List<GeneratedImage> upscale(List<GeneratedImage> results) {
        Mixins.Upscaling upscaling = hires.upscaling;
        try (Upscaler up = upscaling.load(performance.threads.count(), performance.offloadToCpu, performance.diffusionConvDirect)) {
            List<GeneratedImage> out = new ArrayList<>();
            for (GeneratedImage g : results) {
                SdImage img = upscaling.enlarge(up, g.image(), step -> { });
                out.add(new GeneratedImage(img, g.seed(), g.index(), g.request(), g.parameters()));
            }
            return out;
        }
    }

    /**
     * The ID images of --pm-id-images-dir as sd-cli takes them (main.cpp load_images_from_dir): the files with its
     * extensions, by name; a .webp among them is an error here (Java has no decoder), not silently left out.
     */
    private static List<SdImage> imagesIn(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            List<SdImage> out = new ArrayList<>();
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String ext = Io.extension(f.toString()).toLowerCase(Locale.ROOT);
                if (List.of(".png", ".jpg", ".jpeg", ".bmp", ".webp").contains(ext)) {
                    out.add(Io.image(f, "PhotoMaker id image", 3, 0, 0));
                }
            }
            return out;
        } catch (IOException e) {
            throw new Failure(Failure.INPUT, "could not list " + dir + ": " + e.getMessage(), e);
        }
    }
}
