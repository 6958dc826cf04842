package dev.sdjava.server;

import dev.sdjava.StableDiffusion;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

import java.nio.file.Path;
import java.time.Duration;

/**
 * An HTTP server over one loaded {@link StableDiffusion} context that answers the routes of
 * stable-diffusion.cpp's {@code sd-server} with the same JSON: OpenAI images
 * ({@code /v1/images/generations}, {@code /v1/images/edits}, {@code /v1/models}), AUTOMATIC1111's {@code /sdapi/v1/...},
 * and sd.cpp's async jobs ({@code /sdcpp/v1/...}). Beyond sd-server: running jobs can be cancelled,
 * each job streams its progress (and previews) as server-sent events at
 * {@code /sdcpp/v1/jobs/{id}/events}, an optional bearer token guards every API route, and a web
 * page is served at {@code /}.
 *
 * <pre>{@code
 * try (var sd = StableDiffusion.load(config);
 *      var server = SdServer.builder(sd).modelPath(config.model()).port(1234).build().start()) {
 *     server.awaitShutdown();
 * }
 * }</pre>
 *
 * <p>All generation runs on one worker, one job at a time, from a queue of at most
 * {@link Builder#maxQueue} jobs (queued or running); a full queue answers 429. The context is the
 * caller's: the server never closes it. {@link #close()} is graceful: it stops taking jobs (503),
 * cancels queued jobs, lets the running one finish for {@link Builder#shutdownGrace} then cancels
 * it, and stops the listener.
 */
public final class SdServer implements AutoCloseable {
    private final Builder cfg;
    private final JobQueue jobs;
    private final Routes routes;
    private Server web;
    private int port;
    private volatile boolean closed;
    private final Object closeLock = new Object();

    private SdServer(Builder cfg) {
        this.cfg = cfg;
        this.jobs = cfg.queue == null ? new Jobs(cfg.sd, cfg.maxQueue, cfg.jobTtl)
                : new RedisJobs(cfg.queue, cfg.maxQueue, cfg.jobTtl, cfg.defaultModel, Duration.ofMillis(500));
        this.routes = new Routes(cfg, jobs, this::isClosed);
    }

    /**
     * A builder for a server with no context of its own, whose jobs go to a Redis queue
     * ({@link Builder#queue}, required) and are run by {@link SdWorker}s (docs/SCALING.md).
     */
    public static Builder builder() {
        return new Builder(null);
    }

    /** A builder for a server over {@code sd}, which stays open and owned by the caller. */
    public static Builder builder(StableDiffusion sd) {
        if (sd == null) {
            throw new IllegalArgumentException("the StableDiffusion context must not be null");
        }
        return new Builder(sd);
    }

    /** Binds the listener and starts serving; returns this. */
    public SdServer start() {
        VirtualThreadPool threads = new VirtualThreadPool();
        threads.setName("sdjava-http");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(16 * 1024);
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(cfg.host);
        connector.setPort(cfg.port);
        // Drops a connection that sends or reads nothing for this long: stalled and slow-loris
        // clients, and idle keep-alive ones. Routes that wait on a generation extend it.
        connector.setIdleTimeout(cfg.readTimeout.toMillis());
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(cfg.maxConnections, connector));
        server.setStopTimeout(2000);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                routes.handle(new Exchange(request, response, callback, cfg.maxBodyBytes));
                return true;
            }
        });
        try {
            server.start();
        } catch (Exception e) {
            jobs.close(Duration.ZERO);
            throw new IllegalStateException("could not listen on " + cfg.host + ":" + cfg.port + ": " + e.getMessage(), e);
        }
        this.web = server;
        this.port = connector.getLocalPort();
        return this;
    }

    /** The port the server listens on (the one picked by the system when built with port 0). */
    public int port() {
        return port;
    }

    /** The address it listens on. */
    public String host() {
        return cfg.host;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Blocks until {@link #close()} has run (from another thread or a shutdown hook). */
    public void awaitShutdown() throws InterruptedException {
        synchronized (closeLock) {
            while (!closed) {
                closeLock.wait();
            }
        }
    }

    /** Jobs the worker started and finished since start, {@code [started, finished]}. */
    public long[] jobCounts() {
        return jobs.counts();
    }

    /** Graceful shutdown (see the class documentation). Idempotent. The context stays open. */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
            closeLock.notifyAll();
        }
        jobs.close(cfg.shutdownGrace);
        if (web != null) {
            try {
                web.stop();
            } catch (Exception e) {
                throw new IllegalStateException("stopping the HTTP listener failed: " + e.getMessage(), e);
            }
        }
    }

    /** Configures a {@link SdServer}; every setter checks its argument. */
    public static final class Builder {
        final StableDiffusion sd;
        String host = "127.0.0.1";
        int port = 1234;
        String apiKey;
        int maxQueue = 64;
        long maxBodyBytes = 32L << 20;
        Duration jobTtl = Duration.ofSeconds(600);
        Path modelPath;
        Path loraDir;
        Path upscalerDir;
        Params.Limits limits = Params.Limits.DEFAULT;
        Duration shutdownGrace = Duration.ofSeconds(30);
        Duration syncTimeout = Duration.ofHours(1);
        int maxConnections = 1024;
        Duration readTimeout = Duration.ofSeconds(30);
        String queue;
        String defaultModel;

        private Builder(StableDiffusion sd) {
            this.sd = sd;
        }

        /** Address to bind; default 127.0.0.1 (loopback only). "0.0.0.0" listens on every interface. */
        public Builder host(String host) {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must not be empty");
            }
            this.host = host;
            return this;
        }

        /** Port, 0..65535; 0 picks a free one ({@link #port()} tells which); default 1234 (sd-server's). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** Requires {@code Authorization: Bearer <key>} on every route but the web page; null (default) requires none. */
        public Builder apiKey(String key) {
            if (key != null && key.isBlank()) {
                throw new IllegalArgumentException("api key must not be blank");
            }
            this.apiKey = key;
            return this;
        }

        /** Most jobs queued or running at once, 1..100000; default 64 (sd-server's). More answer 429. */
        public Builder maxQueue(int n) {
            if (n < 1 || n > 100_000) {
                throw new IllegalArgumentException("maxQueue must be 1..100000, got " + n);
            }
            this.maxQueue = n;
            return this;
        }

        /** Largest request body in bytes, 1 KiB..2 GiB; default 32 MiB. Larger bodies answer 413. */
        public Builder maxBodyBytes(long n) {
            if (n < 1024 || n > (2L << 30)) {
                throw new IllegalArgumentException("maxBodyBytes must be 1024..2^31, got " + n);
            }
            this.maxBodyBytes = n;
            return this;
        }

        /** How long finished jobs are kept for polling; default 600 s (sd-server's). */
        public Builder jobTtl(Duration ttl) {
            if (ttl == null || ttl.isNegative()) {
                throw new IllegalArgumentException("jobTtl must be >= 0");
            }
            this.jobTtl = ttl;
            return this;
        }

        /** The model file shown by {@code /sdapi/v1/sd-models} and the capabilities (display only). */
        public Builder modelPath(Path p) {
            this.modelPath = p;
            return this;
        }

        /** Directory of LoRAs that requests may name (relative paths); default none. */
        public Builder loraDir(Path dir) {
            this.loraDir = dir;
            return this;
        }

        /** Directory of hires upscaler models that requests may name; default none. */
        public Builder upscalerDir(Path dir) {
            this.upscalerDir = dir;
            return this;
        }

        /** Largest width or height a request may ask for, 64..8192; default 4096 (sd-server's advertised limit). */
        public Builder maxSide(int side) {
            if (side < 64 || side > 8192) {
                throw new IllegalArgumentException("maxSide must be 64..8192, got " + side);
            }
            this.limits = new Params.Limits(64, side, limits.maxBatch(), limits.maxSteps());
            return this;
        }

        /** How long {@link SdServer#close()} lets a running job finish before cancelling it; default 30 s. */
        public Builder shutdownGrace(Duration d) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException("shutdownGrace must be >= 0");
            }
            this.shutdownGrace = d;
            return this;
        }

        /** Most open connections (and requests in progress), 1..100000; default 1024. */
        public Builder maxConnections(int n) {
            if (n < 1 || n > 100_000) {
                throw new IllegalArgumentException("maxConnections must be 1..100000, got " + n);
            }
            this.maxConnections = n;
            return this;
        }

        /**
         * How long a connection may send and receive nothing before it is dropped (stalled or
         * slow-loris clients, idle keep-alive connections); default 30 s. Requests waiting for
         * a generation, and event streams, are exempt.
         */
        public Builder readTimeout(Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("readTimeout must be > 0");
            }
            this.readTimeout = d;
            return this;
        }

        /** How long a synchronous route (OpenAI, sdapi) waits for its job; default 1 h, then 504. */
        public Builder syncTimeout(Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("syncTimeout must be > 0");
            }
            this.syncTimeout = d;
            return this;
        }

        /**
         * Puts jobs on a Redis queue instead of the embedded one: {@code redis://HOST:PORT/NAME}
         * ({@code rediss://} for TLS, {@code redis://:password@...} with a password). Each job goes
         * to the stream of the model it names (when a worker serves it) or of the default model;
         * {@link SdWorker}s, on this or other machines, run them. Needs {@link SdServer#builder()}
         * (no context of its own). {@link #maxQueue} then bounds each model's stream.
         */
        public Builder queue(String uri) {
            RedisQueue.open(uri, 1).close(); // checks the address now; connects on start
            this.queue = uri;
            return this;
        }

        /**
         * With {@link #queue}: the model that requests naming none (or one no worker serves) go to;
         * default: the only model the workers serve, and a 400 naming them when they serve several.
         */
        public Builder defaultModel(String name) {
            this.defaultModel = name == null ? null : RedisQueue.checkName("model name", name);
            return this;
        }

        /** The server, not yet listening: call {@link SdServer#start()}. */
        public SdServer build() {
            if (sd == null && queue == null) {
                throw new IllegalStateException("a server without a context needs a queue: SdServer.builder().queue(\"redis://HOST:PORT/NAME\")");
            }
            if (sd != null && queue != null) {
                throw new IllegalStateException("a server over a Redis queue runs no context of its own: use SdServer.builder().queue(...), "
                        + "and an SdWorker over the context");
            }
            return new SdServer(this);
        }
    }
}
