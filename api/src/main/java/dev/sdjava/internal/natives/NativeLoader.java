package dev.sdjava.internal.natives;

import dev.sdjava.Device;
import dev.sdjava.StableDiffusionException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;

/**
 * Finds and loads the native stable-diffusion.cpp library, once per JVM; the only class that loads it.
 *
 * <p>Places are tried in this order, and the first that has the library wins:
 * <ol>
 *   <li>the system property {@value #PATH_PROPERTY}, else the environment variable
 *       {@value #PATH_ENV}: a library file or a directory holding it;</li>
 *   <li>the build output this jar was compiled with ({@code target/native/<backend>/bin});</li>
 *   <li>the class path (a runnable jar, or {@code sdjava-natives} jars): one variant per backend
 *       under {@code natives/<os>-<arch>/<backend>/}, tried in the order {@link #BACKENDS}
 *       (CUDA, Vulkan, Metal, CPU); a GPU variant is used only if it loads and ggml finds a device
 *       of its kind, otherwise the reason is logged and the next one is tried. A variant-less
 *       {@code natives/<os>-<arch>/} library comes last. The chosen file is extracted once to
 *       {@code ~/.cache/sdjava/natives/<sha256>/};</li>
 *   <li>{@link System#loadLibrary(String)} ({@code java.library.path}).</li>
 * </ol>
 * The system property {@value #BACKEND_PROPERTY} (else {@value #BACKEND_ENV}) restricts the choice to
 * one backend: {@code cuda}, {@code vulkan}, {@code metal} or {@code cpu} ({@code auto}, the
 * default, allows all). For the build output it picks the sibling {@code target/native/<backend>}.
 *
 * <p>When nothing is found, the {@link StableDiffusionException} lists every place it looked (with
 * why each variant was skipped) and the command that builds the library. The choice and every
 * skipped variant are logged at INFO, the other steps at DEBUG, on the {@code dev.sdjava}
 * {@link System.Logger}.
 *
 * <p>Thread-safe; loading happens at most once.
 */
public final class NativeLoader {
    /** System property naming the library file or its directory. */
    public static final String PATH_PROPERTY = "sdjava.library.path";
    /** Environment variable naming the library file or its directory. */
    public static final String PATH_ENV = "SDJAVA_LIBRARY_PATH";
    /** System property restricting the choice to one backend ({@code auto}: any). */
    public static final String BACKEND_PROPERTY = "sdjava.backend";
    /** Environment variable restricting the choice to one backend. */
    public static final String BACKEND_ENV = "SDJAVA_BACKEND";
    /** Base name of the library, as CMake builds it. */
    public static final String LIBRARY_NAME = "stable-diffusion";
    /** The backends a variant can be built for, most preferred first. */
    public static final List<String> BACKENDS = List.of("cuda", "vulkan", "metal", "cpu");
    /** The backend reported when the loaded library does not say which it is. */
    public static final String UNKNOWN_BACKEND = "unknown";

    private static final System.Logger LOG = System.getLogger("dev.sdjava");
    private static volatile Loaded loaded;

    /** Where the library came from, which backend it was built for, and why it was taken. */
    public record Loaded(String from, String backend, String why) {
    }

    private NativeLoader() {
    }

    /**
     * Loads the library if it is not loaded yet.
     *
     * @return where the library was loaded from (a path, or {@code java.library.path})
     * @throws StableDiffusionException of kind {@link StableDiffusionException.Kind#LIBRARY_NOT_FOUND}
     *         when no place has it, or {@link StableDiffusionException.Kind#LIBRARY_LOAD_FAILED}
     *         when a file was found but could not be loaded
     */
    public static String load() {
        return loaded().from();
    }

    /**
     * The backend the loaded library was built for (loads it if needed): one of {@link #BACKENDS},
     * or {@value #UNKNOWN_BACKEND} for a library that carries no record of it (from
     * {@code java.library.path}, or a file without the build's {@code sdjava-native.properties}).
     * A GPU build whose device is missing still runs, on ggml's CPU backend; {@link Device#list()}
     * says which devices it actually sees.
     *
     * @throws StableDiffusionException as {@link #load()}
     */
    public static String backend() {
        return loaded().backend();
    }

    private static Loaded loaded() {
        Loaded l = loaded;
        if (l != null) {
            return l;
        }
        synchronized (NativeLoader.class) {
            if (loaded == null) {
                loaded = find();
                // DEBUG, not INFO: the JDK's default logger spends ~60 ms of a first load() setting up
                // its date formatting for this one line; backend() and from() tell the same.
                LOG.log(System.Logger.Level.DEBUG, "sdjava: using the {0} library {1} ({2})",
                        loaded.backend(), loaded.from(), loaded.why());
            }
            return loaded;
        }
    }

    /** {@code <os>-<arch>} as used under {@code natives/} in jars, e.g. {@code linux-x86_64}. */
    public static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String o = os.contains("mac") || os.contains("darwin") ? "macos" : os.contains("win") ? "windows" : "linux";
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return o + "-" + a;
    }

    /** The file name of the library on this OS, e.g. {@code libstable-diffusion.so}. */
    public static String libraryFileName() {
        return System.mapLibraryName(LIBRARY_NAME);
    }

    private static Loaded find() {
        List<String> looked = new ArrayList<>();
        String file = libraryFileName();
        String only = backendOverride();

        String explicit = System.getProperty(PATH_PROPERTY);
        String source = "-D" + PATH_PROPERTY;
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getenv(PATH_ENV);
            source = "$" + PATH_ENV;
        }
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            Path lib = Files.isDirectory(p) ? p.resolve(file) : p;
            if (Files.isRegularFile(lib)) {
                return new Loaded(loadFile(lib), recordedBackend(lib), "set by " + source);
            }
            // An explicit choice that does not exist is a configuration error, not a reason to guess.
            throw new StableDiffusionException(StableDiffusionException.Kind.LIBRARY_NOT_FOUND,
                    source + " is set to " + explicit + " but " + lib + " does not exist");
        }
        looked.add("-D" + PATH_PROPERTY + " / $" + PATH_ENV + " (not set)");

        Path built = buildOutput();
        if (built != null) {
            // The build output is one backend's folder; -Dsdjava.backend picks a sibling build.
            Path dir = only == null ? built : built.resolveSibling(only);
            Path lib = dir.resolve("bin").resolve(file);
            if (Files.isRegularFile(lib)) {
                return new Loaded(loadFile(lib), recordedBackend(lib), "build output");
            }
            looked.add(lib + " (build output; not built)");
        } else {
            looked.add("build output (this jar records none)");
        }

        Loaded fromJar = fromClassPath(NativeLoader.class.getClassLoader(), platform(), only,
                Path.of(System.getProperty("user.home"), ".cache", "sdjava", "natives"),
                NativeLoader::probe, NativeLoader::loadFile, looked);
        if (fromJar != null) {
            return fromJar;
        }

        try {
            System.loadLibrary(LIBRARY_NAME);
            return new Loaded("java.library.path", UNKNOWN_BACKEND, "System.loadLibrary");
        } catch (UnsatisfiedLinkError e) {
            looked.add("java.library.path=" + System.getProperty("java.library.path") + " (" + e.getMessage() + ")");
        }
        boolean failed = looked.stream().anyMatch(l -> l.contains("(skipped: "));
        throw new StableDiffusionException(failed ? StableDiffusionException.Kind.LIBRARY_LOAD_FAILED
                : StableDiffusionException.Kind.LIBRARY_NOT_FOUND,
                "the native library " + file + (only == null ? "" : " for backend " + only)
                        + " was not found or could not start. Looked in:\n  - " + String.join("\n  - ", looked)
                        + "\nBuild it with: mvn -DskipTests install   (or point -D" + PATH_PROPERTY + " at it)");
    }

    /** The backend named by -Dsdjava.backend / $SDJAVA_BACKEND, or null for any. */
    public static String backendOverride() {
        String v = System.getProperty(BACKEND_PROPERTY);
        String source = "-D" + BACKEND_PROPERTY;
        if (v == null || v.isBlank()) {
            v = System.getenv(BACKEND_ENV);
            source = "$" + BACKEND_ENV;
        }
        if (v == null || v.isBlank() || v.strip().equalsIgnoreCase("auto")) {
            return null;
        }
        String b = v.strip().toLowerCase(Locale.ROOT);
        if (!BACKENDS.contains(b)) {
            throw new StableDiffusionException(StableDiffusionException.Kind.LIBRARY_NOT_FOUND,
                    source + " is " + v + "; expected auto, " + String.join(", ", BACKENDS));
        }
        return b;
    }

    /** Checks a GPU variant before it is loaded for good. */
    @FunctionalInterface
    public interface Probe {
        Result check(String backend, Path lib);

        /** {@code usable}, and what was found (the devices) or why it cannot start. */
        public record Result(boolean usable, String detail) {
        }
    }

    /**
     * The class-path step: each backend's variant in {@link #BACKENDS} order (only {@code only} if
     * not null), then the variant-less library. A GPU variant must pass {@code probe}; a variant
     * that fails either is logged with its reason and the next one is tried. {@code start} loads
     * the chosen file ({@link #loadFile} outside tests) and throws to reject it.
     *
     * @return the variant started, or null when none could be (reasons appended to {@code looked})
     */
    public static Loaded fromClassPath(ClassLoader cl, String platform, String only, Path cacheRoot,
                                Probe probe, Function<Path, String> start, List<String> looked) {
        String file = libraryFileName();
        List<String> skipped = new ArrayList<>();
        for (String backend : BACKENDS) {
            if (only != null && !only.equals(backend)) {
                continue;
            }
            String resource = "natives/" + platform + "/" + backend + "/" + file;
            if (cl.getResource(resource) == null) {
                looked.add("class path " + resource + " (absent)");
                LOG.log(System.Logger.Level.DEBUG, "sdjava: no {0} variant on the class path ({1})", backend, resource);
                continue;
            }
            String reason;
            try {
                Path lib = extract(cl, resource, cacheRoot);
                Probe.Result r = backend.equals("cpu") ? new Probe.Result(true, "") : probe.check(backend, lib);
                if (r.usable()) {
                    String from = start.apply(lib);
                    String why = "class path " + resource
                            + (only != null ? ", the backend " + BACKEND_PROPERTY + " asks for" : ", preference order " + BACKENDS)
                            + (skipped.isEmpty() ? "" : ", after skipping " + String.join(", ", skipped))
                            + (r.detail().isEmpty() ? "" : "; " + r.detail());
                    return new Loaded(from, backend, why);
                }
                reason = r.detail();
            } catch (IOException | UncheckedIOException e) {
                reason = "could not extract it: " + e.getMessage();
            } catch (StableDiffusionException e) {
                reason = e.getMessage();
            }
            LOG.log(System.Logger.Level.INFO, "sdjava: skipping the {0} library ({1}): {2}", backend, resource, reason);
            skipped.add(backend);
            looked.add("class path " + resource + " (skipped: " + reason + ")");
        }
        if (only == null) {
            String resource = "natives/" + platform + "/" + file;
            if (cl.getResource(resource) != null) {
                try {
                    Path lib = extract(cl, resource, cacheRoot);
                    return new Loaded(start.apply(lib), UNKNOWN_BACKEND, "class path " + resource);
                } catch (IOException | UncheckedIOException e) {
                    throw new StableDiffusionException(StableDiffusionException.Kind.LIBRARY_LOAD_FAILED,
                            "could not extract " + resource + " from the class path: " + e.getMessage(), e);
                }
            }
            looked.add("class path resource " + resource + " (absent)");
        }
        return null;
    }

    /**
     * Opens a GPU variant on its own (dlopen, closed again afterwards) and asks ggml's device
     * registry for devices of its kind. ggml's registry is not in stable-diffusion.h, so the
     * generated bindings do not cover it; the few functions needed are bound here by hand.
     * A variant with no device would still run, on ggml's CPU backend, but then the CPU variant
     * (built for it) is the better choice.
     */
    public static Probe.Result probe(String backend, Path lib) {
        Linker linker = Linker.nativeLinker();
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup l;
            try {
                l = SymbolLookup.libraryLookup(lib, arena);
            } catch (IllegalArgumentException e) {
                return new Probe.Result(false, "cannot be loaded: " + whatToDo(dlerror(lib, e.getMessage())));
            }
            Optional<MemorySegment> countFn = l.find("ggml_backend_dev_count");
            if (countFn.isEmpty()) {
                return new Probe.Result(false, "loads, but is not a stable-diffusion.cpp library (no ggml_backend_dev_count)");
            }
            MethodHandle count = linker.downcallHandle(countFn.get(), FunctionDescriptor.of(ValueLayout.JAVA_LONG));
            MethodHandle get = linker.downcallHandle(l.findOrThrow("ggml_backend_dev_get"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            MethodHandle type = linker.downcallHandle(l.findOrThrow("ggml_backend_dev_type"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            MethodHandle name = linker.downcallHandle(l.findOrThrow("ggml_backend_dev_name"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MethodHandle description = linker.downcallHandle(l.findOrThrow("ggml_backend_dev_description"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            List<String> gpus = new ArrayList<>();
            List<String> others = new ArrayList<>();
            long n = (long) count.invokeExact();
            for (long i = 0; i < n; i++) {
                MemorySegment dev = (MemorySegment) get.invokeExact(i);
                int t = (int) type.invokeExact(dev);
                String label = cString((MemorySegment) name.invokeExact(dev))
                        + " (" + cString((MemorySegment) description.invokeExact(dev)) + ")";
                // ggml_backend_dev_type: 0 CPU, 1 GPU, 2 IGPU, 3 ACCEL.
                (t == 1 || t == 2 ? gpus : others).add(label);
            }
            if (gpus.isEmpty()) {
                String hint = backend.equals("vulkan")
                        ? "; ggml-vulkan ignores CPU Vulkan devices such as lavapipe unless GGML_VK_VISIBLE_DEVICES is set" : "";
                return new Probe.Result(false, "loads, but ggml finds no " + backend + " device (only "
                        + (others.isEmpty() ? "none" : String.join(", ", others)) + ")" + hint);
            }
            return new Probe.Result(true, "devices: " + String.join(", ", gpus));
        } catch (Throwable t) {
            return new Probe.Result(false, "probing it failed: " + t);
        }
    }

    private static final String DRIVER_MISSING = "the NVIDIA driver (libcuda.so.1) is not installed: the CUDA variant "
            + "needs an NVIDIA GPU with driver R580 or newer (CUDA 13.0)";

    /**
     * dlopen's reason, led by what to install when it names a GPU library that comes from outside
     * (the NVIDIA driver, the CUDA runtime, the Vulkan loader). dlopen names only the first file it
     * misses, so a missing CUDA runtime also says whether the driver is missing too.
     */
    static String whatToDo(String dlerror) {
        if (dlerror.contains("libcuda.so.1")) {
            return DRIVER_MISSING + " (dlopen: " + dlerror + ")";
        }
        if (dlerror.contains("libcudart.so.13") || dlerror.contains("libcublas.so.13") || dlerror.contains("libcublasLt.so.13")) {
            return "the CUDA 13 runtime (libcudart.so.13, libcublas.so.13, libcublasLt.so.13) is not on the library path: "
                    + "install CUDA 13, or `pip install nvidia-cuda-runtime==13.0.* nvidia-cublas==13.0.*` "
                    + "and add its nvidia/cu13/lib to LD_LIBRARY_PATH"
                    + (canOpen("libcuda.so.1") ? "" : "; and " + DRIVER_MISSING)
                    + " (dlopen: " + dlerror + ")";
        }
        if (dlerror.contains("libvulkan.so.1")) {
            return "the Vulkan loader (libvulkan.so.1) is not installed: on Debian/Ubuntu apt-get install libvulkan1, "
                    + "plus a Vulkan driver for the GPU (dlopen: " + dlerror + ")";
        }
        return dlerror;
    }

    /** Whether the dynamic linker finds and opens {@code soname} (closed again at once). */
    static boolean canOpen(String soname) {
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup.libraryLookup(soname, arena);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String cString(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? "?" : p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** dlopen's own reason (missing dependency, bad ELF...), which libraryLookup does not carry. */
    private static String dlerror(Path lib, String fallback) {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> dlopen = linker.defaultLookup().find("dlopen");
        Optional<MemorySegment> dlerror = linker.defaultLookup().find("dlerror");
        Optional<MemorySegment> dlclose = linker.defaultLookup().find("dlclose");
        if (dlopen.isEmpty() || dlerror.isEmpty() || dlclose.isEmpty()) {
            return fallback;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment h = (MemorySegment) linker.downcallHandle(dlopen.get(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT))
                    .invokeExact(arena.allocateFrom(lib.toString()), 1 /* RTLD_LAZY */);
            if (!h.equals(MemorySegment.NULL)) {
                int ignored = (int) linker.downcallHandle(dlclose.get(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS)).invokeExact(h);
                return fallback;
            }
            MemorySegment msg = (MemorySegment) linker.downcallHandle(dlerror.get(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact();
            return msg.equals(MemorySegment.NULL) ? fallback : cString(msg);
        } catch (Throwable t) {
            return fallback;
        }
    }

    /** The backend recorded by the CMake build next to {@code bin/} ({@code sdjava-native.properties}). */
    public static String recordedBackend(Path lib) {
        Path bin = lib.toAbsolutePath().getParent();
        Path props = bin == null || bin.getParent() == null ? null : bin.getParent().resolve("sdjava-native.properties");
        if (props == null || !Files.isRegularFile(props)) {
            return UNKNOWN_BACKEND;
        }
        try (InputStream in = Files.newInputStream(props)) {
            Properties p = new Properties();
            p.load(in);
            String b = p.getProperty("backend", "").strip().toLowerCase(Locale.ROOT);
            return BACKENDS.contains(b) ? b : UNKNOWN_BACKEND;
        } catch (IOException e) {
            return UNKNOWN_BACKEND;
        }
    }

    /** The native build directory recorded by Maven when this jar was built, or null. */
    public static Path buildOutput() {
        try (InputStream in = NativeLoader.class.getResourceAsStream("native-build.properties")) {
            if (in == null) {
                return null;
            }
            Properties p = new Properties();
            p.load(in);
            String dir = p.getProperty("native.dir", "");
            return dir.isBlank() || dir.contains("${") ? null : Path.of(dir);
        } catch (IOException e) {
            return null;
        }
    }

    private static String loadFile(Path lib) {
        try {
            System.load(lib.toAbsolutePath().toString());
            return lib.toAbsolutePath().toString();
        } catch (UnsatisfiedLinkError e) {
            throw new StableDiffusionException(StableDiffusionException.Kind.LIBRARY_LOAD_FAILED,
                    "found " + lib + " but could not load it: " + e.getMessage(), e);
        }
    }

    /** Copies a library out of the class path into a directory named by its content hash. */
    public static Path extract(ClassLoader cl, String resource, Path cacheRoot) throws IOException {
        byte[] bytes;
        try (InputStream in = cl.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " vanished from the class path");
            }
            bytes = in.readAllBytes();
        }
        String file = resource.substring(resource.lastIndexOf('/') + 1);
        String sha;
        try {
            sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path dir = cacheRoot.resolve(sha);
        Path target = dir.resolve(file);
        if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
            return target;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file, ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | UncheckedIOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return target;
    }
}
