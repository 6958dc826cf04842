package dev.sdjava.synthetic;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes synthetic models: the real architectures of {@link Architecture} with deterministic random weights, as
 * safetensors files that stable-diffusion.cpp loads and runs. They exist for tests and benchmarks, which need real
 * model files of real sizes but no real weights: <b>the weights are random, so every picture made with them is
 * noise</b> (finite, not constant, and the same on every run).
 *
 * <h2>Values</h2>
 * <ul>
 *   <li>Weights of linear layers, convolutions and embeddings are random with mean 0 and standard deviation
 *       {@code gain / sqrt(fan_in)}, where {@code fan_in} is the product of all dimensions but the first (the input
 *       features times the kernel size) and the gain is 0.5; the networks without normalization layers get the
 *       gains that keep their outputs in range, found by running them in sd.cpp: 0.65 for the tiny autoencoder,
 *       0.85 for the upscaler and 2.0 for the ControlNet's hint encoder (at 0.5 the control image would have no
 *       effect). The values are an Irwin-Hall approximation of a normal distribution (the centered sum of four
 *       uniform 16-bit numbers), bounded by sqrt(12) = 3.46 standard deviations, so activations stay finite in half
 *       precision.</li>
 *   <li>Scales of group and layer normalizations are 1, biases are 0, LoRA {@code alpha}s equal the rank. The
 *       last bias of the two networks whose output is a picture in [0, 1] (the tiny autoencoder's decoder and the
 *       upscaler) is 0.5, so their pictures are centered on gray instead of half black. The last bias of the
 *       {@link Architecture#SD2} UNet is -1, which makes sd.cpp's probe of the prediction type find a
 *       v-prediction model.</li>
 *   <li>Every element is a pure function of (seed, tensor name, element index), computed with splitmix64 in integer
 *       arithmetic: the same (architecture, precision, seed) gives a byte-identical file on every machine and JVM,
 *       whatever the number of threads, as long as {@link #GENERATOR_VERSION} is the same.</li>
 * </ul>
 *
 * <h2>Writing</h2>
 * {@link #write} streams the tensors to disk in parallel, one 1 Mi-element buffer per thread (4 MiB at most), so heap
 * use stays small however big the model: the 2.1 GB {@link Architecture#SD1} file in F16 takes about 6 seconds on
 * 2 cores with a 256 MB heap (4.3 GB in F32: about 8 seconds).
 * Files are written to a temporary file next to the target and renamed into place, so no reader sees a partial
 * file. {@link #writeGguf} writes the same model directly as GGUF (q8_0, q4_0, q4_K...), byte for byte the tensors
 * sd.cpp's converter makes from the f16 file, streaming as well: the 1.6 GB SD1 in q4_0 takes about 14 seconds on
 * 2 cores, so models too big for f16 on a machine never need an f16 copy.
 *
 * <h2>Cache</h2>
 * {@link #cached} keeps one file per (architecture, precision, seed, generator version) in a cache directory (see
 * {@link #cacheDirectory()}), named by {@link #fileName}, and writes it on first use. Concurrent threads and JVMs
 * wait for one writer (an empty {@code .lock} file left next to the model) instead of writing the same file twice.
 * A cached file is reused when it has the expected size; a file of another size (an interrupted copy, say) is
 * written again.
 *
 * <p>All methods are thread-safe.
 */
public final class SyntheticModel {
    /**
     * The version of the generator: part of every cache file name, bumped whenever the tables or the values change,
     * so stale cached files are never reused.
     */
    public static final int GENERATOR_VERSION = 1;

    /** The seed tests and tools use when they have no reason to pick another: {@value}. */
    public static final long DEFAULT_SEED = 42;

    /** System property naming the cache directory: {@value}. */
    public static final String CACHE_PROPERTY = "sdjava.model.cache";

    /** Environment variable naming the cache directory when the system property is not set: {@value}. */
    public static final String CACHE_ENV = "SDJAVA_MODEL_CACHE";

    private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();
    private static final AtomicLong TEMP_COUNTER = new AtomicLong();

    private SyntheticModel() {
    }

    /**
     * Writes a synthetic model to {@code out}, replacing any file there, using all available processors.
     *
     * @param arch      the architecture
     * @param precision the element type of every tensor
     * @param seed      the seed of the random weights
     * @param out       the file to write (its parent directory is created if missing)
     * @return {@code out}
     * @throws IOException if writing fails
     */
    public static Path write(Architecture arch, Precision precision, long seed, Path out) throws IOException {
        return write(arch, precision, seed, out, Runtime.getRuntime().availableProcessors());
    }

    /**
     * Writes a synthetic model to {@code out} with the given number of threads; the bytes are the same whatever the
     * number.
     *
     * @param arch      the architecture
     * @param precision the element type of every tensor
     * @param seed      the seed of the random weights
     * @param out       the file to write (its parent directory is created if missing)
     * @param threads   the number of writer threads, at least 1
     * @return {@code out}
     * @throws IOException if writing fails
     */
    public static Path write(Architecture arch, Precision precision, long seed, Path out, int threads)
            throws IOException {
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(precision, "precision");
        if (threads < 1) {
            throw new IllegalArgumentException("threads < 1: " + threads);
        }
        return writeAtomically(out, tmp -> SafetensorsWriter.write(arch.tensors(), precision, seed,
                metadata(arch, precision, seed), tmp, threads));
    }

    /**
     * Writes only the safetensors header of a synthetic model to {@code out} and extends the file to the model's full
     * size without writing its data: on file systems with sparse files this takes no disk space and no time, and
     * every weight reads as zero. It is for tools that read the header alone, such as {@code sdj info}, so
     * that tests can identify families of several GB without writing them; never load such a file to generate.
     *
     * @param arch      the architecture
     * @param precision the element type the header declares
     * @param seed      the seed recorded in the metadata (the weights are not written)
     * @param out       the file to write (its parent directory is created if missing)
     * @return {@code out}
     * @throws IOException if writing fails
     */
    public static Path writeHeaderOnly(Architecture arch, Precision precision, long seed, Path out) throws IOException {
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(precision, "precision");
        Map<String, String> metadata = metadata(arch, precision, seed);
        byte[] header = SafetensorsWriter.header(arch.tensors(), precision, metadata);
        long size = SafetensorsWriter.fileSize(arch.tensors(), precision, metadata);
        return writeAtomically(out, tmp -> {
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(tmp.toFile(), "rw")) {
                f.setLength(0);
                f.write(header);
                f.setLength(size);
            }
        });
    }

    /**
     * Writes a synthetic model as GGUF with {@code type} to {@code out}, replacing any file there: the file sd.cpp's
     * converter ({@code sd-cli -M convert --type TYPE}) makes from the safetensors file that
     * {@link #write(Architecture, Precision, long, Path, int) write(arch, source, seed, ...)} writes, with the same
     * tensor names, types, shapes and bytes (in name order), but written directly, streaming, without that file.
     * Tensors sd.cpp's converter does not convert (biases, embeddings, rows that are not whole blocks of the type:
     * 3x3 convolution kernels, say) keep the {@code source} precision; see {@link GgufType}.
     *
     * @param arch    the architecture
     * @param type    the type of the converted tensors, e.g. {@link GgufType#Q8_0}
     * @param source  the precision the values are first rounded to and the other tensors are kept in
     *                ({@link Precision#F16} for the files sd.cpp converts from a half-precision checkpoint)
     * @param seed    the seed of the random weights
     * @param out     the file to write (its parent directory is created if missing)
     * @param threads the number of writer threads, at least 1; the bytes are the same whatever the number
     * @return {@code out}
     * @throws IOException if writing fails
     */
    public static Path writeGguf(Architecture arch, GgufType type, Precision source, long seed, Path out,
                                 int threads) throws IOException {
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(source, "source");
        if (threads < 1) {
            throw new IllegalArgumentException("threads < 1: " + threads);
        }
        return writeAtomically(out, tmp -> GgufWriter.write(arch.tensors(), type, source, seed, tmp, threads));
    }

    /**
     * The exact size in bytes of the file {@link #writeGguf} produces for these parameters (the seed does not
     * change it: GGUF files carry no metadata here).
     *
     * @param arch   the architecture
     * @param type   the type of the converted tensors
     * @param source the precision of the others
     * @return the file size in bytes
     */
    public static long ggufFileSize(Architecture arch, GgufType type, Precision source) {
        return GgufWriter.fileSize(arch.tensors(), type, source);
    }

    /**
     * The cache file name of a GGUF model, e.g. {@code sd1-q8_0-f16-s42-g1.gguf} (the type, then the source
     * precision).
     *
     * @param arch   the architecture
     * @param type   the type of the converted tensors
     * @param source the precision of the others
     * @param seed   the seed
     * @return the file name, with the {@code .gguf} extension
     */
    public static String ggufFileName(Architecture arch, GgufType type, Precision source, long seed) {
        return arch.fileStem() + "-" + type.ggmlName() + "-" + source.name().toLowerCase(Locale.ROOT) + "-s"
                + Long.toUnsignedString(seed) + "-g" + GENERATOR_VERSION + ".gguf";
    }

    /**
     * Returns the cached GGUF model for these parameters in {@link #cacheDirectory()}, writing it first (with all
     * processors) if it is not there or has the wrong size; locked as {@link #cached(Architecture, Precision, long)}.
     *
     * @param arch   the architecture
     * @param type   the type of the converted tensors
     * @param source the precision of the others
     * @param seed   the seed of the random weights
     * @return the path of the complete file
     * @throws IOException if writing fails
     */
    public static Path cachedGguf(Architecture arch, GgufType type, Precision source, long seed) throws IOException {
        Path file = cacheDirectory().toAbsolutePath().resolve(ggufFileName(arch, type, source, seed));
        return cachedFile(file, ggufFileSize(arch, type, source),
                f -> writeGguf(arch, type, source, seed, f, Runtime.getRuntime().availableProcessors()));
    }

    /** Writes a file through {@code writer} into a temporary file next to {@code out}, then renames it. */
    private static Path writeAtomically(Path out, FileWrite writer) throws IOException {
        Path target = out.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "."
                + TEMP_COUNTER.incrementAndGet() + ".tmp");
        Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        try {
            writer.write(tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return out;
    }

    /**
     * Returns the cached synthetic model for these parameters in {@link #cacheDirectory()}, writing it first if it
     * is not there (or has the wrong size).
     *
     * @param arch      the architecture
     * @param precision the element type of every tensor
     * @param seed      the seed of the random weights
     * @return the path of the complete file
     * @throws IOException if writing fails
     */
    public static Path cached(Architecture arch, Precision precision, long seed) throws IOException {
        return cached(arch, precision, seed, cacheDirectory());
    }

    /**
     * As {@link #cached(Architecture, Precision, long)} with an explicit cache directory.
     *
     * @param arch      the architecture
     * @param precision the element type of every tensor
     * @param seed      the seed of the random weights
     * @param directory the cache directory (created if missing)
     * @return the path of the complete file
     * @throws IOException if writing fails
     */
    public static Path cached(Architecture arch, Precision precision, long seed, Path directory) throws IOException {
        Path file = directory.toAbsolutePath().resolve(fileName(arch, precision, seed));
        return cachedFile(file, fileSize(arch, precision, seed), f -> write(arch, precision, seed, f));
    }

    /** Writes a file at the path it is given. */
    private interface FileWrite {
        void write(Path file) throws IOException;
    }

    /** Returns {@code file} once it has {@code size} bytes, running {@code writing} under the locks if it has not. */
    private static Path cachedFile(Path file, long size, FileWrite writing) throws IOException {
        if (hasSize(file, size)) {
            return file;
        }
        Object jvmLock = LOCKS.computeIfAbsent(file, k -> new Object());
        synchronized (jvmLock) {
            if (hasSize(file, size)) {
                return file;
            }
            Files.createDirectories(file.getParent());
            Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
            try (FileChannel lc = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = lc.lock();
                try {
                    if (!hasSize(file, size)) {
                        writing.write(file);
                    }
                } finally {
                    lock.release();
                }
            }
        }
        return file;
    }

    private static boolean hasSize(Path file, long size) {
        try {
            return Files.isRegularFile(file) && Files.size(file) == size;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The cache directory: the system property {@value #CACHE_PROPERTY} if set, else the environment variable
     * {@value #CACHE_ENV} if set, else {@code ~/.cache/sdjava/models}.
     *
     * @return the cache directory (not necessarily existing yet)
     */
    public static Path cacheDirectory() {
        String dir = System.getProperty(CACHE_PROPERTY);
        if (dir == null || dir.isBlank()) {
            dir = System.getenv(CACHE_ENV);
        }
        if (dir == null || dir.isBlank()) {
            return Path.of(System.getProperty("user.home"), ".cache", "sdjava", "models");
        }
        return Path.of(dir);
    }

    /**
     * The cache file name for these parameters, e.g. {@code sd1-f16-s42-g1.safetensors}: lowercase, no spaces or
     * colons, so it can be used as a LoRA name in a prompt ({@code <lora:sd1-lora-f16-s42-g1:1>}).
     *
     * @param arch      the architecture
     * @param precision the element type
     * @param seed      the seed
     * @return the file name, with the {@code .safetensors} extension
     */
    public static String fileName(Architecture arch, Precision precision, long seed) {
        return arch.fileStem() + "-" + precision.name().toLowerCase(Locale.ROOT) + "-s" + Long.toUnsignedString(seed)
                + "-g" + GENERATOR_VERSION + ".safetensors";
    }

    /**
     * The exact size in bytes of the file {@link #write} produces for these parameters.
     *
     * @param arch      the architecture
     * @param precision the element type
     * @param seed      the seed (it appears in the header's metadata)
     * @return the file size in bytes
     */
    public static long fileSize(Architecture arch, Precision precision, long seed) {
        return SafetensorsWriter.fileSize(arch.tensors(), precision, metadata(arch, precision, seed));
    }

    /** The {@code __metadata__} of the header (all values are strings, as safetensors requires). */
    static Map<String, String> metadata(Architecture arch, Precision precision, long seed) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("sdjava.synthetic", "random weights, not a trained model");
        m.put("sdjava.synthetic.architecture", arch.name());
        m.put("sdjava.synthetic.precision", precision.name());
        m.put("sdjava.synthetic.seed", Long.toUnsignedString(seed));
        m.put("sdjava.synthetic.generator", Integer.toString(GENERATOR_VERSION));
        return m;
    }
}
