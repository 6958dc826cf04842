package dev.sdjava.cli;

import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;
import dev.sdjava.StableDiffusionException;
import dev.sdjava.Upscaler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code sdj upscale}: enlarges an image with an ESRGAN model (upstream's {@code -M upscale}). */
@Command(name = "upscale", mixinStandardHelpOptions = true, versionProvider = Sdj.Version.class, sortOptions = false, usageHelpAutoWidth = true,
        description = "Enlarge an image with an ESRGAN model (e.g. RealESRGAN_x4plus): upstream's -M upscale.")
final class Upscale implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    Sdj root;

    @Option(names = "--upscale-model", paramLabel = "FILE", required = true, description = "The ESRGAN model.")
    Path model;
    @Option(names = {"-i", "--init-img"}, paramLabel = "IMAGE", required = true, description = "The image to enlarge.")
    Path input;
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "output.png", description = "Output file, .png or .jpg (default: ${DEFAULT-VALUE}).")
    Path output;
    @Option(names = "--upscale-repeats", paramLabel = "N", defaultValue = "1", description = "Run the model N times (default: ${DEFAULT-VALUE}).")
    int repeats;
    @Option(names = "--upscale-tile-size", paramLabel = "N", defaultValue = "128", description = "Tile size (default: ${DEFAULT-VALUE}).")
    int tileSize;
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads; <= 0: the number of physical cores (default).")
    Integer threads;
    @Option(names = "--offload-to-cpu", description = "Keep weights in RAM, move them to VRAM when needed.")
    boolean offloadToCpu;
    @Option(names = "--diffusion-conv-direct", description = "ggml_conv2d_direct in the upscaler.")
    boolean convDirect;
    @Option(names = "--json", description = "Print the result as one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (repeats < 1 || repeats > 8) {
            throw new Failure(Failure.USAGE, "--upscale-repeats must be 1..8, got " + repeats);
        }
        Io.input(model, "upscaler model");
        SdImage image = Io.image(input, "image", 3, 0, 0);
        int n = threads != null && threads > 0 ? threads : StableDiffusion.physicalCores();
        long t0 = System.nanoTime();
        Upscaler up;
        try {
            up = Interrupts.nativeCall(() -> Upscaler.load(model, n, tileSize, offloadToCpu, convDirect));
        } catch (StableDiffusionException e) {
            if (e.kind() == StableDiffusionException.Kind.MODEL_LOAD_FAILED) {
                throw new Failure(Failure.MODEL_LOAD, "sd.cpp could not load the upscaler " + model + Sdj.sdCppSaid(e), e);
            }
            throw e;
        }
        double loadS = Generate.seconds(t0);
        long t1 = System.nanoTime();
        SdImage result = image;
        try (up) {
            for (int r = 0; r < repeats; r++) {
                SdImage in = result;
                root.term().note(String.format(Locale.ROOT, "upscaling %dx%d by %d (%d/%d)", in.width(), in.height(),
                        up.factor(), r + 1, repeats));
                result = Interrupts.nativeCall(() -> up.upscale(in));
            }
        }
        double upS = Generate.seconds(t1);
        Io.write(result, output);
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("path", output.toString());
            o.put("width", result.width());
            o.put("height", result.height());
            o.put("load_s", Generate.round(loadS));
            o.put("upscale_s", Generate.round(upS));
            out.println(Json.write(o));
        } else {
            out.println(output + "  " + result.width() + "x" + result.height());
        }
        root.term().note(String.format(Locale.ROOT, "loaded in %.1f s, upscaled in %.1f s", loadS, upS));
        return 0;
    }
}
