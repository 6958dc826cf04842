package dev.sdjava.cli;

import dev.sdjava.Fixtures;
import dev.sdjava.SdImage;
import dev.sdjava.server.SdServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** sdj serve on loopback: an sdapi txt2img answer has the pixels sdj generate writes for the same parameters. */
class ServeTest {
    @TempDir
    Path tmp;

    @Test
    void txt2imgEqualsSdjGenerate() throws Exception {
        String threads = String.valueOf(Fixtures.THREADS);
        Serve.STARTED.set(null);
        AtomicReference<Cli> result = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> result.set(Cli.run("serve", "-m", Fixtures.sd1().toString(), "--port", "0", "-t", threads)));
        SdServer server = null;
        for (int i = 0; i < 1200 && (server = Serve.STARTED.get()) == null && t.isAlive(); i++) {
            Thread.sleep(50);
        }
        assertNotNull(server, () -> "sdj serve did not start: " + result.get());
        try {
            assertEquals("127.0.0.1", server.host(), "loopback by default");
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.port() + "/sdapi/v1/txt2img"))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\":\"a red fox\",\"width\":64,\"height\":64,\"steps\":2,\"seed\":42,\"cfg_scale\":5,\"sampler_name\":\"euler\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            Matcher m = Pattern.compile("\"images\":\\[\"([^\"]+)\"").matcher(r.body());
            assertTrue(m.find(), r.body());
            SdImage served = SdImage.fromBufferedImage(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1)))), 3);

            Path out = tmp.resolve("gen.png");
            Cli.run("generate", "-m", Fixtures.sd1().toString(), "-p", "a red fox", "-W", "64", "-H", "64", "--steps", "2",
                    "-s", "42", "--cfg-scale", "5", "--sampling-method", "euler", "-t", threads, "-o", out.toString()).expect(0);
            assertArrayEquals(SdImage.read(out, 3).pixels(), served.pixels(), "sdj serve's image differs from sdj generate's");
        } finally {
            server.close();
            t.join(60_000);
        }
        assertEquals(0, result.get().code(), () -> "serve exit code: " + result.get());
        assertTrue(result.get().out().contains("listening on http://127.0.0.1:"), result.get().out());
    }
}
