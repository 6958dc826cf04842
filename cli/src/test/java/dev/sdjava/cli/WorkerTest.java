package dev.sdjava.cli;

import dev.sdjava.Fixtures;
import dev.sdjava.SdImage;
import dev.sdjava.server.SdServer;
import dev.sdjava.server.SdWorker;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** sdj serve --queue and sdj worker over a real redis-server: the answer equals sdj generate's pixels. */
class WorkerTest {
    @TempDir
    Path tmp;

    @Test
    void queueOptionsAreCheckedAsUsageErrors() {
        Cli r = Cli.run("serve", "--queue", "redis://127.0.0.1:1/x", "-m", Fixtures.sd1().toString()).expect(2);
        assertTrue(r.lastErr().contains("with --queue this server loads no model"), r.err());
        r = Cli.run("worker", "-m", Fixtures.sd1().toString()).expect(2);
        assertTrue(r.err().contains("--queue"), r.err());
        r = Cli.run("serve", "--queue", "http://127.0.0.1:1/x").expect(2);
        assertTrue(r.lastErr().contains("redis://HOST:PORT/NAME"), r.err());
    }

    @Test
    void serveQueueAndWorkerAnswerWithSdjGeneratesPixels() throws Exception {
        Path bin = Path.of("/usr/bin/redis-server");
        if (!Files.isExecutable(bin)) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("no redis-server on this machine (.ci/run installs Debian's redis-server)");
            }
            Assumptions.abort("no redis-server installed (apt-get install redis-server)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process redis = new ProcessBuilder(List.of(bin.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", tmp.toString())).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("redis.log").toFile()).start();
        String threads = String.valueOf(Fixtures.THREADS);
        String queue = "redis://127.0.0.1:" + port + "/cli";
        Thread w = null;
        Thread t = null;
        SdWorker worker = null;
        SdServer server = null;
        try {
            for (int i = 0; i < 200 && !listening(port); i++) {
                Thread.sleep(50);
            }
            Worker.STARTED.set(null);
            Serve.STARTED.set(null);
            AtomicReference<Cli> workerRun = new AtomicReference<>();
            AtomicReference<Cli> serveRun = new AtomicReference<>();
            w = Thread.ofPlatform().start(() -> workerRun.set(Cli.run("worker", "--queue", queue, "-m", Fixtures.sd1().toString(),
                    "-t", threads, "--name", "cli-worker")));
            t = Thread.ofPlatform().start(() -> serveRun.set(Cli.run("serve", "--queue", queue, "--port", "0")));
            for (int i = 0; i < 1200 && ((worker = Worker.STARTED.get()) == null || (server = Serve.STARTED.get()) == null); i++) {
                Thread.sleep(50);
            }
            assertNotNull(worker, () -> "sdj worker did not start: " + workerRun.get());
            assertNotNull(server, () -> "sdj serve did not start: " + serveRun.get());
            assertEquals("cli-worker", worker.name());
            String body = "{\"prompt\":\"a red fox\",\"width\":64,\"height\":64,\"steps\":2,\"seed\":42,\"cfg_scale\":5,\"sampler_name\":\"euler\"}";
            HttpResponse<String> r = null;
            for (int i = 0; i < 100; i++) { // until the worker has registered its model
                r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/sdapi/v1/txt2img"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 503) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(200, r.statusCode(), r.body());
            Matcher m = Pattern.compile("\"images\":\\[\"([^\"]+)\"").matcher(r.body());
            assertTrue(m.find(), r.body());
            SdImage served = SdImage.fromBufferedImage(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1)))), 3);
            assertEquals(1, worker.jobCounts()[0], "the worker ran the one job");
            Path out = tmp.resolve("gen.png");
            Cli.run("generate", "-m", Fixtures.sd1().toString(), "-p", "a red fox", "-W", "64", "-H", "64", "--steps", "2",
                    "-s", "42", "--cfg-scale", "5", "--sampling-method", "euler", "-t", threads, "-o", out.toString()).expect(0);
            assertArrayEquals(SdImage.read(out, 3).pixels(), served.pixels(), "the worker's image differs from sdj generate's");
        } finally {
            if (server != null) {
                server.close();
            }
            if (worker != null) {
                worker.close();
            }
            if (t != null) {
                t.join(60_000);
            }
            if (w != null) {
                w.join(60_000);
            }
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
