package dev.sdjava;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Isolated contexts: the same pixels as in-process, worker deaths by real signals
 * inside the worker turned into WORKER_CRASHED, a fresh worker for the next request, cancels
 * forwarded to the worker (which keeps its models), and Java-side validation carried across.
 */
class IsolationTest {
    @TempDir
    static Path tmp;

    /** The pid of this JVM's one isolated worker (a child process running IsolatedWorker). */
    private static long workerPid() {
        List<ProcessHandle> workers = ProcessHandle.current().children()
                .filter(p -> p.info().commandLine().orElse("").contains("IsolatedWorker")).toList();
        assertEquals(1, workers.size(), "one worker runs: " + workers);
        return workers.getFirst().pid();
    }

    /** Sends {@code signal} to {@code pid} with kill(1), as a native abort or an OOM killer would. */
    private static void kill(String signal, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor());
    }

    /** Starts a long generation, kills the worker with {@code signal} at its first step, returns what generate threw. */
    private static StableDiffusionException killDuringGeneration(StableDiffusion sd, String signal) throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> f = pool.submit(() -> sd.generate(Fixtures.small("long").steps(200)
                    .progress((s, n, t) -> started.countDown()).build()));
            assertTrue(started.await(300, TimeUnit.SECONDS), "generation did not start");
            kill(signal, workerPid());
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
            return assertInstanceOf(StableDiffusionException.class, e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void workerDeathsBecomeWorkerCrashedAndTheNextRequestGetsAFreshWorker() throws Exception {
        GenerationRequest r = Fixtures.small("isolated").steps(2).build();
        GeneratedImage expected = Fixtures.sharedSd1().generate(r).getFirst();
        try (StableDiffusion sd = StableDiffusion.loadIsolated(Fixtures.config(Fixtures.sd1()).build())) {
            List<Integer> steps = new CopyOnWriteArrayList<>();
            GeneratedImage first = sd.generate(r.toBuilder().progress((s, n, t) -> steps.add(s)).build()).getFirst();
            assertEquals(expected.image(), first.image(), "isolated pixels equal in-process pixels");
            assertEquals(expected.parameters(), first.parameters());
            assertEquals(expected.seed(), first.seed());
            assertTrue(steps.contains(2), "progress events crossed the process boundary: " + steps);
            assertEquals(Fixtures.sharedSd1().defaultSamplingMethod(), sd.defaultSamplingMethod());
            assertTrue(sd.supportsImageGeneration());
            long pid1 = workerPid();

            // SIGABRT is what sd.cpp's GGML_ASSERT and std::terminate raise.
            var e = killDuringGeneration(sd, "ABRT");
            assertEquals(StableDiffusionException.Kind.WORKER_CRASHED, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("exit code 134 (signal 6)"), e.getMessage());

            GeneratedImage second = sd.generate(r).getFirst();
            assertEquals(expected.image(), second.image(), "a fresh worker serves the next request");
            long pid2 = workerPid();
            assertNotEquals(pid1, pid2);

            var f = killDuringGeneration(sd, "KILL");
            assertEquals(StableDiffusionException.Kind.WORKER_CRASHED, f.kind(), f.getMessage());
            assertTrue(f.getMessage().contains("(signal 9)"), f.getMessage());
            assertEquals(expected.image(), sd.generate(r).getFirst().image());
        }
        try (var files = Files.list(Path.of("."))) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().startsWith("hs_err")),
                    "no crash report in the working directory");
        }
    }

    @Test
    void cancelIsForwardedToTheWorkerWhichKeepsItsModels() throws Exception {
        GenerationRequest r = Fixtures.small("after cancel").steps(2).build();
        SdImage expected = Fixtures.sharedSd1().generate(r).getFirst().image();
        try (StableDiffusion sd = StableDiffusion.loadIsolated(Fixtures.config(Fixtures.sd1()).build())) {
            long pid = workerPid();
            // By StableDiffusion.cancel(), then by Future.cancel and by an interrupt of the waiting thread.
            for (String how : List.of("cancel()", "future", "interrupt")) {
                CountDownLatch started = new CountDownLatch(1);
                List<Integer> steps = new CopyOnWriteArrayList<>();
                GenerationRequest long200 = Fixtures.small("long").steps(200)
                        .progress((s, n, t) -> {
                            steps.add(s);
                            started.countDown();
                        }).build();
                Thread[] caller = new Thread[1];
                java.util.concurrent.CompletableFuture<List<GeneratedImage>> f = how.equals("future")
                        ? sd.submit(long200)
                        : java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                            caller[0] = Thread.currentThread();
                            return sd.generate(long200);
                        }, r2 -> Thread.ofPlatform().start(r2));
                assertTrue(started.await(300, TimeUnit.SECONDS), "generation did not start");
                long t0 = System.nanoTime();
                switch (how) {
                    case "cancel()" -> sd.cancel();
                    case "future" -> f.cancel(true);
                    default -> caller[0].interrupt();
                }
                var e = assertThrows(Exception.class, () -> f.get(60, TimeUnit.SECONDS));
                assertTrue(e instanceof CancellationException || e.getCause() instanceof CancellationException, how + ": " + e);
                // The next call waits for the worker to finish the cancelled one.
                assertEquals(expected, sd.generate(r).getFirst().image(), how + ": the worker's next image equals in-process");
                assertTrue((System.nanoTime() - t0) / 1e9 < 30, how + ": cancel and one image took too long");
                assertTrue(steps.size() < 30, how + ": the worker went on sampling: " + steps.size() + " steps");
                assertEquals(pid, workerPid(), how + ": the worker was kept");
            }
        }
    }

    @Test
    void javaValidationAndNativeFailuresCrossTheBoundary() {
        Path junk = BadFiles.random(tmp, "junk.gguf", 1024, 5);
        var e = assertThrows(InvalidModelFileException.class,
                () -> StableDiffusion.loadIsolated(Fixtures.config(junk).build()));
        assertEquals("model", e.argument());
        assertEquals(junk.toAbsolutePath().normalize(), e.file().toAbsolutePath().normalize());
        var w = assertThrows(StableDiffusionException.class, () -> StableDiffusion.loadIsolated(
                Fixtures.config(Fixtures.model(dev.sdjava.synthetic.Architecture.TAESD)).build()));
        assertEquals(StableDiffusionException.Kind.MODEL_LOAD_FAILED, w.kind());
        assertTrue(String.join("\n", w.nativeLog()).contains("get sd version"), w.getMessage());
    }
}
