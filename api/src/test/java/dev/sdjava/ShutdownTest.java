package dev.sdjava;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exits. (1) A JVM that exits while sd.cpp generates: System.exit from the main thread while a
 * daemon thread is in the middle of sampling. Without sdjava's shutdown hook the C library's exit
 * handlers destroy ggml's static objects under the running compute threads (SIGSEGV at exit, exit
 * code 134, an hs_err file); with it, exit cancels the generation, waits for sd.cpp to return, and
 * the process ends with its own code, promptly. (2) A JVM with open in-process and isolated
 * contexts that are not generating exits within 2 s.
 */
class ShutdownTest {
    @TempDir
    Path tmp;

    /** The child process: starts a generation, and exits with 7 once sampling has begun. */
    public static void main(String[] args) throws Exception {
        if (args.length > 1 && args[1].equals("idle")) {
            idle(Path.of(args[0]));
            return;
        }
        StableDiffusion sd = StableDiffusion.load(ModelConfig.builder().model(Path.of(args[0])).threads(2).build());
        CountDownLatch sampling = new CountDownLatch(1);
        Thread t = new Thread(() -> sd.generate(GenerationRequest.builder("a cat").size(64, 64).steps(200).seed(1)
                .progress((step, total, s) -> {
                    System.out.println("step " + step + "/" + total);
                    sampling.countDown();
                }).build()));
        t.setDaemon(true);
        t.start();
        sampling.await();
        System.out.println("exiting during sampling at " + System.nanoTime());
        System.exit(7);
    }

    /** The child process: an in-process and an isolated context, both used once and left open; exits with 0. */
    private static void idle(Path model) {
        ModelConfig config = ModelConfig.builder().model(model).threads(2).build();
        StableDiffusion in = StableDiffusion.load(config);
        StableDiffusion isolated = StableDiffusion.loadIsolated(config);
        GenerationRequest r = GenerationRequest.builder("a cat").size(64, 64).steps(1).seed(1).build();
        in.generate(r);
        isolated.generate(r);
        System.out.println("exiting idle at " + System.nanoTime());
        System.out.flush();
        System.exit(0);
    }

    private static Process child(Path log, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:ErrorFile=" + log.resolveSibling("hs_err_pid%p.log"),
                "-XX:-CreateCoredumpOnCrash", "-cp", System.getProperty("java.class.path"),
                ShutdownTest.class.getName(), Fixtures.sd1().toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(log.getParent().toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
    }

    /** Seconds from the child's "exiting ... at NANOS" line (System.nanoTime is one clock per machine) to now. */
    private static double secondsSinceExitCall(String out) {
        long at = Long.parseLong(out.lines().filter(l -> l.startsWith("exiting")).findFirst().orElseThrow()
                .replaceAll(".* at ", "").strip());
        return (System.nanoTime() - at) / 1e9;
    }

    @Test
    void aJvmWithOpenIdleContextsExitsWithinTwoSeconds() throws Exception {
        Path log = tmp.resolve("idle.log");
        Process p = child(log, "idle");
        // Watch for the line, then for the exit: the exit alone is what is timed.
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (!Files.readString(log).contains("exiting idle") && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child did not exit");
        double exitS = secondsSinceExitCall(Files.readString(log));
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        assertTrue(exitS < 2, "System.exit took " + exitS + " s; output:\n" + out);
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList(), out);
        }
    }

    @Test
    void exitDuringAGenerationWaitsForSdCppAndExitsWithItsOwnCode() throws Exception {
        Path log = tmp.resolve("child.log");
        Process p = child(log);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the child did not exit");
        double exitS = secondsSinceExitCall(Files.readString(log));
        String out = Files.readString(log);
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList(),
                    "JVM crash report; output:\n" + out);
        }
        assertEquals(7, p.exitValue(), "exit code; output:\n" + out);
        assertTrue(out.contains("exiting during sampling"), out);
        // The hook cancelled the generation instead of waiting for its 200 steps (minutes).
        assertFalse(out.contains("step 200/200"), out);
        assertTrue(exitS < 10, "exit took " + exitS + " s; output:\n" + out);
    }
}
