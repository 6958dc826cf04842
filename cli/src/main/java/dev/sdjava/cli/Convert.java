package dev.sdjava.cli;

import dev.sdjava.StableDiffusion;
import dev.sdjava.WeightType;
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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code sdj convert}: writes a model as GGUF with another weight type (upstream's {@code -M convert}). */
@Command(name = "convert", mixinStandardHelpOptions = true, versionProvider = Sdj.Version.class, sortOptions = false, usageHelpAutoWidth = true,
        description = "Convert a model (.safetensors, .ckpt, .gguf) to GGUF with the weight type of --type: upstream's -M convert.")
final class Convert implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    Sdj root;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = "The model to convert.")
    Path model;
    @Option(names = "--vae", paramLabel = "FILE", description = "A VAE to bake in.")
    Path vae;
    @Option(names = "--type", paramLabel = "TYPE", required = true, converter = Names.Type.class, completionCandidates = Names.None.class,
            description = "Weight type: f32, f16, bf16, q8_0, q5_0, q5_1, q4_0, q4_1, q2_K, q3_K, q4_K...")
    WeightType type;
    @Option(names = "--tensor-type-rules", paramLabel = "RULES", description = "Weight type per tensor pattern, e.g. \"^vae\\.=f16\".")
    String rules;
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Output .gguf (default: MODEL's name with -TYPE.gguf).")
    Path output;
    @Option(names = "--json", description = "Print the result as one JSON object on stdout.")
    boolean json;

    @Override
    @SuppressWarnings("try") // the registration is only closed
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Io.input(model, "model");
        Io.input(vae, "vae");
        Path target = output;
        if (target == null) {
            String name = model.getFileName().toString();
            String ext = Io.extension(name);
            target = model.resolveSibling(name.substring(0, name.length() - ext.length()) + "-" + type.sdName() + ".gguf");
        }
        Path parent = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) {
            throw new Failure(Failure.USAGE, "output directory " + parent + " does not exist");
        }
        root.term().note("converting " + model + " to " + type.sdName() + " ...");
        long t0 = System.nanoTime();
        // sd.cpp writes the file itself: write to a temporary name, rename when it succeeded.
        Path tmp = parent.resolve("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + ".gguf");
        try (var cleanup = Interrupts.onInterrupt(() -> tmp.toFile().delete())) {
            Interrupts.nativeCall(() -> {
                StableDiffusion.convert(model, vae, tmp, type, rules);
                return null;
            });
            Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        double s = Generate.seconds(t0);
        long size = Files.size(target);
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("path", target.toString());
            o.put("type", type.sdName());
            o.put("bytes", size);
            o.put("seconds", Generate.round(s));
            out.println(Json.write(o));
        } else {
            out.println(target + "  " + type.sdName() + "  " + Info.bytes(size));
        }
        root.term().note(String.format(Locale.ROOT, "converted in %.1f s", s));
        return 0;
    }
}
