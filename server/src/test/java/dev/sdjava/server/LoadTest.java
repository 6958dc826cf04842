package dev.sdjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bounded load test: {@value #CLIENTS} loopback clients submit tiny jobs for {@value #SECONDS} s
 * against a queue of {@value #QUEUE} and poll them to the end. Reports throughput and queue
 * latency (submit to "generating", from each job's own events), and checks that every accepted
 * job completed once: none lost, none run twice.
 */
class LoadTest {
    static final int CLIENTS = 8;
    static final int SECONDS = 15;
    static final int QUEUE = 4;

    @Test
    void clientsForBoundedTimeLoseNoJobAndRunNoneTwice() throws Exception {
        try (SdServer s = TestServers.start(b -> b.maxQueue(QUEUE))) {
            Http http = Http.of(s);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            Set<String> accepted = ConcurrentHashMap.newKeySet();
            Set<String> completed = ConcurrentHashMap.newKeySet();
            List<Double> queueMs = Collections.synchronizedList(new ArrayList<>());
            List<Double> totalMs = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger seeds = new AtomicInteger();
            long t0 = System.nanoTime();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> clients = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    clients.add(pool.submit(() -> {
                        while (System.nanoTime() < end) {
                            long submit = System.nanoTime();
                            Http.Res r = http.post("/sdcpp/v1/img_gen", "{\"prompt\":\"load\",\"width\":64,\"height\":64,\"seed\":"
                                    + seeds.incrementAndGet() + ",\"sample_params\":{\"sample_steps\":1}}");
                            if (r.status() == 429) {
                                refused.incrementAndGet();
                                sleep(200);
                                continue;
                            }
                            assertEquals(202, r.status(), r.body());
                            String id = r.json().get("id").asText();
                            assertTrue(accepted.add(id), "duplicate id " + id);
                            Long generating = null;
                            while (true) {
                                JsonNode j = http.get("/sdcpp/v1/jobs/" + id).json();
                                String st = j.get("status").asText();
                                if (generating == null && !st.equals("queued")) {
                                    generating = System.nanoTime();
                                }
                                if (st.equals("completed")) {
                                    assertEquals(1, j.get("result").get("images").size());
                                    assertTrue(completed.add(id), "completed twice: " + id);
                                    break;
                                }
                                assertTrue(st.equals("queued") || st.equals("generating"), j.toString());
                                sleep(20);
                            }
                            queueMs.add((generating - submit) / 1e6);
                            totalMs.add((System.nanoTime() - submit) / 1e6);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : clients) {
                    f.get(SECONDS + 300, TimeUnit.SECONDS);
                }
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            long[] counts = s.jobCounts();
            assertEquals(accepted, completed, "every accepted job completed");
            assertEquals(accepted.size(), counts[0], "the worker started each accepted job once");
            assertEquals(accepted.size(), counts[1], "and finished each once");
            assertTrue(accepted.size() >= 2, "some jobs ran: " + accepted.size());
            String report = String.format(Locale.ROOT,
                    "load: %d clients, %d s (wall %.1f s), queue %d: %d jobs completed, %d lost, %d run twice, %d submissions refused (429); "
                            + "throughput %.2f jobs/s; queue latency ms p50 %.0f p95 %.0f max %.0f; total ms p50 %.0f p95 %.0f",
                    CLIENTS, SECONDS, wall, QUEUE, completed.size(), accepted.size() - completed.size(), counts[0] - accepted.size(),
                    refused.get(), completed.size() / wall, pct(queueMs, 50), pct(queueMs, 95), pct(queueMs, 100), pct(totalMs, 50), pct(totalMs, 95));
            System.out.println(report);
            Path out = Path.of(System.getProperty("sdjava.test.serverDir", "."), "target", "load-test.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, report + "\n");
        }
    }

    private static double pct(List<Double> xs, int p) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        if (s.isEmpty()) {
            return Double.NaN;
        }
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1 < 0 ? 0 : (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
