package dev.sdjava.cli;

import dev.sdjava.ModelConfig;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;
import dev.sdjava.StableDiffusionException;
import dev.sdjava.Upscaler;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Options that several commands share, each declared once: picocli {@code @Mixin}s, and in
 * {@code generate} nested in its help sections.
 */
final class Mixins {
    private Mixins() {
    }

    /** {@code --json}: the result as one line of JSON on stdout, for scripts. */
    static final class JsonOutput {
        @Option(names = "--json", description = "Print the result as one JSON object on stdout.") boolean on;

        /** Prints {@code result} as JSON if {@code --json} was given; returns whether it did. */
        boolean print(PrintWriter out, Map<String, ?> result) {
            if (on) {
                out.println(Json.write(result));
            }
            return on;
        }
    }

    /** {@code -t/--threads} of the commands that run sd.cpp. */
    static final class Threads {
        @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads; <= 0: the number of physical cores (default).") Integer threads;

        /** The threads asked for, or null for sd.cpp's default. */
        Integer given() {
            return threads != null && threads > 0 ? threads : null;
        }

        /** The threads asked for, else the number of physical cores. */
        int count() {
            return threads != null && threads > 0 ? threads : StableDiffusion.physicalCores();
        }
    }

    /**
     * {@code --upstream-defaults}, and the measured defaults it turns off: a {@link Calibration}
     * written by {@code sdj calibrate} for this machine and model chooses flash attention in the
     * diffusion model when the user did not.
     */
    static final class Calibrated {
        @Option(names = "--upstream-defaults", description = "Upstream's defaults: ignore the measurement of 'sdj calibrate' "
                + "(flash attention stays off unless asked for).") boolean upstreamDefaults;

        /**
         * {@code config} with the calibrated choice for its main model applied, unless
         * {@code --upstream-defaults} was given, the user chose flash attention ({@code faGiven}),
         * or there is no calibration; says on {@code log} which choice was made and why.
         */
        ModelConfig apply(ModelConfig config, Path model, boolean faGiven, Consumer<String> log) {
            if (upstreamDefaults || faGiven || model == null) {
                return config;
            }
            Optional<Calibration> c;
            try {
                c = Calibration.read(model);
            } catch (IllegalArgumentException e) {
                log.accept("warning: " + e.getMessage() + "; using upstream's defaults");
                return config;
            }
            if (c.isEmpty()) {
                return config;
            }
            log.accept("calibration " + Calibration.file(model).getFileName() + ": " + c.get().describe()
                    + " (--upstream-defaults ignores it)");
            return config.toBuilder().diffusionFlashAttention(c.get().diffusionFa()).build();
        }
    }

    /** An ESRGAN model and how it is run: {@code sdj upscale}, and {@code generate}'s results. */
    static final class Upscaling {
        @Option(names = "--upscale-model", paramLabel = "FILE", description = "ESRGAN model to enlarge the images with (e.g. RealESRGAN_x4plus).") Path model;
        @Option(names = "--upscale-repeats", paramLabel = "N", defaultValue = "1",
                description = "Run the upscaler N times (default: ${DEFAULT-VALUE}).") int repeats;
        @Option(names = "--upscale-tile-size", paramLabel = "N", defaultValue = "128",
                description = "ESRGAN tile size (default: ${DEFAULT-VALUE}).") int tileSize;

        /** Loads {@link #model}; sd.cpp's refusal is exit code 4 naming the file. */
        Upscaler load(int threads, boolean offloadToCpu, boolean convDirect) {
            try {
                return Interrupts.nativeCall(() -> Upscaler.load(model, threads, tileSize, offloadToCpu, convDirect));
            } catch (StableDiffusionException e) {
                if (e.kind() == StableDiffusionException.Kind.MODEL_LOAD_FAILED) {
                    throw new Failure(Failure.MODEL_LOAD, "sd.cpp could not load the upscaler " + model + Sdj.sdCppSaid(e), e);
                }
                throw e;
            }
        }

        /** Runs {@code up} {@link #repeats} times on {@code image}, telling {@code before} each input. */
        SdImage enlarge(Upscaler up, SdImage image, Consumer<String> before) {
            SdImage result = image;
            for (int r = 0; r < repeats; r++) {
                SdImage in = result;
                before.accept(in.width() + "x" + in.height() + " by " + up.factor() + " (" + (r + 1) + "/" + repeats + ")");
                result = Interrupts.nativeCall(() -> up.upscale(in));
            }
            return result;
        }
    }
}
