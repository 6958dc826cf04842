package dev.sdjava;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cancelling in-process generations through sd.cpp (native/patches/0001): before the start, during
 * sampling, during the VAE decode, during the hires fix, a batch keeping its finished images, by
 * thread interrupt and by {@code Future.cancel}, and the race with {@code generate_image}'s flag
 * reset. Each cancel must return promptly (a 200-step request would take minutes), and the
 * context's next image must equal a fresh context's pixel for pixel.
 */
class CancelTest {
    /** Far more than any cancel here may take on a loaded 2-core machine (the benchmark measures the real figure). */
    private static final double PROMPT_S = 5;
    private static final GenerationRequest REFERENCE = Fixtures.small("reference").steps(2).build();
    private static final Logger NATIVE = Logger.getLogger("dev.sdjava.native");

    private static StableDiffusion sd;
    private static SdImage fresh;

    @BeforeAll
    static void load() {
        NATIVE.setLevel(Level.ALL); // sd.cpp's INFO lines (Java DEBUG, JUL FINE) say which stage runs
        try (StableDiffusion first = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).build())) {
            fresh = first.generate(REFERENCE).getFirst().image();
        }
        sd = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).build());
    }

    @AfterAll
    static void close() {
        if (sd != null) {
            sd.close();
        }
    }

    /** A request that would run for minutes; {@code started} counts down at its first progress event. */
    private static GenerationRequest longRequest(CountDownLatch started, List<Integer> steps) {
        return Fixtures.small("long").steps(200).progress((s, n, t) -> {
            steps.add(s);
            started.countDown();
        }).build();
    }

    /** The context works again at once and its image equals the fresh context's. */
    private static void assertUsableAndUnchanged() {
        assertEquals(fresh, sd.generate(REFERENCE).getFirst().image(), "after a cancel, the same pixels as a fresh context");
    }

    private static double secondsSince(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Runs {@code action} (once) when sd.cpp logs a line containing {@code text}, inside that log upcall. */
    private static Handler onNativeLog(String text, Runnable action) {
        AtomicInteger fired = new AtomicInteger();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains(text) && fired.getAndIncrement() == 0) {
                    action.run();
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        NATIVE.addHandler(h);
        return h;
    }

    /** Collects sd.cpp's log lines while open. */
    private static final class NativeLines extends Handler implements AutoCloseable {
        final List<String> lines = new CopyOnWriteArrayList<>();

        NativeLines() {
            NATIVE.addHandler(this);
        }

        boolean has(String text) {
            return lines.stream().anyMatch(l -> l.contains(text));
        }

        @Override
        public void publish(LogRecord r) {
            lines.add(String.valueOf(r.getMessage()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            NATIVE.removeHandler(this);
        }
    }

    @Test
    void cancelDuringSamplingStopsWithinAStep() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        List<Integer> steps = new CopyOnWriteArrayList<>();
        CompletableFuture<List<GeneratedImage>> f = CompletableFuture.supplyAsync(() -> sd.generate(longRequest(started, steps)));
        assertTrue(started.await(120, TimeUnit.SECONDS), "sampling did not start");
        long t0 = System.nanoTime();
        sd.cancel();
        var e = assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
        assertInstanceOf(CancellationException.class, e.getCause(), e.toString());
        double s = secondsSince(t0);
        assertTrue(s < PROMPT_S, "cancel took " + s + " s");
        assertTrue(steps.size() < 20, "sampling went on after the cancel: " + steps.size() + " steps");
        assertUsableAndUnchanged();
    }

    @Test
    void cancelDuringTheVaeDecodeStopsTheDecode() {
        // 256x256 with 1 step: the decode is the long part. The cancel is sent from inside the log
        // line sd.cpp writes when it sizes the decode's compute buffer, so it lands in the decode
        // graph's compute itself, past every check between stages.
        AtomicReference<Long> sent = new AtomicReference<>();
        Handler trigger = onNativeLog("vae compute buffer size", () -> {
            sent.set(System.nanoTime());
            sd.cancel();
        });
        try (NativeLines log = new NativeLines()) {
            assertThrows(CancellationException.class,
                    () -> sd.generate(Fixtures.small("decode").size(256, 256).steps(1).build()));
            assertTrue(sent.get() != null, "the decode never started: " + log.lines);
            double s = secondsSince(sent.get());
            assertTrue(s < PROMPT_S, "cancel took " + s + " s");
            assertTrue(log.has("vae decode compute failed"), "the decode compute was stopped: " + log.lines);
            assertFalse(log.has("decode_first_stage completed"), "the decode ran to its end: " + log.lines);
        } finally {
            NATIVE.removeHandler(trigger);
        }
        assertUsableAndUnchanged();
    }

    @Test
    void cancelDuringTheHiresFixStopsIt() {
        AtomicReference<Long> sent = new AtomicReference<>();
        Handler trigger = onNativeLog("hires fix: upscaling", () -> {
            sent.set(System.nanoTime());
            sd.cancel();
        });
        try (NativeLines log = new NativeLines()) {
            assertThrows(CancellationException.class, () -> sd.generate(Fixtures.small("hires").steps(1)
                    .hires(HiresFix.latent(2)).build()));
            assertTrue(sent.get() != null, "the hires fix never started: " + log.lines);
            assertTrue(secondsSince(sent.get()) < PROMPT_S);
            assertTrue(log.has("cancelling hires latent upscale") || log.has("cancelling generation during hires fix"),
                    "sd.cpp stopped in the hires fix: " + log.lines);
            assertFalse(log.has("hires fix completed"), log.lines.toString());
        } finally {
            NATIVE.removeHandler(trigger);
        }
        assertUsableAndUnchanged();
    }

    @Test
    void cancelBeforeTheStartStopsWaitingGenerationsAndTheRunningOne() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        List<Integer> steps = new CopyOnWriteArrayList<>();
        CompletableFuture<List<GeneratedImage>> running = sd.submit(longRequest(started, steps));
        assertTrue(started.await(120, TimeUnit.SECONDS), "sampling did not start");
        List<Integer> waitingSteps = new CopyOnWriteArrayList<>();
        CompletableFuture<List<GeneratedImage>> waiting = sd.submit(Fixtures.small("waiting")
                .progress((s, n, t) -> waitingSteps.add(s)).build());
        CompletableFuture<List<GeneratedImage>> dropped = sd.submit(Fixtures.small("dropped").build());
        // Cancelling one waiting future leaves the others alone.
        assertTrue(dropped.cancel(true));
        assertFalse(running.isDone());
        long t0 = System.nanoTime();
        sd.cancel();
        for (var f : List.of(running, waiting)) {
            // A future completed with CancellationException counts as cancelled: get() throws it as is.
            assertThrows(CancellationException.class, () -> f.get(60, TimeUnit.SECONDS));
            assertTrue(f.isCancelled());
        }
        assertTrue(secondsSince(t0) < PROMPT_S);
        assertEquals(List.of(), waitingSteps, "a generation cancelled while waiting never starts");
        // A generation asked for after the cancel is not affected by it.
        assertUsableAndUnchanged();
    }

    @Test
    void aBatchOfFourCutShortKeepsItsFinishedImages() {
        GenerationRequest batch = Fixtures.small("batch").batchCount(4).build();
        List<GeneratedImage> all = Fixtures.sharedSd1().generate(batch);
        // Asked while image 2 samples: image 2 is finished, 3 and 4 never start.
        Handler trigger = onNativeLog("generating image: 2/4", sd::cancelAfterCurrentImage);
        List<GeneratedImage> kept;
        try {
            kept = sd.generate(batch);
        } finally {
            NATIVE.removeHandler(trigger);
        }
        assertEquals(2, kept.size(), "images 1 and 2 kept");
        for (int i = 0; i < kept.size(); i++) {
            assertEquals(all.get(i).image(), kept.get(i).image(), "kept image " + i + " equals the full batch's");
            assertEquals(all.get(i).seed(), kept.get(i).seed());
            assertEquals(i, kept.get(i).index());
        }
        assertUsableAndUnchanged();
    }

    @Test
    void interruptingTheGeneratingThreadStopsIt() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        List<Integer> steps = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                sd.generate(longRequest(started, steps));
            } catch (Throwable e) {
                thrown.set(e);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        assertTrue(started.await(120, TimeUnit.SECONDS), "sampling did not start");
        long t0 = System.nanoTime();
        t.interrupt();
        t.join(60_000);
        assertFalse(t.isAlive());
        assertTrue(secondsSince(t0) < PROMPT_S);
        assertInstanceOf(CancellationException.class, thrown.get());
        assertTrue(stillInterrupted.get(), "the thread's interrupt status is kept");
        assertTrue(steps.size() < 20, steps.size() + " steps");
        assertUsableAndUnchanged();
    }

    @Test
    void futureCancelStopsTheGeneration() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        List<Integer> steps = new CopyOnWriteArrayList<>();
        CompletableFuture<List<GeneratedImage>> f = sd.submit(longRequest(started, steps));
        assertTrue(started.await(120, TimeUnit.SECONDS), "sampling did not start");
        long t0 = System.nanoTime();
        assertTrue(f.cancel(true));
        assertTrue(f.isCancelled());
        // The future completes at once; sd.cpp stops shortly after, and the next call waits for that.
        assertUsableAndUnchanged();
        assertTrue(secondsSince(t0) < PROMPT_S + 10, "cancel and one reference image");
        assertTrue(steps.size() < 20, steps.size() + " steps");
    }

    @Test
    void aCancelJustBeforeGenerateImageStartsIsNotLost() {
        // sd.cpp clears its cancel flag when generate_image starts; this cancel arrives right before
        // that, after every Java-side check. Without the re-send from the upcalls, all 200 steps run.
        List<Integer> steps = new CopyOnWriteArrayList<>();
        InProcessEngine.beforeGenerateImageForTests = sd::cancel;
        long t0 = System.nanoTime();
        try {
            assertThrows(CancellationException.class, () -> sd.generate(Fixtures.small("race").steps(200)
                    .progress((s, n, t) -> steps.add(s)).build()));
        } finally {
            InProcessEngine.beforeGenerateImageForTests = null;
        }
        assertTrue(secondsSince(t0) < PROMPT_S, "took " + secondsSince(t0) + " s");
        assertTrue(steps.stream().allMatch(s -> s == 0), "no step ran: " + steps);
        assertUsableAndUnchanged();
    }
}
