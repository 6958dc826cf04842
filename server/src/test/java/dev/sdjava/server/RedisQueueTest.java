package dev.sdjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdjava.Fixtures;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Redis Streams queue against a real {@code redis-server} on loopback: one server (in this JVM)
 * and two {@link SdWorker}s, each in its own JVM ({@link WorkerMain}, one thread each), over the
 * synthetic SD1 model at 64x64. Claims time out after {@value #CLAIM_S} s, so a dead worker's job
 * is taken over quickly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisQueueTest {
    static final int CLAIM_S = 2;
    static final String NAME = "sdt";

    @TempDir
    static Path tmp;
    RedisProcess redis;
    SdServer server;
    Http http;
    final Map<String, Process> workers = new HashMap<>();
    final Map<String, Path> logs = new HashMap<>();

    @BeforeAll
    void start() throws Exception {
        redis = RedisProcess.start(Files.createDirectories(tmp.resolve("redis")));
        spawn("w1");
        spawn("w2");
        server = SdServer.builder().queue(redis.uri(NAME)).port(0).build().start();
        http = Http.of(server);
        awaitWorkers();
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        for (Process p : workers.values()) {
            p.destroy();
        }
        for (Process p : workers.values()) {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        if (redis != null) {
            redis.close();
        }
        try (var files = Files.walk(tmp)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList());
        }
    }

    private void spawn(String name) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:ErrorFile=" + tmp.resolve("hs_err_pid%p.log"), "-XX:-CreateCoredumpOnCrash"));
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("sdjava.")) {
                cmd.add("-D" + key + "=" + System.getProperty(key));
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(), redis.uri(NAME), name,
                Fixtures.sd1().toString(), "1", Integer.toString(CLAIM_S)));
        Path log = tmp.resolve(name + "-" + System.nanoTime() + ".log");
        logs.put(name, log);
        workers.put(name, new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start());
    }

    /** Waits until both workers beat (registered on the current Redis). */
    private void awaitWorkers() throws InterruptedException {
        await(Duration.ofSeconds(120), () -> {
            try (RedisClient c = redis.client()) {
                return c.exists(NAME + ":worker:w1") && c.exists(NAME + ":worker:w2");
            } catch (RuntimeException e) {
                return false;
            }
        }, "both workers registered; logs:\n" + logText());
    }

    private static void await(Duration timeout, BooleanSupplier ok, String what) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    private String log(String worker) {
        try {
            return Files.readString(logs.get(worker));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String logText() {
        StringBuilder b = new StringBuilder();
        logs.forEach((k, v) -> b.append("--- ").append(k).append('\n').append(log(k)));
        return b.toString();
    }

    /** Lines of a worker's log that mention the job. */
    private List<String> lines(String worker, String id) {
        return log(worker).lines().filter(l -> l.contains(" " + id + " ")).toList();
    }

    private Map<String, String> hash(String id) {
        try (RedisClient c = redis.client()) {
            return c.hgetAll(NAME + ":job:" + id);
        }
    }

    private String submit(String body) {
        Http.Res r = http.post("/sdcpp/v1/img_gen", body);
        assertEquals(202, r.status(), r.body());
        return r.json().get("id").asText();
    }

    private static String body(long seed, int steps) {
        return "{\"prompt\":\"a red fox\",\"width\":64,\"height\":64,\"seed\":" + seed + ",\"sample_params\":{\"sample_steps\":" + steps + "}}";
    }

    /** Waits until a job runs and has made a step; returns the worker running it. */
    private String awaitRunning(String id) throws InterruptedException {
        await(Duration.ofSeconds(60), () -> {
            Map<String, String> h = hash(id);
            return "generating".equals(h.get("status")) && h.get("progress") != null;
        }, "job " + id + " running; " + hash(id));
        return hash(id).get("worker");
    }

    @Test
    @Order(1)
    void twentyJobsCompleteExactlyOnceEachAcrossTwoWorkers() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(submit(body(100 + i, 1)));
        }
        Set<String> images = new HashSet<>();
        for (String id : ids) {
            JsonNode j = http.awaitJob(id, Duration.ofSeconds(120));
            assertEquals("completed", j.get("status").asText(), j.toString());
            assertEquals(1, j.get("result").get("images").size());
            images.add(j.get("result").get("images").get(0).get("b64_json").asText());
            assertEquals("1", hash(id).get("attempts"), "started once: " + hash(id));
        }
        assertEquals(20, images.size(), "20 seeds, 20 different images");
        int w1 = 0;
        for (String id : ids) {
            List<String> one = lines("w1", id), two = lines("w2", id);
            List<String> all = new ArrayList<>(one);
            all.addAll(two);
            assertEquals(1, all.size(), "job " + id + " ran exactly once: " + all);
            assertTrue(all.getFirst().contains("completed") && all.getFirst().endsWith(", stored"), all.getFirst());
            w1 += one.size();
        }
        assertTrue(w1 > 0 && w1 < 20, "both workers took jobs (w1 ran " + w1 + " of 20)");
        try (RedisClient c = redis.client()) {
            assertEquals(0, c.xlen(NAME + ":stream:" + modelName()), "every entry acknowledged and deleted");
        }
    }

    private static String modelName() {
        String f = Fixtures.sd1().getFileName().toString();
        return f.substring(0, f.lastIndexOf('.'));
    }

    @Test
    @Order(2)
    void imagesThroughRedisEqualTheEmbeddedServersPixelForPixel() throws Exception {
        // The embedded server over a context like the workers' (one thread).
        try (StableDiffusion sd = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).threads(1).build());
             SdServer embedded = SdServer.builder(sd).port(0).modelPath(Fixtures.sd1()).build().start()) {
            Http local = Http.of(embedded);
            String openai = "{\"prompt\":\"a lighthouse<sd_cpp_extra_args>{\\\"seed\\\":5,\\\"sample_params\\\":{\\\"sample_steps\\\":2}}</sd_cpp_extra_args>\","
                    + "\"size\":\"64x64\",\"n\":2,\"model\":\"" + modelName() + "\"}";
            JsonNode a = http.post("/v1/images/generations", openai).json(), b = local.post("/v1/images/generations", openai).json();
            assertEquals(2, a.get("data").size(), a.toString());
            for (int i = 0; i < 2; i++) {
                assertSame(b.get("data").get(i).get("b64_json").asText(), a.get("data").get(i).get("b64_json").asText());
            }
            String sdapi = "{\"prompt\":\"a boat\",\"negative_prompt\":\"fog\",\"width\":64,\"height\":64,\"steps\":2,\"cfg_scale\":5,"
                    + "\"seed\":11,\"sampler_name\":\"Euler\",\"scheduler\":\"karras\"}";
            a = http.post("/sdapi/v1/txt2img", sdapi).json();
            b = local.post("/sdapi/v1/txt2img", sdapi).json();
            assertSame(b.get("images").get(0).asText(), a.get("images").get(0).asText());
            String id = submit(body(3, 2));
            String localId = local.post("/sdcpp/v1/img_gen", body(3, 2)).json().get("id").asText();
            assertSame(local.awaitJob(localId, Duration.ofSeconds(60)).get("result").get("images").get(0).get("b64_json").asText(),
                    http.awaitJob(id, Duration.ofSeconds(60)).get("result").get("images").get(0).get("b64_json").asText());
        }
    }

    private static void assertSame(String expectedB64, String actualB64) {
        SdImage e = Http.image(expectedB64), a = Http.image(actualB64);
        assertEquals(e.width() + "x" + e.height(), a.width() + "x" + a.height());
        assertArrayEquals(e.pixels(), a.pixels(), "pixels differ");
        assertEquals(expectedB64, actualB64, "same pixels, but the PNG bytes differ");
    }

    @Test
    @Order(3)
    void aJobWhoseWorkerIsKilledIsReclaimedAndCompletedByTheOther() throws Exception {
        String id = submit(body(77, 12));
        String victim = awaitRunning(id);
        String survivor = victim.equals("w1") ? "w2" : "w1";
        Process p = workers.get(victim);
        p.destroyForcibly(); // SIGKILL: no shutdown hook, no requeue
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, p.exitValue(), "killed with SIGKILL");
        JsonNode j = http.awaitJob(id, Duration.ofSeconds(120));
        assertEquals("completed", j.get("status").asText(), j + "\n" + logText());
        Map<String, String> h = hash(id);
        assertEquals(survivor, h.get("worker"), "completed by the survivor: " + h);
        assertEquals("2", h.get("attempts"), "started twice, stored once: " + h);
        List<String> s = lines(survivor, id);
        assertTrue(s.size() == 2 && s.get(0).contains("reclaimed job") && s.get(1).endsWith(", stored"), s.toString());
        assertTrue(lines(victim, id).stream().noneMatch(l -> l.contains("completed")), "the killed worker stored nothing");
        spawn(victim);
        awaitWorkers();
    }

    @Test
    @Order(4)
    void aCancelReachesTheWorkerInAnotherProcess() throws Exception {
        String id = submit(body(78, 60));
        String worker = awaitRunning(id);
        long t0 = System.nanoTime();
        Http.Res r = http.post("/sdcpp/v1/jobs/" + id + "/cancel", "");
        assertEquals(200, r.status(), r.body());
        assertEquals("cancelled", r.json().get("status").asText());
        await(Duration.ofSeconds(30), () -> lines(worker, id).stream().anyMatch(l -> l.contains("cancelled in")),
                "the worker's cancel line; log:\n" + log(worker));
        double seconds = (System.nanoTime() - t0) / 1e9;
        String line = lines(worker, id).stream().filter(l -> l.contains("cancelled in")).findFirst().orElseThrow();
        int step = Integer.parseInt(line.replaceAll(".* at step (\\d+)/60.*", "$1"));
        assertTrue(step < 60, line);
        assertTrue(line.endsWith("not stored: the job was already finished"), line);
        assertTrue(seconds < 10, "the worker stopped " + seconds + " s after the cancel: " + line);
        assertEquals("cancelled", hash(id).get("status"));
        assertEquals("cancelled", http.get("/sdcpp/v1/jobs/" + id).json().get("status").asText());
        System.out.printf("RedisQueueTest: cancel across processes: worker stopped at step %d/60, %.2f s after the request%n", step, seconds);
    }

    @Test
    @Order(5)
    void aSubmitRightAfterRedisDroppedEveryConnectionIsTaken() throws Exception {
        // Redis closes every client connection (what a restart does to the server's pool); the very
        // next submit meets the server's stale pooled connections and must still be queued, once.
        // First the pool is made to hold many connections: 48 lookups at once of jobs no server has.
        List<CompletableFuture<HttpResponse<String>>> lookups = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            lookups.add(http.client().sendAsync(HttpRequest.newBuilder(URI.create(http.base() + "/sdcpp/v1/jobs/job_0_" + i)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (var f : lookups) {
            assertEquals(404, f.get(60, TimeUnit.SECONDS).statusCode());
        }
        try (RedisClient c = redis.client()) {
            String clients = new String((byte[]) c.sendCommand(Protocol.Command.CLIENT, "LIST"), StandardCharsets.UTF_8);
            long pooled = clients.lines().filter(l -> l.contains(" name=sdjava ")).count();
            assertTrue(pooled >= 4, "the server's pool grew: " + pooled + " sdjava connections\n" + clients);
            Object killed = c.sendCommand(Protocol.Command.CLIENT, "KILL", "TYPE", "normal", "SKIPME", "yes");
            assertTrue(killed instanceof Long n && n >= 3, "the server's and both workers' connections closed: " + killed);
        }
        String id = submit(body(199, 2));
        try (RedisClient c = redis.client()) { // while the job is queued or running (a finished one's entry is deleted)
            long entries = c.xrange(NAME + ":stream:" + hash(id).get("model"), "-", "+").stream()
                    .filter(e -> id.equals(e.getFields().get("id"))).count();
            assertTrue(entries <= 1, "queued once, not " + entries + " times");
        }
        assertEquals("completed", http.awaitJob(id, Duration.ofSeconds(120)).get("status").asText(), logText());
        assertEquals("1", hash(id).get("attempts"), "started once: " + hash(id));
    }

    @Test
    @Order(6)
    void afterARedisRestartTheWorkersReconnectAndCarryOn() throws Exception {
        redis.restart(); // nothing persisted: streams, groups and registrations are gone
        awaitWorkers();
        int before1 = log("w1").length(), before2 = log("w2").length();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(submit(body(200 + i, 4)));
        }
        for (String id : ids) {
            assertEquals("completed", http.awaitJob(id, Duration.ofSeconds(120)).get("status").asText(), logText());
        }
        String after1 = log("w1").substring(before1), after2 = log("w2").substring(before2);
        assertTrue(after1.contains("completed") && after2.contains("completed"),
                "both workers carried on:\n--- w1\n" + after1 + "--- w2\n" + after2);
        assertNotEquals("", log("w1").lines().filter(l -> l.contains("reconnected") || l.contains("lost")).findFirst().orElse(""),
                "w1 reported the lost connection");
    }

    @Test
    @Order(7)
    void aSubmitWhileRedisIsDownIsRefusedAtOnceWithRetryAfter() throws Exception {
        redis.stop(); // the last test: the workers lose it too, and are stopped after
        long t0 = System.nanoTime();
        Http.Res r = http.post("/sdcpp/v1/img_gen", body(300, 2));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(503, r.status(), r.body());
        assertTrue(r.body().contains("is unreachable"), r.body());
        assertEquals("5", r.headers().firstValue("Retry-After").orElse(""));
        assertTrue(seconds < 5, "refused after " + seconds + " s: the stale connections are dropped, a refused connect is not retried");
    }
}
