package dev.sdjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdjava.GenerationRequest;
import dev.sdjava.SdImage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web page in a real headless browser (Debian's Chromium, driven over the DevTools protocol
 * with the JDK's WebSocket): type a prompt, set size, steps, sampler and seed, generate, watch the
 * progress, and get the image the core API makes; a screenshot goes to target/server-page.png
 * (docs/server-page.png is one).
 */
class WebPageBrowserTest {
    @TempDir
    Path tmp;

    static Path chromium() {
        for (String c : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
            if (Files.isExecutable(Path.of(c))) {
                return Path.of(c);
            }
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("no chromium on this machine (.ci/run installs Debian's chromium)");
        }
        Assumptions.abort("no chromium installed (apt-get install chromium)");
        return null;
    }

    /** A minimal DevTools client: one call at a time, answers matched by id. */
    static final class Cdp implements WebSocket.Listener {
        final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
        final AtomicInteger ids = new AtomicInteger();
        final StringBuilder buf = new StringBuilder();
        WebSocket ws;

        JsonNode call(String method, ObjectNode params) throws Exception {
            int id = ids.incrementAndGet();
            ObjectNode msg = Http.JSON.createObjectNode().put("id", id).put("method", method);
            msg.set("params", params == null ? Http.JSON.createObjectNode() : params);
            CompletableFuture<JsonNode> f = new CompletableFuture<>();
            pending.put(id, f);
            ws.sendText(msg.toString(), true).get(10, TimeUnit.SECONDS);
            JsonNode r = f.get(60, TimeUnit.SECONDS);
            if (r.has("error")) {
                throw new AssertionError(method + ": " + r.get("error"));
            }
            return r.get("result");
        }

        String eval(String js) throws Exception {
            ObjectNode p = Http.JSON.createObjectNode().put("expression", js).put("returnByValue", true).put("awaitPromise", true);
            JsonNode v = call("Runtime.evaluate", p).path("result").path("value");
            return v.isMissingNode() || v.isNull() ? null : v.asText();
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            buf.append(data);
            if (last) {
                try {
                    JsonNode n = Http.JSON.readTree(buf.toString());
                    if (n.has("id")) {
                        CompletableFuture<JsonNode> f = pending.remove(n.get("id").asInt());
                        if (f != null) {
                            f.complete(n);
                        }
                    }
                } catch (Exception e) {
                    // events we do not read
                }
                buf.setLength(0);
            }
            w.request(1);
            return null;
        }
    }

    @Test
    void pageGeneratesShowsProgressAndTheImage() throws Exception {
        Path chrome = chromium();
        SdServer server = TestServers.shared();
        Path profile = Files.createDirectories(tmp.resolve("profile"));
        Process p = new ProcessBuilder(chrome.toString(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--remote-debugging-port=0", "--user-data-dir=" + profile, "--window-size=1100,760", "about:blank")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("chromium.log").toFile()).start();
        try {
            Path portFile = profile.resolve("DevToolsActivePort");
            for (int i = 0; i < 300 && !Files.exists(portFile); i++) {
                Thread.sleep(100);
            }
            assertTrue(Files.exists(portFile), () -> "chromium did not start: " + read(tmp.resolve("chromium.log")));
            int port = Integer.parseInt(Files.readAllLines(portFile).getFirst().strip());
            HttpClient http = HttpClient.newHttpClient();
            JsonNode targets = Http.JSON.readTree(http.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body());
            String wsUrl = null;
            for (JsonNode t : targets) {
                if (t.get("type").asText().equals("page")) {
                    wsUrl = t.get("webSocketDebuggerUrl").asText();
                }
            }
            Cdp cdp = new Cdp();
            cdp.ws = http.newWebSocketBuilder().buildAsync(URI.create(wsUrl), cdp).get(10, TimeUnit.SECONDS);
            cdp.call("Page.enable", null);
            cdp.call("Page.navigate", Http.JSON.createObjectNode().put("url", "http://127.0.0.1:" + server.port() + "/"));
            waitFor(cdp, "document.getElementById('sampler').options.length > 5 ? 'ok' : null", Duration.ofSeconds(30));
            cdp.eval("""
                    (() => { const set = (id, v) => { document.getElementById(id).value = v; };
                      set('prompt', 'a lighthouse at dusk'); set('width', 64); set('height', 64); set('steps', 2);
                      set('sampler', 'euler'); set('seed', 21); document.getElementById('generate').click(); return 'clicked'; })()""");
            String status = waitFor(cdp, "(() => { const s = document.getElementById('status').textContent; "
                    + "return s.startsWith('done') || s.startsWith('failed') ? s : null; })()", Duration.ofMinutes(3));
            assertEquals("done: seed 21", status);
            assertEquals("2", cdp.eval("String(document.getElementById('bar').value)"));
            assertTrue(cdp.eval("document.getElementById('params').textContent").startsWith("a lighthouse at dusk\nSteps: 2"));
            assertEquals("sdjava-21.png", cdp.eval("document.getElementById('download').download"));
            String src = cdp.eval("document.getElementById('result').src");
            SdImage shown = Http.image(src.substring(src.indexOf(',') + 1));
            SdImage want = TestServers.core(GenerationRequest.builder("a lighthouse at dusk").size(64, 64).steps(2).seed(21)
                    .samplingMethod(dev.sdjava.SamplingMethod.EULER).build()).getFirst();
            assertArrayEquals(want.pixels(), shown.pixels(), "the page shows the core API's image");
            String png = cdp.call("Page.captureScreenshot", Http.JSON.createObjectNode().put("format", "png")).get("data").asText();
            Path shot = Path.of(System.getProperty("sdjava.test.serverDir", "."), "target", "server-page.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, Base64.getDecoder().decode(png));
            cdp.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        } finally {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static String waitFor(Cdp cdp, String js, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            String v = cdp.eval(js);
            if (v != null) {
                return v;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting for " + js);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
