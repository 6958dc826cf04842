package dev.sdjava.cli;

import dev.sdjava.StableDiffusion;
import dev.sdjava.WeightType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/** {@code sdj convert}: writes a model as GGUF with another weight type (upstream's {@code -M convert}). */
@Command(name = "convert", description = "Convert a model (.safetensors, .ckpt, .gguf) to GGUF with the weight type of --type: upstream's -M convert.")
final class Convert extends Subcommand {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = "The model to convert.") Path model;
    @Option(names = "--vae", paramLabel = "FILE", description = "A VAE to bake in.") Path vae;
    @Option(names = "--type", paramLabel = "TYPE", required = true, converter = SdNames.WeightTypes.class,
            completionCandidates = SdNames.WeightTypes.class, description = "Weight type, one of [${COMPLETION-CANDIDATES}].") WeightType type;
    @Option(names = "--tensor-type-rules", paramLabel = "RULES", description = "Weight type per tensor pattern, e.g. \"^vae\\.=f16\".") String rules;
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Output .gguf (default: MODEL's name with -TYPE.gguf).") Path output;
    @Mixin Mixins.JsonOutput json;

    @Override
    public Integer call() throws IOException {
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
        term().note("converting " + model + " to " + type.sdName() + " ...");
        long t0 = System.nanoTime();
        // sd.cpp writes the file itself: write to a temporary name, rename when it succeeded.
        Path tmp = parent.resolve("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + ".gguf");
        try (var _ = Interrupts.onInterrupt(() -> tmp.toFile().delete())) {
            Interrupts.nativeCall(() -> {
                StableDiffusion.convert(model, vae, tmp, type, rules);
                return null;
            });
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        double s = Units.secondsSince(t0);
        long size = Files.size(target);
        if (!json.print(out(), Json.object("path", target.toString(), "type", type.sdName(), "bytes", size,
                "seconds", Units.rounded(s)))) {
            out().println(target + "  " + type.sdName() + "  " + Units.bytes(size));
        }
        term().note(String.format(Locale.ROOT, "converted in %.1f s", s));
        return 0;
    }
}
