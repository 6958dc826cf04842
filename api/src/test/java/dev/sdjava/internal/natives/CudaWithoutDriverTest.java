package dev.sdjava.internal.natives;

import dev.sdjava.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * A CUDA variant on a machine without the NVIDIA driver (CI and the build machines): the loader's
 * real probe skips it with a reason that says what to install, and the CPU variant is taken.
 *
 * <p>The CUDA library is the real CUDA build when {@code target/native/cuda/bin} has one (CI copies
 * it from native/cached-build.sh's cache), else a stand-in compiled here with {@code cc} that needs
 * what the real one needs: libcudart.so.13 and libcublas.so.13 (linked against the toolkit
 * native/cuda-toolkit.sh assembles; libcublas needs libcublasLt.so.13 in turn) and libcuda.so.1
 * (its link-time stub; the driver's file at run time), in that order. Each test's name says which one it used. The CUDA runtime is made present by
 * {@link System#load} of the toolkit's own files, whose sonames then satisfy the library's needs.
 * The two cases run in this order: a JVM cannot unload the runtime again.
 */
class CudaWithoutDriverTest {
    private static final String PLATFORM = NativeLoader.platform();
    private static final List<String> CUDA_RUNTIME = List.of("libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13");

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> theCudaVariantIsSkippedWithTheReasonAndCpuIsTaken() throws Exception {
        assumeFalse(NativeLoader.canOpen("libcuda.so.1"), "this machine has an NVIDIA driver (libcuda.so.1): the no-driver case cannot be shown here");
        Path root = Fixtures.nativeDir().resolve("../../..").normalize();
        Path toolkit = Path.of(lastLine(run(root, "bash", "native/cuda-toolkit.sh")));
        Path standIn = standIn(toolkit);
        Path real = root.resolve("target/native/cuda/bin").resolve(NativeLoader.libraryFileName());
        Path cuda = Files.isRegularFile(real) ? real : standIn;
        String which = cuda.equals(real) ? "the real CUDA build " + real : "a stand-in built with cc (no " + real + ")";
        System.out.println("CudaWithoutDriverTest: the CUDA library is " + which);

        return Stream.of(
                DynamicTest.dynamicTest("no CUDA runtime on the library path, a stand-in built with cc: the runtime and the driver are named", () -> {
                    assumeFalse(NativeLoader.canOpen("libcudart.so.13"), "this machine has the CUDA runtime on its library path");
                    String reason = skipReasonAndCpuTaken(standIn);
                    assertTrue(reason.contains("the CUDA 13 runtime (libcudart.so.13, libcublas.so.13, libcublasLt.so.13) is not on the library path"), reason);
                    assertTrue(reason.contains("pip install nvidia-cuda-runtime==13.0.* nvidia-cublas==13.0.*"), reason);
                    assertTrue(reason.contains("and the NVIDIA driver (libcuda.so.1) is not installed"), reason);
                    assertTrue(reason.contains("(dlopen: ") && reason.contains("libcudart.so.13: cannot open shared object file"), reason);
                }),
                DynamicTest.dynamicTest("the CUDA runtime present, no driver, " + which + ": the driver is named", () -> {
                    List<String> needed = needed(cuda);
                    List<String> cudaNeeds = needed.stream().filter(l -> l.startsWith("libcu")).toList();
                    assertEquals(List.of("libcudart.so.13", "libcublas.so.13", "libcuda.so.1"), cudaNeeds, cuda + " needs " + needed);
                    if (cuda.equals(real)) {
                        String symbols = run(root, "nm", "-D", "--defined-only", cuda.toString());
                        assertTrue(symbols.contains(" ggml_backend_cuda_init"), "the real build exports ggml-cuda's entry points");
                    }
                    for (String lib : CUDA_RUNTIME) {
                        System.load(toolkit.resolve("lib64").resolve(lib).toString());
                    }
                    String reason = skipReasonAndCpuTaken(cuda);
                    assertTrue(reason.startsWith("cannot be loaded: the NVIDIA driver (libcuda.so.1) is not installed: "
                            + "the CUDA variant needs an NVIDIA GPU with driver R580 or newer (CUDA 13.0)"), reason);
                    assertTrue(reason.contains("(dlopen: libcuda.so.1: cannot open shared object file"), reason);
                    assertFalse(reason.contains("runtime"), "the runtime is there now: " + reason);
                }));
    }

    /**
     * natives/&lt;platform&gt;/cuda/ holding {@code cuda} and natives/&lt;platform&gt;/cpu/ the CPU
     * build, through {@link NativeLoader#fromClassPath} with the real probe. The chosen file is
     * recorded, not loaded (this JVM already has the CPU library). Returns the cuda skip reason.
     */
    private String skipReasonAndCpuTaken(Path cuda) throws IOException {
        Path cp = Files.createTempDirectory(tmp, "cp");
        Path dir = cp.resolve("natives").resolve(PLATFORM);
        String file = NativeLoader.libraryFileName();
        Files.createDirectories(dir.resolve("cuda"));
        Files.createDirectories(dir.resolve("cpu"));
        Files.copy(cuda, dir.resolve("cuda").resolve(file));
        Path cpu = Fixtures.nativeDir().resolveSibling("cpu").resolve("bin").resolve(file);
        Files.copy(cpu, dir.resolve("cpu").resolve(file));
        List<String> looked = new ArrayList<>();
        List<Path> started = new ArrayList<>();
        NativeLoader.Loaded chosen;
        try (URLClassLoader cl = new URLClassLoader(new URL[] {cp.toUri().toURL()}, null)) {
            chosen = NativeLoader.fromClassPath(cl, PLATFORM, null, tmp.resolve("cache"), NativeLoader::probe, lib -> {
                started.add(lib);
                return lib.toString();
            }, looked);
        }
        assertNotNull(chosen, looked.toString());
        assertEquals("cpu", chosen.backend(), chosen.why());
        assertTrue(chosen.why().contains("after skipping cuda"), chosen.why());
        assertEquals(1, started.size(), "only the CPU variant is started: " + started);
        assertEquals(Files.size(cpu), Files.size(started.getFirst()));
        String prefix = "class path natives/" + PLATFORM + "/cuda/" + file + " (skipped: ";
        String skip = looked.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(looked.toString()));
        System.out.println("CudaWithoutDriverTest: " + skip);
        return skip.substring(prefix.length(), skip.length() - 1);
    }

    /** A library that needs what the CUDA build needs, calling into each (so it links as the real one does). */
    private Path standIn(Path toolkit) throws IOException, InterruptedException {
        Path c = tmp.resolve("cuda_stand_in.c");
        Files.writeString(c, """
                /* Stand-in for the CUDA build of libstable-diffusion: the same CUDA libraries, nothing of ggml. */
                int cudaGetDeviceCount(int *count);
                int cublasCreate_v2(void **handle);
                int cuInit(unsigned int flags);
                int sdjava_cuda_stand_in(void) {
                    int n = 0;
                    void *h;
                    return cuInit(0) + cublasCreate_v2(&h) + cudaGetDeviceCount(&n);
                }
                """);
        Path lib = tmp.resolve("stand-in").resolve(NativeLoader.libraryFileName());
        Files.createDirectories(lib.getParent());
        Path lib64 = toolkit.resolve("lib64");
        run(tmp, "cc", "-shared", "-fPIC", "-o", lib.toString(), c.toString(),
                "-L" + lib64, "-L" + lib64.resolve("stubs"), "-Wl,--no-as-needed", "-lcudart", "-lcublas", "-lcuda");
        return lib;
    }

    /** The DT_NEEDED entries of an ELF file, as readelf prints them. */
    private static List<String> needed(Path lib) throws IOException, InterruptedException {
        return run(lib.getParent(), "readelf", "-d", lib.toString()).lines()
                .filter(l -> l.contains("(NEEDED)"))
                .map(l -> l.substring(l.indexOf('[') + 1, l.lastIndexOf(']')))
                .toList();
    }

    private static String lastLine(String s) {
        List<String> lines = s.strip().lines().toList();
        return lines.getLast().strip();
    }

    /** Runs a command that must succeed within 10 minutes (the toolkit's first fetch); returns its stdout. */
    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("cmd", ".out");
        Path err = Files.createTempFile("cmd", ".err");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", command));
            }
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ":\n"
                        + Files.readString(err, StandardCharsets.UTF_8)
                        + (command[1].endsWith("cuda-toolkit.sh") ? "\n(native/cuda-toolkit.sh fetches the CUDA toolkit "
                        + "from PyPI once; run it with network access first)" : ""));
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
