package dev.sdjava;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lifecycle under stress: close during a generation from another thread, use after close, double
 * close, interrupting a generating thread, four threads on one context, two contexts at once.
 * Every wait has a timeout, so a deadlock fails the test instead of hanging the build.
 */
class LifecycleTest {
    private static final long WAIT_S = 600;

    private static SdImage run(StableDiffusion sd, String prompt, long seed) {
        return sd.generate(GenerationRequest.builder(prompt).size(64, 64).steps(1).seed(seed).build()).getFirst().image();
    }

    @Test
    void closeFromAnotherThreadWaitsForTheRunningGenerationThenEverythingThrows() throws Exception {
        StableDiffusion sd = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).build());
        SdImage expected = run(Fixtures.sharedSd1(), "close me", 3);
        CountDownLatch inside = new CountDownLatch(1);
        AtomicLong generationEnded = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<SdImage> gen = pool.submit(() -> {
                SdImage img = sd.generate(GenerationRequest.builder("close me").size(64, 64).steps(1).seed(3)
                        .progress((s, n, t) -> inside.countDown()).build()).getFirst().image();
                generationEnded.set(System.nanoTime());
                return img;
            });
            assertTrue(inside.await(WAIT_S, TimeUnit.SECONDS), "generation never started");
            Future<Long> closer = pool.submit(() -> {
                sd.close();
                return System.nanoTime();
            });
            assertEquals(expected, gen.get(WAIT_S, TimeUnit.SECONDS), "the running generation completes normally");
            long closed = closer.get(WAIT_S, TimeUnit.SECONDS);
            assertTrue(closed >= generationEnded.get(), "close() returned before the generation it waited for");
        } finally {
            pool.shutdownNow();
        }
        assertTrue(sd.isClosed());
        sd.close(); // double close: no effect
        assertThrows(IllegalStateException.class, () -> run(sd, "after close", 1));
        assertThrows(IllegalStateException.class, sd::defaultSamplingMethod);
        assertThrows(IllegalStateException.class, () -> sd.defaultScheduler(SamplingMethod.EULER));
        assertThrows(IllegalStateException.class, sd::supportsImageGeneration);
    }

    @Test
    void interruptingAGeneratingThreadGivesCancellationAndKeepsTheContext() throws Exception {
        StableDiffusion sd = Fixtures.sharedSd1();
        CountDownLatch inside = new CountDownLatch(1);
        AtomicBoolean stillInterrupted = new AtomicBoolean();
        Thread t = new Thread(() -> {
            try {
                sd.generate(Fixtures.small("interrupt me").steps(3).progress((s, n, x) -> inside.countDown()).build());
            } catch (CancellationException e) {
                stillInterrupted.set(Thread.currentThread().isInterrupted());
                return;
            }
            throw new AssertionError("no CancellationException");
        }, "to-interrupt");
        List<Throwable> failures = new ArrayList<>();
        t.setUncaughtExceptionHandler((th, e) -> failures.add(e));
        t.start();
        assertTrue(inside.await(WAIT_S, TimeUnit.SECONDS), "generation never started");
        t.interrupt();
        t.join(WAIT_S * 1000);
        assertFalse(t.isAlive(), "generating thread did not end");
        assertTrue(failures.isEmpty(), failures.toString());
        assertTrue(stillInterrupted.get(), "the thread's interrupt status is kept");
        assertEquals(run(sd, "after interrupt", 5), run(sd, "after interrupt", 5));
    }

    @Test
    void fourThreadsOnOneContextGetTheSamePixelsAsOneThread() throws Exception {
        StableDiffusion sd = Fixtures.sharedSd1();
        SdImage[] expected = {run(sd, "hammer", 11), run(sd, "hammer", 12)};
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<SdImage>>> futures = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    List<SdImage> out = new ArrayList<>();
                    for (int i = 0; i < 2; i++) {
                        out.add(run(sd, "hammer", 11 + i));
                        // Other calls on the same context interleave with generations.
                        assertEquals(SamplingMethod.EULER_A, sd.defaultSamplingMethod());
                    }
                    return out;
                }));
            }
            go.countDown();
            for (Future<List<SdImage>> f : futures) {
                List<SdImage> got = f.get(WAIT_S, TimeUnit.SECONDS);
                assertEquals(expected[0], got.get(0));
                assertEquals(expected[1], got.get(1));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void twoContextsAtOnceThenOneClosedWhileTheOtherWorks() throws Exception {
        StableDiffusion shared = Fixtures.sharedSd1();
        SdImage a = run(shared, "two contexts", 21);
        SdImage b = run(shared, "two contexts", 22);
        try (StableDiffusion second = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).build())) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                CountDownLatch go = new CountDownLatch(1);
                Future<SdImage> fa = pool.submit(() -> {
                    go.await();
                    return run(shared, "two contexts", 21);
                });
                Future<SdImage> fb = pool.submit(() -> {
                    go.await();
                    SdImage img = run(second, "two contexts", 22);
                    second.close();
                    return img;
                });
                go.countDown();
                assertEquals(a, fa.get(WAIT_S, TimeUnit.SECONDS));
                assertEquals(b, fb.get(WAIT_S, TimeUnit.SECONDS));
            } finally {
                pool.shutdownNow();
            }
            assertTrue(second.isClosed());
            assertEquals(a, run(shared, "two contexts", 21), "closing one context leaves the other intact");
        }
    }

    @Test
    void closeWhileOthersWaitMakesThemFailCleanly() throws Exception {
        StableDiffusion sd = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).build());
        CountDownLatch inside = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<?> running = pool.submit(() -> sd.generate(Fixtures.small("first").steps(2)
                    .progress((s, n, t) -> inside.countDown()).build()));
            assertTrue(inside.await(WAIT_S, TimeUnit.SECONDS));
            Future<?> waiting = pool.submit(() -> run(sd, "waiting", 1));
            Future<?> closer = pool.submit(sd::close);
            running.get(WAIT_S, TimeUnit.SECONDS);
            closer.get(WAIT_S, TimeUnit.SECONDS);
            // The waiting call either ran before close took the lock, or finds the context closed.
            try {
                waiting.get(WAIT_S, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(sd.isClosed());
    }
}
