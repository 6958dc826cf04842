package dev.sdjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sdjava.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The queue bound, the API key, the loopback default and graceful shutdown. */
class LifecycleTest {
    private static final String SLOW = "{\"prompt\":\"slow\",\"width\":64,\"height\":64,\"seed\":1,\"sample_params\":{\"sample_steps\":8}}";

    @Test
    void fullQueueAnswers429() throws Exception {
        try (SdServer s = TestServers.start(b -> b.maxQueue(2))) {
            Http http = Http.of(s);
            String a = http.post("/sdcpp/v1/img_gen", SLOW).json().get("id").asText();
            assertEquals(202, http.post("/sdcpp/v1/img_gen", SLOW).status());
            Http.Res full = http.post("/sdcpp/v1/img_gen", SLOW);
            assertEquals(429, full.status(), full.body());
            assertEquals("job queue is full", full.json().get("error").asText());
            assertTrue(full.headers().firstValue("retry-after").isPresent());
            Http.Res sync = http.post("/sdapi/v1/txt2img", "{\"prompt\":\"x\",\"width\":64,\"height\":64,\"steps\":1}");
            assertEquals(429, sync.status(), "the synchronous routes share the queue: " + sync.body());
            assertEquals(2, http.get("/sdcpp/v1/capabilities").json().get("limits").get("max_queue_size").asInt());
            http.post("/sdcpp/v1/jobs/" + a + "/cancel", "");
        }
    }

    @Test
    void apiKeyIsRequiredOnApiRoutesOnly() {
        try (SdServer s = TestServers.start(b -> b.apiKey("secret"))) {
            Http anon = Http.of(s);
            Http.Res r = anon.get("/sdcpp/v1/capabilities");
            assertEquals(401, r.status());
            assertEquals("Bearer", r.headers().firstValue("www-authenticate").orElse(""));
            assertEquals(401, anon.post("/sdcpp/v1/img_gen", SLOW).status());
            assertEquals(401, Http.of(s, "wrong").get("/v1/models").status());
            assertEquals(200, Http.of(s, "secret").get("/v1/models").status());
            assertEquals(200, anon.get("/").status(), "the page itself needs no key (it asks for one)");
        }
    }

    @Test
    void bindsToLoopbackByDefault() throws Exception {
        try (SdServer s = TestServers.start(x -> x)) {
            assertEquals("127.0.0.1", s.host());
            for (var nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                for (var addr : java.util.Collections.list(nif.getInetAddresses())) {
                    if (!addr.isLoopbackAddress() && addr instanceof java.net.Inet4Address) {
                        assertThrows(ConnectException.class, () -> new Socket(addr, s.port()).close(), "reachable on " + addr);
                    }
                }
            }
            new Socket(InetAddress.getLoopbackAddress(), s.port()).close();
        }
    }

    /** close(): queued jobs cancelled, the running one finishes within the grace, new jobs refused, the port closed. */
    @Test
    void shutdownIsGraceful() throws Exception {
        SdServer s = TestServers.start(b -> b.shutdownGrace(Duration.ofSeconds(120)));
        int port = s.port();
        Http http = Http.of(s);
        String a = http.post("/sdcpp/v1/img_gen", SLOW).json().get("id").asText();
        String b = http.post("/sdcpp/v1/img_gen", SLOW).json().get("id").asText();
        for (int i = 0; i < 400 && !http.get("/sdcpp/v1/jobs/" + a).json().get("status").asText().equals("generating"); i++) {
            Thread.sleep(50);
        }
        Thread closer = Thread.ofVirtual().start(s::close);
        Thread.sleep(300);
        Http.Res during = http.post("/sdcpp/v1/img_gen", SLOW);
        assertEquals(503, during.status(), "no new jobs while shutting down: " + during.body());
        JsonNode jb = http.get("/sdcpp/v1/jobs/" + b).json();
        assertEquals("cancelled", jb.get("status").asText());
        assertEquals("server shutting down", jb.get("error").get("message").asText());
        closer.join(Duration.ofSeconds(150));
        assertFalse(closer.isAlive(), "close() returned");
        assertEquals(1, s.jobCounts()[0], "only the running job ran");
        assertEquals(1, s.jobCounts()[1], "and it finished");
        assertThrows(IOException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close(), "port closed");
        assertFalse(Fixtures.sharedSd1().isClosed(), "the caller's context stays open");
    }
}
