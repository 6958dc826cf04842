package dev.sdjava.cli;

import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.ModelConfig;
import dev.sdjava.StableDiffusion;
import dev.sdjava.synthetic.Architecture;
import dev.sdjava.synthetic.Precision;
import dev.sdjava.synthetic.SyntheticModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code sdj demo}: the whole text-to-image pipeline on a machine with no weights, using the
 * synthetic SD 1.x model (written once into the model cache), with the time of each stage.
 */
@Command(name = "demo", description = {"Run text-to-image end to end with no model to download: writes (once) or reuses a synthetic "
                + "Stable Diffusion 1.x model (2.1 GB, random weights) in the model cache, loads it, generates, "
                + "saves the PNG and prints the time of each stage.",
                "The weights are random, so the picture is noise: the demo shows the pipeline works, not image quality.",
                "Model cache: -Dsdjava.model.cache or $SDJAVA_MODEL_CACHE, else ~/.cache/sdjava/models."})
final class Demo extends Subcommand {
    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", defaultValue = "a lighthouse on a cliff at dusk, oil painting",
            description = "The prompt (default: ${DEFAULT-VALUE}).") String prompt;
    @Option(names = {"-W", "--width"}, paramLabel = "N", defaultValue = "128", description = "Width (default: ${DEFAULT-VALUE}).") int width;
    @Option(names = {"-H", "--height"}, paramLabel = "N", defaultValue = "128", description = "Height (default: ${DEFAULT-VALUE}).") int height;
    @Option(names = "--steps", paramLabel = "N", defaultValue = "2", description = "Sampling steps (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = {"-s", "--seed"}, paramLabel = "N", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;
    @Mixin Mixins.Threads threads;
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "demo.png", description = "Output PNG (default: ${DEFAULT-VALUE}).") Path output;
    @Mixin Mixins.JsonOutput json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = out();
        Term term = term();
        GenerationRequest.Builder rb = GenerationRequest.builder(prompt).size(width, height).steps(steps).seed(Math.max(seed, 0));

        Architecture arch = Architecture.SD1;
        Path dir = SyntheticModel.cacheDirectory();
        Path expected = dir.toAbsolutePath().resolve(SyntheticModel.fileName(arch, Precision.F16, SyntheticModel.DEFAULT_SEED));
        long size = SyntheticModel.fileSize(arch, Precision.F16, SyntheticModel.DEFAULT_SEED);
        boolean reused = Files.isRegularFile(expected) && Files.size(expected) == size;
        if (!reused) {
            term.note("writing the synthetic SD 1.x model (" + Units.bytes(size) + ", once) to " + expected + " ...");
        }
        long t0 = System.nanoTime();
        Path model;
        try (var _ = Interrupts.deleteTemporaries(expected)) {
            model = SyntheticModel.cached(arch, Precision.F16, SyntheticModel.DEFAULT_SEED);
        }
        double modelS = Units.secondsSince(t0);

        ModelConfig.Builder cb = ModelConfig.builder().model(model).vaeDecodeOnly(true).freeParamsImmediately(true);
        if (threads.given() != null) {
            cb.threads(threads.given());
        }
        long t1 = System.nanoTime();
        StableDiffusion sd = Generate.load(cb.build(), false, new Progress(term, "loading", "tensors", 0, 1), model);
        double loadS = Units.secondsSince(t1);

        Progress sampling = new Progress(term, "sampling", "steps", steps, 1);
        GenerationRequest request = rb.progress(sampling).build();
        long t2 = System.nanoTime();
        List<GeneratedImage> images;
        try (sd) {
            images = Interrupts.cancellable(sd::cancel, () -> sd.generate(request));
        } finally {
            sampling.finish();
        }
        double genS = Units.secondsSince(t2);
        GeneratedImage image = images.getFirst();

        long t3 = System.nanoTime();
        Io.write(image, output, true);
        double saveS = Units.secondsSince(t3);

        if (json.print(out, Json.object("path", output.toString(), "model", model.toString(), "model_reused", reused,
                "width", image.width(), "height", image.height(), "steps", steps, "seed", image.seed(),
                "timings", Json.object("model_s", Units.rounded(modelS), "load_s", Units.rounded(loadS),
                        "generate_s", Units.rounded(genS), "save_s", Units.rounded(saveS)),
                "random_weights", true))) {
            return 0;
        }
        String sampler = image.parameters().lines().filter(l -> l.startsWith("Steps:")).findFirst()
                .map(l -> l.replaceAll(".*Sampler: ([^,]+),.*", "$1")).orElse("?");
        out.println("sdj demo: text-to-image on a synthetic Stable Diffusion 1.x model");
        out.printf(Locale.ROOT, "  model     %-58s %7.2f s%n", (reused ? "reused " : "wrote ") + model + " (" + Units.bytes(size) + ")", modelS);
        out.printf(Locale.ROOT, "  load      %-58s %7.2f s%n", "sd.cpp context (weights read, CPU backend)", loadS);
        out.printf(Locale.ROOT, "  generate  %-58s %7.2f s%n", String.format(Locale.ROOT, "%dx%d, %d steps, %s, seed %d",
                image.width(), image.height(), steps, sampler, image.seed()), genS);
        out.printf(Locale.ROOT, "  save      %-58s %7.2f s%n", output + " (PNG, parameters embedded)", saveS);
        out.println("The weights are random, so the picture is noise: this shows the pipeline (text encoder, UNet,");
        out.println("VAE decoder, PNG) runs end to end, not image quality. For real pictures, use a real model:");
        out.println("  sdj generate -m sd-v1-5.safetensors -p \"" + prompt + "\" -o out.png");
        return 0;
    }
}
