package dev.sdjava.internal.natives;

import dev.sdjava.Fixtures;
import dev.sdjava.StableDiffusionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loader's choice among per-backend variants on the class path, run on fake variant
 * directories: which one it takes, in which order, and the reason it logs for each one it skips.
 * The chosen file is recorded instead of loaded (a JVM keeps the first library it loads).
 */
class NativeLoaderTest {
    private static final String PLATFORM = "linux-x86_64";

    @TempDir
    Path tmp;

    private final List<String> logged = new ArrayList<>();
    private final List<Path> started = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            logged.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void captureLog() {
        Logger.getLogger("dev.sdjava").addHandler(capture);
    }

    @AfterEach
    void releaseLog() {
        Logger.getLogger("dev.sdjava").removeHandler(capture);
    }

    /** A directory holding natives/linux-x86_64/[backend/]libstable-diffusion.so with {@code content}. */
    private Path variant(String backend, byte[] content) throws IOException {
        Path dir = tmp.resolve("cp").resolve("natives").resolve(PLATFORM);
        if (backend != null) {
            dir = dir.resolve(backend);
        }
        Files.createDirectories(dir);
        return Files.write(dir.resolve(NativeLoader.libraryFileName()), content);
    }

    private NativeLoader.Loaded choose(String only, NativeLoader.Probe probe, List<String> looked) throws IOException {
        Files.createDirectories(tmp.resolve("cp"));
        try (URLClassLoader cl = new URLClassLoader(new URL[] {tmp.resolve("cp").toUri().toURL()}, null)) {
            return NativeLoader.fromClassPath(cl, PLATFORM, only, tmp.resolve("cache"), probe, lib -> {
                started.add(lib);
                return lib.toString();
            }, looked);
        }
    }

    /** Long enough that dlopen reads a whole ELF header and rejects it as such. */
    private static final byte[] NOT_A_LIBRARY = "this is not a shared object\n".repeat(10).getBytes();
    private static final byte[] CPU = "fake cpu variant".getBytes();

    @Test
    void skipsAnUnloadableCudaAndADevicelessVulkanWithReasonsThenTakesCpu() throws IOException {
        variant("cuda", NOT_A_LIBRARY);
        // A real Vulkan-less ggml library: it loads, and ggml finds only the CPU.
        variant("vulkan", Files.readAllBytes(Fixtures.nativeDir().resolve("bin").resolve(NativeLoader.libraryFileName())));
        variant("cpu", CPU);
        List<String> looked = new ArrayList<>();

        NativeLoader.Loaded chosen = choose(null, NativeLoader::probe, looked);

        assertNotNull(chosen);
        assertEquals("cpu", chosen.backend());
        assertEquals(1, started.size(), "only the chosen variant is started");
        assertEquals(new String(CPU), Files.readString(started.getFirst()), "the cpu variant's file was started");
        assertTrue(chosen.why().contains("after skipping cuda, vulkan"), chosen.why());
        // Order and reasons, as logged.
        List<String> skips = logged.stream().filter(l -> l.startsWith("sdjava: skipping")).toList();
        assertEquals(2, skips.size(), logged.toString());
        assertTrue(skips.get(0).startsWith("sdjava: skipping the cuda library"), skips.get(0));
        assertTrue(skips.get(0).contains("cannot be loaded"), skips.get(0));
        if (NativeLoader.platform().startsWith("linux")) {
            assertTrue(skips.get(0).contains("invalid ELF header"), "dlopen's own reason is logged: " + skips.get(0));
        }
        assertTrue(skips.get(1).startsWith("sdjava: skipping the vulkan library"), skips.get(1));
        assertTrue(skips.get(1).contains("ggml finds no vulkan device (only CPU"), skips.get(1));
        assertTrue(skips.get(1).contains("GGML_VK_VISIBLE_DEVICES"), "the lavapipe hint: " + skips.get(1));
        assertTrue(looked.stream().anyMatch(l -> l.contains("cuda/") && l.contains("skipped: cannot be loaded")), looked.toString());
    }

    @Test
    void prefersCudaThenVulkanThenMetalThenCpu() throws IOException {
        NativeLoader.Probe everyGpuWorks = (backend, lib) -> new NativeLoader.Probe.Result(true, "devices: " + backend + "0");
        for (String b : List.of("cpu", "metal", "vulkan", "cuda")) {
            variant(b, b.getBytes());
            NativeLoader.Loaded chosen = choose(null, everyGpuWorks, new ArrayList<>());
            assertEquals(b, chosen.backend(), "with " + b + " added, it is the best present");
            assertEquals(b, Files.readString(started.getLast()));
        }
        assertTrue(logged.stream().noneMatch(l -> l.startsWith("sdjava: skipping")), logged.toString());
    }

    @Test
    void aVariantThatPassesTheProbeButFailsToLoadFallsBack() throws IOException {
        variant("vulkan", NOT_A_LIBRARY);
        variant("cpu", CPU);
        NativeLoader.Probe lies = (backend, lib) -> new NativeLoader.Probe.Result(true, "devices: Vulkan0");
        List<Path> tried = new ArrayList<>();
        Files.createDirectories(tmp.resolve("cp"));
        NativeLoader.Loaded chosen;
        try (URLClassLoader cl = new URLClassLoader(new URL[] {tmp.resolve("cp").toUri().toURL()}, null)) {
            chosen = NativeLoader.fromClassPath(cl, PLATFORM, null, tmp.resolve("cache"), lies, lib -> {
                tried.add(lib);
                if (tried.size() == 1) {
                    // What System.load says about a file that is not a library.
                    throw new StableDiffusionException(StableDiffusionException.Kind.LIBRARY_LOAD_FAILED,
                            "found " + lib + " but could not load it: invalid ELF header");
                }
                return lib.toString();
            }, new ArrayList<>());
        }
        assertEquals("cpu", chosen.backend());
        assertEquals(2, tried.size());
        assertTrue(logged.stream().anyMatch(l -> l.startsWith("sdjava: skipping the vulkan library") && l.contains("invalid ELF header")),
                logged.toString());
    }

    @Test
    void aBackendOverrideConsidersOnlyThatBackend() throws IOException {
        variant("cuda", NOT_A_LIBRARY);
        variant("cpu", CPU);
        List<String> looked = new ArrayList<>();
        assertNull(choose("cuda", NativeLoader::probe, looked), "no fallback to cpu when cuda is asked for");
        assertTrue(started.isEmpty());
        assertEquals(1, looked.size(), looked.toString());
        assertTrue(looked.getFirst().contains("cuda") && looked.getFirst().contains("skipped: cannot be loaded"), looked.toString());

        NativeLoader.Loaded cpu = choose("cpu", NativeLoader::probe, new ArrayList<>());
        assertEquals("cpu", cpu.backend());
        assertTrue(cpu.why().contains("the backend sdjava.backend asks for"), cpu.why());
    }

    @Test
    void aVariantlessLibraryComesLastWithAnUnknownBackend() throws IOException {
        variant(null, CPU);
        List<String> looked = new ArrayList<>();
        NativeLoader.Loaded chosen = choose(null, NativeLoader::probe, looked);
        assertEquals(NativeLoader.UNKNOWN_BACKEND, chosen.backend());
        assertEquals(4, looked.size(), "each backend's place was looked at first: " + looked);
    }

    @Test
    void nothingOnTheClassPathGivesNullAndListsEveryPlace() throws IOException {
        List<String> looked = new ArrayList<>();
        assertNull(choose(null, NativeLoader::probe, looked));
        assertEquals(5, looked.size(), looked.toString());
        assertTrue(looked.getFirst().contains("natives/linux-x86_64/cuda/"), looked.toString());
    }

    @Test
    void theBuildRecordsItsBackendNextToBin() {
        Path lib = Fixtures.nativeDir().resolve("bin").resolve(NativeLoader.libraryFileName());
        String dirName = Fixtures.nativeDir().getFileName().toString();
        assertEquals(dirName, NativeLoader.recordedBackend(lib));
        assertEquals(NativeLoader.UNKNOWN_BACKEND, NativeLoader.recordedBackend(tmp.resolve("x").resolve(NativeLoader.libraryFileName())));
    }

    @Test
    void anUnknownBackendOverrideIsAnError() {
        String old = System.getProperty(NativeLoader.BACKEND_PROPERTY);
        try {
            System.setProperty(NativeLoader.BACKEND_PROPERTY, "opencl");
            StableDiffusionException e = assertThrows(StableDiffusionException.class, NativeLoader::backendOverride);
            assertTrue(e.getMessage().contains("expected auto, cuda, vulkan, metal, cpu"), e.getMessage());
            System.setProperty(NativeLoader.BACKEND_PROPERTY, "Auto");
            assertNull(NativeLoader.backendOverride());
            System.setProperty(NativeLoader.BACKEND_PROPERTY, "VULKAN");
            assertEquals("vulkan", NativeLoader.backendOverride());
        } finally {
            if (old == null) {
                System.clearProperty(NativeLoader.BACKEND_PROPERTY);
            } else {
                System.setProperty(NativeLoader.BACKEND_PROPERTY, old);
            }
        }
    }
}
