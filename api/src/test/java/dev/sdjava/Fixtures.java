package dev.sdjava;

import dev.sdjava.synthetic.Architecture;
import dev.sdjava.synthetic.GgufType;
import dev.sdjava.synthetic.Precision;
import dev.sdjava.synthetic.SyntheticModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Shared test fixtures: the synthetic models (cached outside target/ by content key), the
 * upstream CLI built from the same tree, and one shared SD1 context for read-only tests.
 */
public final class Fixtures {
    /** Threads for every job in tests, Java and CLI alike (parity needs the same count). */
    public static final int THREADS = 2;
    public static final long MODEL_SEED = 42;
    private static StableDiffusion shared;

    private Fixtures() {
    }

    /** The native build directory Maven used (set by surefire). */
    public static Path nativeDir() {
        String d = System.getProperty("sdjava.test.nativeDir");
        if (d == null) {
            throw new IllegalStateException("system property sdjava.test.nativeDir is not set (run the tests through Maven)");
        }
        return Path.of(d);
    }

    /** Upstream's CLI, built from the same sd.cpp tree as the library. */
    public static Path sdCli() {
        return nativeDir().resolve("bin").resolve("sd-cli");
    }

    /** A synthetic model of {@code arch} in f16, written once and cached. */
    public static Path model(Architecture arch) {
        try {
            return SyntheticModel.cached(arch, Precision.F16, MODEL_SEED);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The synthetic SD1.x checkpoint. */
    public static Path sd1() {
        return model(Architecture.SD1);
    }

    /** The SD1 checkpoint converted to GGUF with {@code type}, cached next to it (as a memory budget does). */
    public static synchronized Path sd1Gguf(WeightType type) {
        return MemoryPlan.convertedCopy(sd1(), type, (in, out, t) -> StableDiffusion.convert(in, null, out, t, null));
    }

    /**
     * The SD1 checkpoint written directly as GGUF with {@code type} by the synthetic GGUF writer (the f16 values
     * quantized as sd.cpp's convert does; see {@code GgufWriterParityTest}), cached.
     */
    public static Path sd1GgufDirect(GgufType type) {
        try {
            return SyntheticModel.cachedGguf(Architecture.SD1, type, Precision.F16, MODEL_SEED);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A configuration for {@code model} with the test thread count. */
    public static ModelConfig.Builder config(Path model) {
        return ModelConfig.builder().model(model).threads(THREADS);
    }

    /** One SD1 context shared by tests that only generate (never close it). */
    public static synchronized StableDiffusion sharedSd1() {
        if (shared == null) {
            shared = StableDiffusion.load(config(sd1()).build());
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    /** A small, fast request on the SD1 model. */
    public static GenerationRequest.Builder small(String prompt) {
        return GenerationRequest.builder(prompt).size(64, 64).steps(2).seed(7);
    }

    /**
     * A small request for the families beyond SD 1.x, cheap enough for CI: 64x64 (the smallest size that passes
     * through every UNet level; SDXL's three levels need 8x8 latents), two steps, CFG 1 (one UNet pass a step).
     */
    public static GenerationRequest.Builder family(String prompt) {
        return small(prompt).cfgScale(1f);
    }

    /**
     * Runs {@code action} and adds to {@code lines} what sd.cpp logged meanwhile on this JVM, INFO lines included
     * (which sdjava passes on one level lower, as DEBUG).
     */
    public static <T> T capturingNativeLog(List<String> lines, java.util.function.Supplier<T> action) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("dev.sdjava.native");
        java.util.logging.Level before = logger.getLevel();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                synchronized (lines) {
                    lines.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(java.util.logging.Level.ALL);
        logger.setLevel(java.util.logging.Level.ALL);
        logger.addHandler(capture);
        try {
            return action.get();
        } finally {
            logger.removeHandler(capture);
            logger.setLevel(before);
        }
    }

    /** Runs upstream's CLI and returns the images it wrote (out_0.png, out_1.png, ...). */
    public static List<SdImage> runCli(Path workDir, List<String> args, int expectedImages) {
        try {
            Files.createDirectories(workDir);
            List<String> cmd = new ArrayList<>();
            cmd.add(sdCli().toString());
            cmd.addAll(args);
            cmd.add("-o");
            cmd.add(workDir.resolve("out_%d.png").toString());
            Path log = workDir.resolve("sd-cli.log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("sd-cli timed out: " + cmd);
            }
            if (p.exitValue() != 0) {
                throw new AssertionError("sd-cli failed (" + p.exitValue() + "): " + cmd + "\n" + tail(log));
            }
            List<SdImage> out = new ArrayList<>();
            for (int i = 0; i < expectedImages; i++) {
                Path f = workDir.resolve("out_" + i + ".png");
                if (!Files.isRegularFile(f)) {
                    throw new AssertionError("sd-cli wrote no " + f + "\n" + tail(log));
                }
                out.add(SdImage.read(f, 3));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    /** A deterministic RGB test image: red rises along x, green along y. */
    public static SdImage gradient(int w, int h) {
            byte[] px = new byte[w * h * 3];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = (y * w + x) * 3;
                    px[i] = (byte) (x * 255 / (w - 1));
                    px[i + 1] = (byte) (y * 255 / (h - 1));
                    px[i + 2] = (byte) ((x + y) * 127 / (w + h - 2));
                }
            }
            return new SdImage(w, h, 3, px);
        }

    /** Adds {@code flag value} to upstream CLI arguments when the request sets the value. */
    public static void flag(java.util.List<String> args, String flag, Object value) {
        if (value != null) {
            args.add(flag);
            args.add(String.valueOf(value));
        }
    }

    /**
     * The sd-cli flags of the request's size, steps, CFG, seed, batch, clip skip and distilled guidance, each only when
     * the request sets it: both sides then run sd.cpp's own defaults for the rest.
     */
    public static void requestFlags(java.util.List<String> args, GenerationRequest r) {
        flag(args, "-W", r.width());
        flag(args, "-H", r.height());
        flag(args, "--steps", r.steps());
        flag(args, "--cfg-scale", r.cfgScale());
        flag(args, "-s", r.seed());
        flag(args, "-b", r.batchCount());
        flag(args, "--clip-skip", r.clipSkip());
        flag(args, "--guidance", r.distilledGuidance());
    }
}
