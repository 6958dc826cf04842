package dev.sdjava;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two contexts on two threads, and memory over many generations on one context. */
class ConcurrencyAndMemoryTest {
    @Test
    void listenersOfTwoContextsOnTwoThreadsSeeOnlyTheirOwnEvents() throws Exception {
        try (StableDiffusion a = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).threads(1).build());
             StableDiffusion b = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).threads(1).build())) {
            // Different step counts tell the two streams apart: a listener seeing the other's
            // total would record it.
            List<String> eventsA = new CopyOnWriteArrayList<>();
            List<String> eventsB = new CopyOnWriteArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<?> fa = pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 2; i++) {
                        a.generate(Fixtures.small("a").steps(3).progress((s, n, t) -> eventsA.add(Thread.currentThread().getName() + ":" + s + ":" + n)).build());
                    }
                    return null;
                });
                Future<?> fb = pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 2; i++) {
                        b.generate(Fixtures.small("b").steps(4).progress((s, n, t) -> eventsB.add(Thread.currentThread().getName() + ":" + s + ":" + n)).build());
                    }
                    return null;
                });
                start.countDown();
                fa.get(300, TimeUnit.SECONDS);
                fb.get(300, TimeUnit.SECONDS);
            } finally {
                pool.shutdownNow();
            }
            assertFalse(eventsA.isEmpty());
            assertFalse(eventsB.isEmpty());
            assertTrue(eventsA.stream().allMatch(e -> e.endsWith(":3")), "A saw foreign events: " + eventsA);
            assertTrue(eventsB.stream().allMatch(e -> e.endsWith(":4")), "B saw foreign events: " + eventsB);
            assertEquals(1, eventsA.stream().map(e -> e.split(":")[0]).distinct().count(), "A's events on one thread");
            assertEquals(1, eventsB.stream().map(e -> e.split(":")[0]).distinct().count(), "B's events on one thread");
            assertEquals(2 * 3, eventsA.stream().filter(e -> !e.split(":")[1].equals("0")).count(), "A: 3 steps, twice");
            assertEquals(2 * 4, eventsB.stream().filter(e -> !e.split(":")[1].equals("0")).count(), "B: 4 steps, twice");
        }
    }

    @Test
    void fiftyGenerationsOnOneContextKeepRssFlat() throws Exception {
        try (StableDiffusion sd = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).build())) {
            GenerationRequest r = Fixtures.small("memory").steps(1).build();
            long after5 = 0;
            long max = 0;
            for (int i = 1; i <= 50; i++) {
                sd.generate(r);
                long rss = rssKiB();
                if (i == 5) {
                    after5 = rss;
                }
                if (i > 5) {
                    max = Math.max(max, rss);
                }
            }
            long growthMiB = (max - after5) / 1024;
            System.out.printf("RSS after 5th generation: %d MiB, highest over 6..50: %d MiB, growth %d MiB%n",
                    after5 / 1024, max / 1024, growthMiB);
            assertTrue(growthMiB < 50, "RSS grew by " + growthMiB + " MiB over 45 generations");
        }
    }

    static long rssKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
