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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Isolated contexts: the same pixels as in-process, real native crashes of the pinned sd.cpp
 * inside the worker turned into WORKER_CRASHED, a fresh worker for the next request, hard
 * cancellation, and Java-side validation carried across.
 */
class IsolationTest {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void enableTestHooks() {
        // Passed on to workers (every sdjava.* property is); lets a test bypass the validators there.
        System.setProperty(WorkerWire.TEST_HOOKS, "true");
    }

    @AfterAll
    static void disableTestHooks() {
        System.clearProperty(WorkerWire.TEST_HOOKS);
    }

    @Test
    void nativeCrashesInTheWorkerBecomeWorkerCrashedAndTheNextRequestGetsAFreshWorker() throws Exception {
        // Two inputs that kill upstream's own CLI; the Java validators refuse both in-process.
        Path abort = BadFiles.write(tmp, "abort.safetensors", BadFiles.safetensors("{\"t\":1}", 64));
        Path fpe = BadFiles.write(tmp, "fpe.gguf", new BadFiles.Gguf().tensor("w", 0, 4, 4, 0).build());
        assertThrows(InvalidModelFileException.class, () -> ModelFile.read(abort));
        assertThrows(InvalidModelFileException.class, () -> ModelFile.read(fpe));

        GenerationRequest r = Fixtures.small("isolated").steps(2).build();
        GeneratedImage expected = Fixtures.sharedSd1().generate(r).getFirst();
        try (StableDiffusion sd = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).isolated(true).build())) {
            List<Integer> steps = new CopyOnWriteArrayList<>();
            GeneratedImage first = sd.generate(r.toBuilder().progress((s, n, t) -> steps.add(s)).build()).getFirst();
            assertEquals(expected.image(), first.image(), "isolated pixels equal in-process pixels");
            assertEquals(expected.parameters(), first.parameters());
            assertEquals(expected.seed(), first.seed());
            assertTrue(steps.contains(2), "progress events crossed the process boundary: " + steps);
            assertEquals(Fixtures.sharedSd1().defaultSamplingMethod(), sd.defaultSamplingMethod());
            assertTrue(sd.supportsImageGeneration());
            long pid1 = sd.isolatedContext().workerPid();
            assertTrue(pid1 > 0);

            var e = assertThrows(StableDiffusionException.class, () -> sd.isolatedContext().loadUncheckedForTest(abort));
            assertEquals(StableDiffusionException.Kind.WORKER_CRASHED, e.kind(), e.getMessage());
            assertTrue(e.getMessage().contains("exit code 134 (signal 6)"), e.getMessage());
            assertTrue(String.join("\n", e.nativeLog()).contains("type_error"), e.getMessage());

            GeneratedImage second = sd.generate(r).getFirst();
            assertEquals(expected.image(), second.image(), "a fresh worker serves the next request");
            long pid2 = sd.isolatedContext().workerPid();
            assertNotEquals(pid1, pid2);

            var f = assertThrows(StableDiffusionException.class, () -> sd.isolatedContext().loadUncheckedForTest(fpe));
            assertEquals(StableDiffusionException.Kind.WORKER_CRASHED, f.kind(), f.getMessage());
            assertTrue(String.join("\n", f.nativeLog()).contains("SIGFPE"), f.getMessage());
            assertEquals(expected.image(), sd.generate(r).getFirst().image());
        }
        try (var files = Files.list(Path.of("."))) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().startsWith("hs_err")),
                    "the worker's crash report went to its own temp directory, not the working directory");
        }
    }

    @Test
    void cancelEndsARunningIsolatedGenerationAtOnce() throws Exception {
        try (StableDiffusion sd = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).isolated(true).build())) {
            CountDownLatch started = new CountDownLatch(1);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<?> f = pool.submit(() -> sd.generate(Fixtures.small("long").steps(200)
                        .progress((s, n, t) -> started.countDown()).build()));
                assertTrue(started.await(300, TimeUnit.SECONDS), "generation did not start");
                long t0 = System.nanoTime();
                sd.cancel();
                var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof CancellationException, e.toString());
                assertTrue((System.nanoTime() - t0) / 1e9 < 30, "cancel took too long");
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, sd.generate(Fixtures.small("after cancel").steps(1).build()).size());
        }
    }

    @Test
    void javaValidationAndNativeFailuresCrossTheBoundary() {
        Path junk = BadFiles.random(tmp, "junk.gguf", 1024, 5);
        var e = assertThrows(InvalidModelFileException.class,
                () -> StableDiffusion.load(Fixtures.config(junk).isolated(true).build()));
        assertEquals("model", e.argument());
        assertEquals(junk.toAbsolutePath().normalize(), e.file().toAbsolutePath().normalize());
        var w = assertThrows(StableDiffusionException.class, () -> StableDiffusion.load(
                Fixtures.config(Fixtures.model(dev.sdjava.synthetic.Architecture.TAESD)).isolated(true).build()));
        assertEquals(StableDiffusionException.Kind.MODEL_LOAD_FAILED, w.kind());
        assertTrue(String.join("\n", w.nativeLog()).contains("get sd version"), w.getMessage());
    }
}
