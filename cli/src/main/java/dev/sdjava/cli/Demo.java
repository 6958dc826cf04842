package dev.sdjava.cli;

import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.ModelConfig;
import dev.sdjava.StableDiffusion;
import dev.sdjava.synthetic.Architecture;
import dev.sdjava.synthetic.Precision;
import dev.sdjava.synthetic.SyntheticModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code sdj demo}: the whole text-to-image pipeline on a machine with no weights, using the
 * synthetic SD 1.x model (written once into the model cache), with the time of each stage.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Sdj.Version.class, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Run text-to-image end to end with no model to download: writes (once) or reuses a synthetic "
                + "Stable Diffusion 1.x model (2.1 GB, random weights) in the model cache, loads it, generates, "
                + "saves the PNG and prints the time of each stage.",
                "The weights are random, so the picture is noise: the demo shows the pipeline works, not image quality.",
                "Model cache: -Dsdjava.model.cache or $SDJAVA_MODEL_CACHE, else ~/.cache/sdjava/models."})
final class Demo implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    Sdj root;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", defaultValue = "a lighthouse on a cliff at dusk, oil painting",
            description = "The prompt (default: ${DEFAULT-VALUE}).")
    String prompt;
    @Option(names = {"-W", "--width"}, paramLabel = "N", defaultValue = "128", description = "Width (default: ${DEFAULT-VALUE}).")
    int width;
    @Option(names = {"-H", "--height"}, paramLabel = "N", defaultValue = "128", description = "Height (default: ${DEFAULT-VALUE}).")
    int height;
    @Option(names = "--steps", paramLabel = "N", defaultValue = "2", description = "Sampling steps (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = {"-s", "--seed"}, paramLabel = "N", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: the number of physical cores).")
    Integer threads;
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "demo.png", description = "Output PNG (default: ${DEFAULT-VALUE}).")
    Path output;
    @Option(names = "--json", description = "Print the result as one JSON object on stdout.")
    boolean json;

    @Override
    @SuppressWarnings("try") // the registration is only closed
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Term term = root.term();
        GenerationRequest.Builder rb = GenerationRequest.builder(prompt).size(width, height).steps(steps).seed(Math.max(seed, 0));

        Architecture arch = Architecture.SD1;
        Path dir = SyntheticModel.cacheDirectory();
        Path expected = dir.toAbsolutePath().resolve(SyntheticModel.fileName(arch, Precision.F16, SyntheticModel.DEFAULT_SEED));
        long size = SyntheticModel.fileSize(arch, Precision.F16, SyntheticModel.DEFAULT_SEED);
        boolean reused = Files.isRegularFile(expected) && Files.size(expected) == size;
        if (!reused) {
            term.note("writing the synthetic SD 1.x model (" + Info.bytes(size) + ", once) to " + expected + " ...");
        }
        long t0 = System.nanoTime();
        Path model;
        try (var cleanup = Interrupts.deleteTemporaries(expected)) {
            model = SyntheticModel.cached(arch, Precision.F16, SyntheticModel.DEFAULT_SEED);
        }
        double modelS = Generate.seconds(t0);

        ModelConfig.Builder cb = ModelConfig.builder().model(model).vaeDecodeOnly(true).freeParamsImmediately(true);
        if (threads != null && threads > 0) {
            cb.threads(threads);
        }
        long t1 = System.nanoTime();
        StableDiffusion sd = Generate.load(cb.build(), false, new Progress(term, "loading", "tensors", 0, 1), model);
        double loadS = Generate.seconds(t1);

        Progress sampling = new Progress(term, "sampling", "steps", steps, 1);
        GenerationRequest request = rb.progress(sampling).build();
        long t2 = System.nanoTime();
        List<GeneratedImage> images;
        try (sd) {
            images = Interrupts.nativeCall(() -> sd.generate(request));
        } finally {
            sampling.finish();
        }
        double genS = Generate.seconds(t2);
        GeneratedImage image = images.getFirst();

        long t3 = System.nanoTime();
        Io.write(image, output, true);
        double saveS = Generate.seconds(t3);

        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("path", output.toString());
            o.put("model", model.toString());
            o.put("model_reused", reused);
            o.put("width", image.width());
            o.put("height", image.height());
            o.put("steps", steps);
            o.put("seed", image.seed());
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("model_s", Generate.round(modelS));
            t.put("load_s", Generate.round(loadS));
            t.put("generate_s", Generate.round(genS));
            t.put("save_s", Generate.round(saveS));
            o.put("timings", t);
            o.put("random_weights", true);
            out.println(Json.write(o));
            return 0;
        }
        String sampler = image.parameters().lines().filter(l -> l.startsWith("Steps:")).findFirst()
                .map(l -> l.replaceAll(".*Sampler: ([^,]+),.*", "$1")).orElse("?");
        out.println("sdj demo: text-to-image on a synthetic Stable Diffusion 1.x model");
        out.printf(Locale.ROOT, "  model     %-58s %7.2f s%n", (reused ? "reused " : "wrote ") + model + " (" + Info.bytes(size) + ")", modelS);
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
