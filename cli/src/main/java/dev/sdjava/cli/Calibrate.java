package dev.sdjava.cli;

import dev.sdjava.GenerationRequest;
import dev.sdjava.ModelConfig;
import dev.sdjava.StableDiffusion;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * {@code sdj calibrate}: times one sampling step of the model with flash attention in the
 * diffusion model and one without (a context each, the same seed), and writes the faster choice
 * as this machine's and this model's {@link Calibration}, which {@code generate}, {@code serve}
 * and {@code worker} then read. Only run when the user asks for it.
 */
@Command(name = "calibrate", description = {
        "Measure whether flash attention makes a step of this model faster on this machine, and remember it.",
        "Writes ~/.cache/sdjava/calibration/<machine>-<model>.properties; 'sdj generate', 'serve' and 'worker' then",
        "use the faster choice unless given --fa, --diffusion-fa, --no-diffusion-fa or --upstream-defaults."})
final class Calibrate extends Subcommand {
    private static final String PROMPT = "a lighthouse at dusk, oil painting";

    @ArgGroup(validate = false, heading = "%nModels:%n") GenerateOptions.Models models = new GenerateOptions.Models();

    @Option(names = "--size", paramLabel = "WxH", defaultValue = "512x512", converter = Values.Pair.Ints.class,
            description = "Image size of the measured step (default: ${DEFAULT-VALUE}; the size you generate at).") Values.Pair size;

    @ArgGroup(validate = false) Mixins.Threads threads = new Mixins.Threads();

    @Option(names = "--json", description = "Print the result as one JSON object on stdout.") boolean json;

    @Override
    public Integer call() throws Exception {
        Path model = models.required();
        int w = size.x().intValue();
        int h = size.y().intValue();
        ModelConfig base = models.config(threads).toBuilder().vaeDecodeOnly(true).build();
        double noFa = step(base.toBuilder().flashAttention(false).diffusionFlashAttention(false).build(), w, h, model);
        double fa = step(base.toBuilder().flashAttention(false).diffusionFlashAttention(true).build(), w, h, model);
        Calibration c = new Calibration(Calibration.choose(fa, noFa), fa, noFa, w, h,
                threads.given() == null ? 0 : threads.given(), model.toAbsolutePath().toString(),
                LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).replaceAll("\\.\\d+$", ""));
        Path file;
        try {
            file = c.write(model);
        } catch (java.io.IOException e) {
            throw new Failure(Failure.OTHER, "could not write the calibration file " + Calibration.file(model) + ": "
                    + e.getMessage() + " (set -Dsdjava.calibration.dir=DIR to write elsewhere)", e);
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", file.toString());
            m.put("diffusion_fa", c.diffusionFa());
            m.put("fa_step_s", c.faStep());
            m.put("no_fa_step_s", c.noFaStep());
            out().println(Json.write(m));
        } else {
            out().println(String.format(Locale.ROOT, "%s: %s", file, c.describe()));
        }
        return 0;
    }

    /**
     * Seconds of the first sampling step with {@code config}: sd.cpp's own per-step time from the
     * progress listener; the decode that would follow is cancelled, it is not measured.
     */
    private double step(ModelConfig config, int w, int h, Path model) {
        boolean fa = Boolean.TRUE.equals(config.diffusionFlashAttention());
        term().note("calibrate: one " + w + "x" + h + " step " + (fa ? "with" : "without") + " flash attention");
        double[] seconds = {Double.NaN};
        try (StableDiffusion sd = Generate.load(config, false, new Progress(term(), "loading", "tensors", 0, 1), model)) {
            long t0 = System.nanoTime();
            GenerationRequest request = GenerationRequest.builder(PROMPT).size(w, h).steps(1).seed(42L)
                    .progress((step, steps, perStep) -> {
                        if (step >= 1 && Double.isNaN(seconds[0])) {
                            seconds[0] = perStep > 0 ? perStep : (System.nanoTime() - t0) / 1e9;
                            sd.cancel();
                        }
                    }).build();
            try {
                Interrupts.nativeCall(() -> sd.generate(request));
            } catch (CancellationException expected) {
                // the decode after the measured step
            }
        }
        if (Double.isNaN(seconds[0])) {
            throw new Failure(Failure.GENERATION, "sd.cpp reported no sampling step for " + model + "; nothing was written");
        }
        term().note(String.format(Locale.ROOT, "calibrate: %.2f s/step %s flash attention", seconds[0], fa ? "with" : "without"));
        return seconds[0];
    }
}
