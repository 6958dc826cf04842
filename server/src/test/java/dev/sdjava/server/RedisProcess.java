package dev.sdjava.server;

import org.junit.jupiter.api.Assumptions;
import redis.clients.jedis.RedisClient;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's) on loopback, on a free port, persisting nothing
 * ({@code --save "" --appendonly no}), in a directory of the test's: started, stopped and
 * restarted on the same port by the test itself.
 */
final class RedisProcess implements AutoCloseable {
    final int port;
    private final Path dir;
    private Process process;

    private RedisProcess(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    static Path binary() {
        for (String c : new String[] {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
            if (Files.isExecutable(Path.of(c))) {
                return Path.of(c);
            }
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("no redis-server on this machine (.ci/run installs Debian's redis-server)");
        }
        Assumptions.abort("no redis-server installed (apt-get install redis-server)");
        return null;
    }

    static RedisProcess start(Path dir) throws Exception {
        Path bin = binary();
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        RedisProcess r = new RedisProcess(port, dir);
        r.launch(bin);
        return r;
    }

    String uri(String name) {
        return "redis://127.0.0.1:" + port + "/" + name;
    }

    RedisClient client() {
        return RedisClient.builder().hostAndPort("127.0.0.1", port).build();
    }

    private void launch(Path bin) throws Exception {
        process = new ProcessBuilder(List.of(bin.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "yes"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end) {
            try (RedisClient c = client()) {
                if ("PONG".equals(c.ping())) {
                    return;
                }
            } catch (RuntimeException notYet) {
                Thread.sleep(50);
            }
            if (!process.isAlive()) {
                throw new IOException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
            }
        }
        throw new IOException("redis-server did not answer on port " + port);
    }

    /** Stops the server (its data is lost: nothing is persisted) and starts a new one on the same port. */
    void restart() throws Exception {
        stop();
        launch(binary());
    }

    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
