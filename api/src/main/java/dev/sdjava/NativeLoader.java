package dev.sdjava;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Finds and loads the native stable-diffusion.cpp library, once per JVM.
 *
 * <p>Places are tried in this order, and the first that has the library wins:
 * <ol>
 *   <li>the system property {@value #PATH_PROPERTY}, else the environment variable
 *       {@value #PATH_ENV}: a library file or a directory holding it;</li>
 *   <li>the build output this jar was compiled with ({@code target/native/<backend>/bin});</li>
 *   <li>{@code natives/<os>-<arch>/} inside the class path (a runnable jar), extracted once to
 *       {@code ~/.cache/sdjava/natives/<sha256>/};</li>
 *   <li>{@link System#loadLibrary(String)} ({@code java.library.path}).</li>
 * </ol>
 * When nothing is found, the {@link StableDiffusionException} lists every place it looked and
 * the command that builds the library. Each step is logged at DEBUG on the
 * {@code dev.sdjava} {@link System.Logger}.
 *
 * <p>Thread-safe; loading happens at most once.
 */
public final class NativeLoader {
    /** System property naming the library file or its directory. */
    public static final String PATH_PROPERTY = "sdjava.library.path";
    /** Environment variable naming the library file or its directory. */
    public static final String PATH_ENV = "SDJAVA_LIBRARY_PATH";
    /** Base name of the library, as CMake builds it. */
    public static final String LIBRARY_NAME = "stable-diffusion";

    private static final System.Logger LOG = System.getLogger("dev.sdjava");
    private static volatile String loadedFrom;

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
        String from = loadedFrom;
        if (from != null) {
            return from;
        }
        synchronized (NativeLoader.class) {
            if (loadedFrom == null) {
                loadedFrom = find();
                LOG.log(System.Logger.Level.DEBUG, "sdjava: loaded native library from {0}", loadedFrom);
            }
            return loadedFrom;
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

    private static String find() {
        List<String> looked = new ArrayList<>();
        String file = libraryFileName();

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
                return loadFile(lib);
            }
            // An explicit choice that does not exist is a configuration error, not a reason to guess.
            throw new StableDiffusionException(StableDiffusionException.Kind.LIBRARY_NOT_FOUND,
                    source + " is set to " + explicit + " but " + lib + " does not exist");
        }
        looked.add(source + " / $" + PATH_ENV + " (not set)");

        Path built = buildOutput();
        if (built != null) {
            Path lib = built.resolve("bin").resolve(file);
            if (Files.isRegularFile(lib)) {
                return loadFile(lib);
            }
            looked.add(lib + " (build output; not built)");
        } else {
            looked.add("build output (this jar records none)");
        }

        String resource = "natives/" + platform() + "/" + file;
        try (InputStream in = NativeLoader.class.getClassLoader().getResourceAsStream(resource)) {
            if (in != null) {
                return loadFile(extract(in, file));
            }
        } catch (IOException e) {
            throw new StableDiffusionException(StableDiffusionException.Kind.LIBRARY_LOAD_FAILED,
                    "could not extract " + resource + " from the class path: " + e.getMessage(), e);
        }
        looked.add("class path resource " + resource + " (absent)");

        try {
            System.loadLibrary(LIBRARY_NAME);
            return "java.library.path";
        } catch (UnsatisfiedLinkError e) {
            looked.add("java.library.path=" + System.getProperty("java.library.path") + " (" + e.getMessage() + ")");
        }
        throw new StableDiffusionException(StableDiffusionException.Kind.LIBRARY_NOT_FOUND,
                "the native library " + file + " was not found. Looked in:\n  - " + String.join("\n  - ", looked)
                        + "\nBuild it with: mvn -DskipTests install   (or point -D" + PATH_PROPERTY + " at it)");
    }

    /** The native build directory recorded by Maven when this jar was built, or null. */
    static Path buildOutput() {
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

    /** Copies the library out of the jar into a directory named by its content hash. */
    private static Path extract(InputStream in, String file) throws IOException {
        byte[] bytes = in.readAllBytes();
        String sha;
        try {
            sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "sdjava", "natives", sha);
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
