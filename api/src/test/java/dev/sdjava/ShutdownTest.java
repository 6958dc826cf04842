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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM that exits while sd.cpp generates: System.exit from the main thread while a daemon thread
 * is in the middle of sampling. Without sdjava's shutdown hook the C library's exit handlers
 * destroy ggml's static objects under the running compute threads (SIGSEGV at exit, exit code 134,
 * an hs_err file); with it, exit waits for the generation and the process ends with its own code.
 */
class ShutdownTest {
    @TempDir
    Path tmp;

    /** The child process: starts a generation, and exits with 7 once sampling has begun. */
    public static void main(String[] args) throws Exception {
        StableDiffusion sd = StableDiffusion.load(ModelConfig.builder().model(Path.of(args[0])).threads(2).build());
        CountDownLatch sampling = new CountDownLatch(1);
        Thread t = new Thread(() -> sd.generate(GenerationRequest.builder("a cat").size(64, 64).steps(4).seed(1)
                .progress((step, total, s) -> {
                    System.out.println("step " + step + "/" + total);
                    sampling.countDown();
                }).build()));
        t.setDaemon(true);
        t.start();
        sampling.await();
        System.out.println("exiting during sampling");
        System.exit(7);
    }

    @Test
    void exitDuringAGenerationWaitsForSdCppAndExitsWithItsOwnCode() throws Exception {
        Path log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:ErrorFile=" + tmp.resolve("hs_err_pid%p.log"),
                "-XX:-CreateCoredumpOnCrash", "-cp", System.getProperty("java.class.path"),
                ShutdownTest.class.getName(), Fixtures.sd1().toString()))
                .directory(tmp.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the child did not exit");
        String out = Files.readString(log);
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList(),
                    "JVM crash report; output:\n" + out);
        }
        assertEquals(7, p.exitValue(), "exit code; output:\n" + out);
        assertTrue(out.contains("exiting during sampling"), out);
        // The hook waited: sampling reached its last step before the JVM went down (without the
        // hook the JVM exits right after the first step).
        assertTrue(out.contains("step 4/4"), out);
    }
}
