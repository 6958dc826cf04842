package dev.sdjava.cli;

import dev.sdjava.SdImage;
import dev.sdjava.Upscaler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.nio.file.Path;
import java.util.Locale;

/** {@code sdj upscale}: enlarges an image with an ESRGAN model (upstream's {@code -M upscale}). */
@Command(name = "upscale", description = "Enlarge an image with an ESRGAN model (e.g. RealESRGAN_x4plus): upstream's -M upscale.")
final class Upscale extends Subcommand {
    @Mixin Mixins.Upscaling upscaling;
    @Option(names = {"-i", "--init-img"}, paramLabel = "IMAGE", required = true, description = "The image to enlarge.") Path input;
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "output.png",
            description = "Output file, .png or .jpg (default: ${DEFAULT-VALUE}).") Path output;
    @Mixin Mixins.Threads threads;
    @Option(names = "--offload-to-cpu", description = "Keep weights in RAM, move them to VRAM when needed.") boolean offloadToCpu;
    @Option(names = "--diffusion-conv-direct", description = "ggml_conv2d_direct in the upscaler.") boolean convDirect;
    @Mixin Mixins.JsonOutput json;

    @Override
    public Integer call() {
        if (upscaling.model == null) {
            // Not required in the mixin: generate shares it, where it is optional.
            throw new ParameterException(spec.commandLine(), "Missing required option: '--upscale-model=FILE'");
        }
        if (upscaling.repeats < 1 || upscaling.repeats > 8) {
            throw new Failure(Failure.USAGE, "--upscale-repeats must be 1..8, got " + upscaling.repeats);
        }
        Io.input(upscaling.model, "upscaler model");
        SdImage image = Io.image(input, "image", 3, 0, 0);
        long t0 = System.nanoTime();
        Upscaler up = upscaling.load(threads.count(), offloadToCpu, convDirect);
        double loadS = Units.secondsSince(t0);
        long t1 = System.nanoTime();
        SdImage result;
        try (up) {
            result = upscaling.enlarge(up, image, step -> term().note("upscaling " + step));
        }
        double upS = Units.secondsSince(t1);
        Io.write(result, output);
        if (!json.print(out(), Json.object("path", output.toString(), "width", result.width(), "height", result.height(),
                "load_s", Units.rounded(loadS), "upscale_s", Units.rounded(upS)))) {
            out().println(output + "  " + result.width() + "x" + result.height());
        }
        term().note(String.format(Locale.ROOT, "loaded in %.1f s, upscaled in %.1f s", loadS, upS));
        return 0;
    }
}
