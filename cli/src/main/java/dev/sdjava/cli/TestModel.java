package dev.sdjava.cli;

import dev.sdjava.synthetic.Architecture;
import dev.sdjava.synthetic.GgufType;
import dev.sdjava.synthetic.Precision;
import dev.sdjava.synthetic.SyntheticModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;

/** {@code sdj test-model}: writes a synthetic model, the same generator the tests use. */
@Command(name = "test-model", description = {"Write a synthetic model: a real architecture with deterministic random weights, the one the "
                + "tests use. stable-diffusion.cpp loads and runs it like the real one; its pictures are noise.",
                "Architectures: sd1 (2.1 GB in f16), sd2 (2.6 GB, v-prediction), sdxl-vega (3.3 GB), sd1-tiny, sdxs, taesd, "
                        + "sd1-lora, sd1-controlnet, esrgan-x4, wan2.1-t2v-1.3b (2.8 GB, video), wan2.1-vae, umt5-xxl (11.4 GB), "
                        + "wan2.2-ti2v-5b (2.86 GB as q4_0, 5.34 GB as q8_0), wan2.2-vae (1.41 GB), wan2.2-t2v-a14b (8.15 GB as q4_0); FLUX.1 [schnell] as separate files: flux-schnell-dit "
                        + "(1.07 GB, 1 double + 1 single block), flux-vae, clip-l; "
                        + "FLUX.1 [dev] and Kontext [dev]: flux-dev-dit (1.09 GB); Chroma: chroma-dit (1.26 GB); Chroma1-Radiance: chroma-radiance-dit (2.47 GB; 1.33 GB with --type q8_0); "
                        + "SD3 as separate files: sd3-medium-dit (2.29 GB as q8_0), sd3.5-medium-dit (2.86 GB as q8_0), "
                        + "sd3.5-large-dit (4.77 GB as q4_0), clip-g; sdxl (4.18 GB as q8_0), ssd-1b "
                        + "(2.84 GB as q8_0), sd1-inpaint, sd1-pix2pix, sdxl-inpaint, sdxl-pix2pix (4.18 GB each as q8_0); "
                        + "photomaker-v1 (0.65 GB, for --photo-maker next to an SDXL model), photomaker-v2 (1.09 GB); "
                        + "--list describes them.",
                "With --type it writes GGUF directly (q8_0, q4_0, q4_K, f16, bf16, f32): the file sd-cli -M convert --type TYPE "
                        + "makes from the --precision safetensors file, without writing that first."})
final class TestModel extends Subcommand {
    @Option(names = "--arch", paramLabel = "NAME", defaultValue = "sd1", converter = ArchConverter.class, completionCandidates = ArchNames.class,
            description = "Architecture, one of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).") Architecture arch;
    @Option(names = "--precision", paramLabel = "TYPE", defaultValue = "f16", converter = PrecisionConverter.class,
            description = "Element type: f16, bf16 or f32 (default: ${DEFAULT-VALUE}); with --type, the precision the values are "
                    + "rounded to and the unconverted tensors (biases, embeddings, 3x3 kernels) are kept in.") Precision precision;
    @Option(names = "--type", paramLabel = "TYPE", converter = TypeConverter.class,
            description = "Write GGUF with this type, as sd.cpp's convert: q8_0, q4_0, q4_K, f16, bf16 or f32 (default: safetensors).") GgufType type;
    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Where to write it (default: its canonical name in the current directory).") Path output;
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Writer threads (default: all processors).") Integer threads;
    @Option(names = "--list", description = "List the architectures with their sizes and exit.") boolean list;
    @Mixin Mixins.JsonOutput json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = out();
        if (list) {
            for (Architecture a : Architecture.values()) {
                out.printf(Locale.ROOT, "%-15s %5d tensors %,15d parameters  %s%n", a.fileStem(), a.tensorCount(),
                        a.parameterCount(), a.description());
            }
            return 0;
        }
        String p = precision.name().toLowerCase(Locale.ROOT);
        Path target = output != null ? output : Path.of(type == null ? SyntheticModel.fileName(arch, precision, seed)
                : SyntheticModel.ggufFileName(arch, type, precision, seed));
        long size = type == null ? SyntheticModel.fileSize(arch, precision, seed)
                : SyntheticModel.ggufFileSize(arch, type, precision);
        term().note(String.format(Locale.ROOT, "writing %s (%s, %s, seed %d, %s) ...", target, arch.fileStem(),
                type == null ? p : "gguf " + type.ggmlName() + " from " + p, seed, Units.bytes(size)));
        long t0 = System.nanoTime();
        int n = threads != null && threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        try (var _ = Interrupts.deleteTemporaries(target)) {
            if (type == null) {
                SyntheticModel.write(arch, precision, seed, target, n);
            } else {
                SyntheticModel.writeGguf(arch, type, precision, seed, target, n);
            }
        }
        double s = Units.secondsSince(t0);
        if (!json.print(out, Json.object("path", target.toString(), "arch", arch.fileStem(),
                "precision", p, "type", type == null ? null : type.ggmlName(), "seed", seed, "bytes", Files.size(target),
                "tensors", arch.tensorCount(), "parameters", arch.parameterCount(), "seconds", Units.rounded(s)))) {
            out.println(target + "  " + arch.fileStem() + "  " + Units.bytes(Files.size(target)));
        }
        term().note(String.format(Locale.ROOT, "written in %.1f s; the weights are random: pictures made with it are noise", s));
        return 0;
    }

    static final class ArchConverter implements ITypeConverter<Architecture> {
        public Architecture convert(String s) {
            for (Architecture a : Architecture.values()) {
                if (a.fileStem().equalsIgnoreCase(s) || a.name().equalsIgnoreCase(s)) {
                    return a;
                }
            }
            throw new IllegalArgumentException("unknown architecture '" + s + "'; known: "
                    + String.join(", ", (Iterable<String>) new ArchNames()));
        }
    }

    static final class ArchNames implements Iterable<String> {
        public Iterator<String> iterator() {
            return Arrays.stream(Architecture.values()).map(Architecture::fileStem).iterator();
        }
    }

    static final class TypeConverter implements ITypeConverter<GgufType> {
        public GgufType convert(String s) {
            return GgufType.fromName(s);
        }
    }

    static final class PrecisionConverter implements ITypeConverter<Precision> {
        public Precision convert(String s) {
            return Precision.valueOf(s.toUpperCase(Locale.ROOT));
        }
    }
}
