package dev.sdjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdjava.Fixtures;
import dev.sdjava.GenerationRequest;
import dev.sdjava.SdImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input on loopback: each answer is a 4xx naming the problem, no job is started, and the
 * server and its context still work afterwards (same pixels as the core API).
 */
class BadInputTest {
    private static SdServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        server = TestServers.start(b -> b.maxBodyBytes(64 * 1024).readTimeout(Duration.ofSeconds(2)));
        http = Http.of(server);
    }

    private long before;

    @org.junit.jupiter.api.BeforeEach
    void count() {
        before = server.jobCounts()[0];
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static void bad(int status, String path, String body, String messagePart) {
        Http.Res r = http.post(path, body);
        assertEquals(status, r.status(), path + " " + body + " -> " + r.body());
        JsonNode j = r.json();
        assertTrue(j.get("error").asText().contains(messagePart), () -> "error should mention '" + messagePart + "': " + r.body());
    }

    @Test
    void malformedJson() {
        for (String p : List.of("/sdcpp/v1/img_gen", "/sdapi/v1/txt2img", "/sdapi/v1/img2img", "/v1/images/generations")) {
            bad(400, p, "{\"prompt\": \"x\",", "invalid json");
            bad(400, p, "[1,2]", "must be a JSON object");
            bad(400, p, "{\"prompt\":\"x\"} trailing", "invalid json");
            bad(400, p, "{\"prompt\":\"a\",\"prompt\":\"b\"}", "invalid json");
            assertTrue(http.post(p, "{\"prompt\":\"a\",\"prompt\":\"b\"}").json().get("message").asText().contains("Duplicate field"));
            bad(400, p, "[".repeat(5000), "invalid json");
            bad(400, p, "", "empty body");
        }
        bad(400, "/v1/images/generations", "{\"prompt\":\"x <sd_cpp_extra_args>{oops</sd_cpp_extra_args>\"}", "invalid sd_cpp_extra_args");
        assertEquals(before, server.jobCounts()[0], "no job was started");
    }

    @Test
    void wrongTypes() {
        bad(400, "/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"width\":\"64\"}", "width must be an integer");
        bad(400, "/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"steps\":2.5}", "steps must be an integer");
        bad(400, "/sdapi/v1/txt2img", "{\"prompt\":42}", "prompt must be a string");
        bad(400, "/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"seed\":1e400}", "seed");
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"sample_params\":[]}", "sample_params must be an object");
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"sample_params\":{\"guidance\":{\"txt_cfg\":\"high\"}}}", "txt_cfg must be a finite number");
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"init_image\":\"@@@not base64@@@\"}", "init_image is not valid base64");
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"init_image\":\"aGVsbG8=\"}", "init_image is not an image");
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"lora\":[{\"path\":\"../../etc/passwd\"}]}", "invalid lora path");
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"width\":99999999999}", "width must be an integer in 32-bit range");
        bad(400, "/v1/images/generations", "{\"prompt\":\"x\",\"n\":\"2\"}", "n must be an integer");
        bad(400, "/v1/images/generations", "{\"prompt\":\"x\",\"output_format\":\"gif\"}", "invalid output_format");
        bad(400, "/sdapi/v1/txt2img", "{\"prompt\":\"\"}", "prompt required");
        assertEquals(before, server.jobCounts()[0], "no job was started");
    }

    /** sd-server's step-cache fields in sd-cli's spelling: a bad one is a 400 naming the field and what it takes. */
    @Test
    void badStepCacheFields() {
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"cache_mode\":\"fast\"}",
                "invalid cache_mode: unknown cache mode 'fast': use one of disabled, easycache, ucache, dbcache, taylorseer, cache-dit, spectrum");
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"cache_mode\":\"ucache\",\"cache_option\":\"speed=2\"}",
                "invalid cache_option: unknown cache option 'speed': the keys are threshold, start");
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"cache_mode\":\"ucache\",\"cache_option\":\"threshold=-1\"}",
                "invalid cache_option: the cache threshold must be >= 0");
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"cache_mode\":\"cache-dit\",\"scm_mask\":\"1,0,x\"}",
                "invalid scm_mask: the scm mask must be 0s and 1s");
        bad(400, "/v1/images/generations",
                "{\"prompt\":\"x <sd_cpp_extra_args>{\\\"cache_mode\\\":\\\"warp\\\"}</sd_cpp_extra_args>\"}",
                "invalid sd_cpp_extra_args.cache_mode: unknown cache mode 'warp'");
        assertEquals(before, server.jobCounts()[0], "no job was started");
    }

    @Test
    void unknownSamplersAndSchedulers() {
        bad(400, "/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"sampler_name\":\"DPM++ 9000\"}", "unknown sampler 'DPM++ 9000'");
        bad(400, "/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"scheduler\":\"weekly\"}", "unknown scheduler 'weekly'");
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"sample_params\":{\"sample_method\":\"nope\"}}", "known: default, euler, euler_a");
        assertEquals(before, server.jobCounts()[0], "no job was started");
    }

    @Test
    void negativeOrHugeSizes() {
        bad(400, "/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"width\":-64,\"height\":64}", "width and height must be positive");
        bad(400, "/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"width\":100000,\"height\":64}", "width must be 64..4096");
        bad(400, "/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"width\":65,\"height\":64}", "multiple of 8");
        bad(400, "/v1/images/generations", "{\"prompt\":\"x\",\"size\":\"-64x64\"}", "size must be positive");
        bad(400, "/v1/images/generations", "{\"prompt\":\"x\",\"size\":\"99999x99999\"}", "must be 64..4096");
        bad(400, "/v1/images/generations", "{\"prompt\":\"x\",\"size\":\"big\"}", "size must be WIDTHxHEIGHT");
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"height\":8192,\"width\":8192}", "must be 64..4096");
        // A tiny PNG header claiming 100000x100000: refused from the header, never decoded.
        byte[] png = new SdImage(8, 8, 3, new byte[8 * 8 * 3]).toPng();
        png[16] = 0; png[17] = 1; png[18] = (byte) 0x86; png[19] = (byte) 0xA0;
        String b64 = java.util.Base64.getEncoder().encodeToString(png);
        bad(400, "/sdcpp/v1/img_gen", "{\"prompt\":\"x\",\"init_image\":\"" + b64 + "\"}", "init_image");
        assertEquals(before, server.jobCounts()[0], "no job was started");
    }

    private static void badForm(int status, String contentType, byte[] body, String messagePart) {
        Http.Res r = http.post("/v1/images/edits", contentType, body);
        assertEquals(status, r.status(), contentType + " -> " + r.body());
        assertTrue(r.json().get("error").asText().contains(messagePart), () -> "error should mention '" + messagePart + "': " + r.body());
    }

    private static void badEdit(FormDataTest.Body form, String messagePart) {
        badForm(400, form.contentType(), form.end(), messagePart);
    }

    private static FormDataTest.Body edit(byte[] image) {
        return new FormDataTest.Body("bad-edit").field("prompt", "x").file("image", "in.png", "image/png", image);
    }

    /** Bad multipart bodies and bad edit fields on /v1/images/edits: each a 400 naming the problem. */
    @Test
    void badEdits() {
        byte[] png = Fixtures.gradient(64, 64).toPng();
        byte[] good = edit(png).end();
        badForm(400, "application/json", "{\"prompt\":\"x\"}".getBytes(StandardCharsets.UTF_8), "Content-Type must be multipart/form-data");
        badForm(400, "multipart/form-data", good, "without a boundary");
        badForm(400, "multipart/form-data; boundary=bad-edit", java.util.Arrays.copyOf(good, good.length - 40), "malformed multipart/form-data");
        badForm(400, "multipart/form-data; boundary=other", good, "malformed multipart/form-data");
        badForm(400, "multipart/form-data; boundary=bad-edit", new byte[0], "malformed multipart/form-data");
        FormDataTest.Body many = new FormDataTest.Body("many").field("prompt", "x");
        for (int i = 0; i < FormData.MAX_PARTS; i++) {
            many.field("f" + i, "v");
        }
        badEdit(many, "too many");
        badEdit(new FormDataTest.Body("e").file("image", "in.png", "image/png", png), "prompt required");
        badEdit(new FormDataTest.Body("e").field("prompt", "x"), "at least one image[] required");
        badEdit(new FormDataTest.Body("e").field("prompt", "x").field("image", "not a file"), "at least one image[] required");
        badEdit(edit("hello, not an image".getBytes(StandardCharsets.UTF_8)), "image is not an image");
        badEdit(new FormDataTest.Body("e").field("prompt", "x").file("image[]", "a.png", "image/png", png)
                .file("image[]", "b.txt", "text/plain", new byte[] {1, 2, 3}), "image[1] is not an image");
        badEdit(edit(new byte[0]), "image is empty");
        badEdit(edit(png).field("size", "128x128"), "image is 64x64 but the request is 128x128");
        badEdit(edit(png).field("size", "-64x64"), "size must be positive");
        badEdit(edit(png).field("size", "big"), "size must be WIDTHxHEIGHT");
        badEdit(edit(Fixtures.gradient(68, 64).toPng()), "width must be a multiple of 8");
        badEdit(edit(png).file("mask", "m.png", "image/png", new SdImage(32, 32, 1, new byte[32 * 32]).toPng()), "mask is 32x32");
        badEdit(edit(png).file("mask", "m.png", "image/png", new byte[] {1}), "mask is not an image");
        badEdit(edit(png).field("n", "two"), "n must be an integer");
        badEdit(edit(png).field("output_compression", "1.5"), "output_compression must be an integer");
        badEdit(edit(png).field("output_format", "gif"), "invalid output_format");
        badEdit(edit(png).field("output_format", "webp"), "invalid output_format");
        badEdit(new FormDataTest.Body("e").field("prompt", "x <sd_cpp_extra_args>{oops</sd_cpp_extra_args>").file("image", "a.png", null, png),
                "invalid sd_cpp_extra_args");
        FormDataTest.Body seventeen = new FormDataTest.Body("e").field("prompt", "x");
        for (int i = 0; i <= Params.MAX_EDIT_IMAGES; i++) {
            seventeen.file("image[]", i + ".png", "image/png", new SdImage(8, 8, 3, new byte[8 * 8 * 3]).toPng());
        }
        badEdit(seventeen, "at most 16 image[] files");
        // A tiny PNG header claiming 100000x100000: refused from the header, never decoded.
        byte[] huge = png.clone();
        huge[16] = 0; huge[17] = 1; huge[18] = (byte) 0x86; huge[19] = (byte) 0xA0;
        badEdit(edit(huge), "image is 100000x");
        assertEquals(405, http.get("/v1/images/edits").status());
        assertEquals(before, server.jobCounts()[0], "no job was started");
    }

    @Test
    void bodyOverTheLimitIs413() {
        byte[] big = ("{\"prompt\":\"" + "x".repeat(70 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        Http.Res r = http.post("/sdcpp/v1/img_gen", big);
        assertEquals(413, r.status(), r.body());
        // The same limit for multipart edits, declared (Content-Length) or not (chunked).
        FormDataTest.Body form = new FormDataTest.Body("big").field("prompt", "x").file("image", "in.png", "image/png", new byte[70 * 1024]);
        byte[] bigForm = form.end();
        assertEquals(413, http.post("/v1/images/edits", form.contentType(), bigForm).status());
        Http.Res chunked = http.send(http.req("/v1/images/edits").header("Content-Type", form.contentType())
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bigForm))).build());
        assertEquals(413, chunked.status(), chunked.body());
        assertEquals(before, server.jobCounts()[0], "no job was started");
        assertEquals(200, http.get("/v1/models").status());
    }

    /** Clients that trickle or stall their headers are dropped after the read timeout and never hold up others. */
    @Test
    void slowLorisConnectionsAreDroppedAndOthersServed() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
                s.getOutputStream().write("GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                slow.add(s);
            }
            long t0 = System.nanoTime();
            assertEquals(200, http.get("/v1/models").status());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "a normal request waits for no slow client");
            // The stalled ones: the server closes them once the read timeout (2 s) passes.
            for (Socket s : slow) {
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                long start = System.nanoTime();
                int b;
                try {
                    while ((b = in.read()) >= 0) {
                        // a 408/400 answer before closing is fine too
                    }
                } catch (IOException reset) {
                    // closed by the server
                }
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(9), "stalled connection was not closed");
            }
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
        assertEquals(200, http.get("/v1/models").status());
    }

    /** 500 connections at once, each one request: every one is answered, the server stays up. */
    @Test
    void fiveHundredConcurrentConnections() throws Exception {
        int n = 500;
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> answers = new ArrayList<>();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            for (int i = 0; i < n; i++) {
                answers.add(pool.submit(() -> {
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                        s.setSoTimeout(30_000);
                        go.await();
                        OutputStream out = s.getOutputStream();
                        out.write("GET /sdapi/v1/options HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        String head = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                        return Integer.parseInt(head.substring(9, 12));
                    }
                }));
            }
            go.countDown();
            int ok = 0;
            for (Future<Integer> f : answers) {
                if (f.get(60, TimeUnit.SECONDS) == 200) {
                    ok++;
                }
            }
            assertEquals(n, ok, "every connection answered 200");
        }
        assertEquals(200, http.get("/v1/models").status());
    }

    /** After all of the above, the same server still generates what the core API does. */
    @Test
    void stillGeneratesAfterBadInput() {
        malformedJson();
        wrongTypes();
        badEdits();
        Http.Res r = http.post("/sdapi/v1/txt2img", "{\"prompt\":\"ok\",\"width\":64,\"height\":64,\"steps\":2,\"seed\":9}");
        assertEquals(200, r.status(), r.body());
        SdImage want = TestServers.core(GenerationRequest.builder("ok").size(64, 64).steps(2).seed(9).build()).getFirst();
        assertArrayEquals(want.pixels(), Http.image(r.json().get("images").get(0).asText()).pixels());
        SdImage init = Fixtures.gradient(64, 64);
        Http.Res e = http.post("/v1/images/edits", new FormDataTest.Body("ok").file("image", "in.png", "image/png", init.toPng())
                .field("prompt", "ok <sd_cpp_extra_args>{\"seed\":9,\"sample_params\":{\"sample_steps\":2}}</sd_cpp_extra_args>"));
        assertEquals(200, e.status(), e.body());
        SdImage wantEdit = TestServers.core(GenerationRequest.builder("ok ").initImage(init).size(64, 64).steps(2).seed(9).build()).getFirst();
        assertArrayEquals(wantEdit.pixels(), Http.image(e.json().get("data").get(0).get("b64_json").asText()).pixels());
    }
}
