package dev.sdjava.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.StableDiffusion;
import dev.sdjava.StableDiffusionException;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A worker of a Redis queue: takes the jobs of one model, one at a time, from the stream that
 * {@link SdServer} servers (built with {@link SdServer.Builder#queue}) put them on, runs each on
 * its {@link StableDiffusion} context and stores the result back in Redis. Run one per GPU (or
 * per machine) with the model loaded; {@code sdj worker} wraps it.
 *
 * <pre>{@code
 * try (var sd = StableDiffusion.load(config);
 *      var worker = SdWorker.builder(sd, "redis://redis:6379/sd").build().start()) {
 *     worker.awaitShutdown();
 * }
 * }</pre>
 *
 * <p>Delivery is at least once, the result stored once (docs/SCALING.md):
 * <ul>
 * <li>{@code XREADGROUP ... COUNT 1} takes one job; while it runs, the worker refreshes its claim
 *     every {@code claimTimeout / 4};</li>
 * <li>the result is stored by one Lua step that also {@code XACK}s (after storing) and deletes the
 *     entry, and stores nothing if the job is already finished (cancelled, or completed by another
 *     worker that also ran it);</li>
 * <li>before each read the worker {@code XAUTOCLAIM}s a job whose claim is older than
 *     {@code claimTimeout} (its worker died) and runs it again; a job started
 *     {@link Builder#maxAttempts} times fails;</li>
 * <li>a cancel reaches the running job through the {@code cancel} channel, the status returned
 *     with each progress event, and a status poll; it stops sd.cpp ({@code Future.cancel});</li>
 * <li>a lost connection is retried with backoff; the stream's consumer group is recreated if Redis
 *     lost it (a restart without persistence).</li>
 * </ul>
 * The context is the caller's: the worker never closes it.
 */
public final class SdWorker implements AutoCloseable {
    private final Builder cfg;
    private final RedisQueue q;
    private final String stream;
    private final Thread loop;
    private final Object stateLock = new Object();
    private volatile boolean stopping;
    private volatile boolean closed;
    private volatile Running running;
    private RedisQueue.Listener cancels;
    private Thread beat;
    private final AtomicLong startedCount = new AtomicLong();
    private final AtomicLong storedCount = new AtomicLong();

    /** The job being generated. */
    private static final class Running {
        final String id;
        final StreamEntry entry;
        volatile CompletableFuture<List<GeneratedImage>> future;
        volatile boolean lostClaim;
        volatile boolean requeue;
        volatile String stoppedBecause;
        volatile int lastStep;
        volatile int steps;

        Running(String id, StreamEntry entry) {
            this.id = id;
            this.entry = entry;
        }

        void stop(String why) {
            if (stoppedBecause == null) {
                stoppedBecause = why;
            }
            CompletableFuture<List<GeneratedImage>> f = future;
            if (f != null) {
                f.cancel(true);
            }
        }
    }

    private SdWorker(Builder cfg) {
        this.cfg = cfg;
        this.q = RedisQueue.open(cfg.queue, 8);
        this.stream = q.stream(cfg.model);
        this.loop = Thread.ofPlatform().name("sdjava-worker-" + cfg.model).unstarted(this::work);
    }

    /** A builder for a worker of {@code queue} ({@code redis://HOST:PORT/NAME}) over {@code sd} (which stays the caller's). */
    public static Builder builder(StableDiffusion sd, String queue) {
        if (sd == null) {
            throw new IllegalArgumentException("the StableDiffusion context must not be null");
        }
        RedisQueue.open(queue, 1).close(); // checks the address now
        return new Builder(sd, queue);
    }

    /** Starts taking jobs (on its own thread); returns this. */
    public SdWorker start() {
        cancels = q.listen(q.cancels(), this::onCancel, () -> {
        }, cfg.log);
        beat = Thread.ofVirtual().name("sdjava-worker-beat").start(this::beat);
        loop.start();
        return this;
    }

    /** This worker's consumer name in the group. */
    public String name() {
        return cfg.name;
    }

    /** The model name it serves (its stream). */
    public String model() {
        return cfg.model;
    }

    /** Jobs it started and whose outcome it stored, {@code [started, stored]}. */
    public long[] jobCounts() {
        return new long[] {startedCount.get(), storedCount.get()};
    }

    /** Blocks until {@link #close()} has run. */
    public void awaitShutdown() throws InterruptedException {
        synchronized (stateLock) {
            while (!closed) {
                stateLock.wait();
            }
        }
    }

    /**
     * Stops taking jobs, lets the running one finish for {@link Builder#shutdownGrace}, then stops
     * it and puts it back on the stream for another worker. Idempotent; the context stays open.
     */
    @Override
    public void close() {
        synchronized (stateLock) {
            if (closed) {
                return;
            }
            stopping = true;
        }
        try {
            loop.join(cfg.shutdownGrace.toMillis() + 1);
            Running r = running;
            if (r != null) {
                r.requeue = true;
                r.stop("worker shutting down");
                loop.join(30_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (cancels != null) {
            cancels.close();
        }
        if (beat != null) {
            beat.interrupt();
        }
        try {
            q.client.del(q.worker(cfg.name));
        } catch (RuntimeException e) {
            // Redis is away: the heartbeat key expires by itself
        }
        q.close();
        synchronized (stateLock) {
            closed = true;
            stateLock.notifyAll();
        }
    }

    // ---- the loop ----

    private void work() {
        long backoff = 100;
        boolean lost = false;
        boolean groupReady = false;
        while (!stopping) {
            try {
                if (!groupReady) {
                    ensureGroup();
                    groupReady = true;
                }
                StreamEntry e = claimOne();
                if (e == null) {
                    e = readOne();
                }
                if (lost) {
                    cfg.log.accept("reconnected to " + q.uri);
                    lost = false;
                }
                backoff = 100;
                if (e != null) {
                    run(e);
                }
            } catch (JedisException e) {
                if (String.valueOf(e.getMessage()).startsWith("NOGROUP")) {
                    groupReady = false; // Redis lost the stream (restarted without persistence)
                    continue;
                }
                if (!lost) {
                    cfg.log.accept("lost " + q.uri + " (" + e.getMessage() + "); retrying");
                }
                lost = true;
                groupReady = false;
                sleep(backoff);
                backoff = Math.min(2000, backoff * 2);
            } catch (RuntimeException e) {
                cfg.log.accept("worker loop: " + e);
                sleep(1000);
            }
        }
    }

    private void ensureGroup() {
        try {
            q.client.xgroupCreate(stream, RedisQueue.GROUP, new StreamEntryID(0, 0), true);
        } catch (JedisException e) {
            if (!String.valueOf(e.getMessage()).startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    /** A job whose worker stopped renewing its claim for claimTimeout, now ours; or null. */
    private StreamEntry claimOne() {
        Map.Entry<StreamEntryID, List<StreamEntry>> r = q.client.xautoclaim(stream, RedisQueue.GROUP, cfg.name,
                cfg.claimTimeout.toMillis(), new StreamEntryID(0, 0), XAutoClaimParams.xAutoClaimParams().count(1));
        if (r == null || r.getValue() == null) {
            return null;
        }
        for (StreamEntry e : r.getValue()) {
            if (e != null && e.getFields() != null) {
                cfg.log.accept("reclaimed job " + e.getFields().get("id") + " (its worker stopped renewing its claim)");
                return e;
            }
        }
        return null;
    }

    private StreamEntry readOne() {
        var r = q.client.xreadGroup(RedisQueue.GROUP, cfg.name,
                XReadGroupParams.xReadGroupParams().count(1).block((int) cfg.poll.toMillis()),
                Map.of(stream, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
        if (r == null || r.isEmpty() || r.getFirst().getValue().isEmpty()) {
            return null;
        }
        return r.getFirst().getValue().getFirst();
    }

    private void run(StreamEntry entry) {
        String id = entry.getFields().get("id");
        String specJson = entry.getFields().get("spec");
        if (id == null || specJson == null) {
            q.client.xack(stream, RedisQueue.GROUP, entry.getID());
            q.client.xdel(stream, entry.getID());
            return;
        }
        long t0 = System.nanoTime();
        ObjectNode startedData = JsonNodeFactory.instance.objectNode().put("started", RedisJobs.now()).put("worker", cfg.name);
        Object st = q.eval(RedisQueue.START, List.of(q.job(id), q.events()), List.of(cfg.name, Long.toString(RedisJobs.now()),
                Integer.toString(cfg.maxAttempts), RedisJobs.event(id, "started", startedData)));
        if ("exhausted".equals(st)) {
            store(id, entry, Job.Status.FAILED, "worker_lost", "the job was started " + cfg.maxAttempts
                    + " times and each worker running it stopped before it finished (crashed, killed, or lost Redis)", "[]");
            return;
        }
        if (!"generating".equals(st)) {
            // cancelled while queued, finished elsewhere, or gone: only acknowledge it
            store(id, entry, Job.Status.CANCELLED, "cancelled", "", "[]");
            return;
        }
        startedCount.incrementAndGet();
        Running r = new Running(id, entry);
        BlockingQueue<String[]> outbox = new LinkedBlockingQueue<>();
        Thread sender = Thread.ofVirtual().name("sdjava-worker-events").start(() -> send(r, outbox));
        Job.Status status = Job.Status.FAILED;
        String code = "generation_failed";
        String message = null;
        String result = "[]";
        GenerationSpec spec = null;
        try {
            spec = SpecCodec.decode(specJson);
            running = r;
            r.future = cfg.sd.submit(withListeners(spec, r, outbox));
            if (r.stoppedBecause != null) {
                r.future.cancel(true);
            }
            List<GeneratedImage> out = r.future.get();
            ArrayNode images = JsonNodeFactory.instance.arrayNode();
            for (Job.Image im : Jobs.encode(spec, out)) {
                images.addObject().put("index", im.index()).put("seed", im.seed()).put("b64", im.b64()).put("parameters", im.parameters());
            }
            result = images.toString();
            status = Job.Status.COMPLETED;
            code = "";
            message = "";
        } catch (CancellationException e) {
            status = Job.Status.CANCELLED;
            code = "cancelled";
            message = "job cancelled";
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof CancellationException) {
                status = Job.Status.CANCELLED;
                code = "cancelled";
                message = "job cancelled";
            } else if (c instanceof IllegalArgumentException) {
                message = "invalid generation parameters: " + c.getMessage();
            } else if (c instanceof StableDiffusionException) {
                message = c.getMessage();
            } else {
                message = "unexpected " + c.getClass().getSimpleName() + ": " + c.getMessage();
            }
        } catch (IllegalArgumentException e) {
            message = "invalid job: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            r.requeue = true;
        } finally {
            running = null;
            sender.interrupt();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        String steps = r.steps == 0 ? "" : " at step " + r.lastStep + "/" + r.steps;
        if (r.lostClaim) {
            cfg.log.accept(String.format("job %s given up after %.2f s%s: another worker reclaimed it", id, s, steps));
            return; // the entry is the other worker's now: neither store nor acknowledge
        }
        if (r.requeue) {
            Object back = q.eval(RedisQueue.REQUEUE, List.of(q.job(id), stream), List.of(RedisQueue.GROUP, entry.getID().toString(), id, specJson));
            cfg.log.accept(String.format("job %s stopped after %.2f s%s (%s)%s", id, s, steps, r.stoppedBecause,
                    Long.valueOf(1).equals(back) ? ": put back on the queue" : ""));
            return;
        }
        boolean stored = store(id, entry, status, code, message, result);
        cfg.log.accept(String.format("job %s %s in %.2f s%s%s", id, status.wire(), s,
                status == Job.Status.CANCELLED ? steps + " (" + (r.stoppedBecause == null ? "cancelled" : r.stoppedBecause) + ")" : "",
                stored ? ", stored" : ", not stored: the job was already finished"));
    }

    /** Stores the outcome (retrying while Redis is away); whether this call stored it. */
    private boolean store(String id, StreamEntry entry, Job.Status status, String code, String message, String result) {
        String done = RedisJobs.event(id, "done", JsonNodeFactory.instance.objectNode());
        long backoff = 100;
        while (true) {
            try {
                Object r = q.eval(RedisQueue.FINISH, List.of(q.job(id), stream, q.events()),
                        List.of(status.wire(), Long.toString(RedisJobs.now()), code, message == null ? "" : message, result,
                                Long.toString(Math.max(1, cfg.jobTtl.toSeconds())), entry.getID().toString(), RedisQueue.GROUP, done));
                boolean stored = Long.valueOf(1).equals(r);
                if (stored) {
                    storedCount.incrementAndGet();
                }
                return stored;
            } catch (JedisException e) {
                if (!RedisQueue.connectionLost(e) || stopping && backoff >= 2000) {
                    // the entry stays pending: another worker reclaims and reruns the job
                    cfg.log.accept("could not store job " + id + ": " + e.getMessage());
                    return false;
                }
                sleep(backoff);
                backoff = Math.min(2000, backoff * 2);
            }
        }
    }

    private GenerationRequest withListeners(GenerationSpec spec, Running r, BlockingQueue<String[]> outbox) {
        GenerationRequest.Builder b = spec.request().toBuilder().progress((step, steps, sps) -> {
            r.lastStep = step;
            r.steps = steps;
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("step", step);
            o.put("steps", steps);
            o.put("seconds_per_step", sps);
            outbox.offer(new String[] {RedisJobs.event(r.id, "progress", o), "1", o.toString()});
        });
        if (spec.previewMode() != null) {
            b.preview(spec.previewMode(), spec.previewInterval(), false, (step, frames, noisy) -> {
                if (frames.isEmpty()) {
                    return;
                }
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("step", step);
                o.put("b64_json", Codecs.base64(frames.getFirst().toPng()));
                outbox.offer(new String[] {RedisJobs.event(r.id, "preview", o), "0", ""});
            });
        }
        return b.build();
    }

    /** Sends the running job's events (never from sd.cpp's thread); each answer carries the job's status. */
    private void send(Running r, BlockingQueue<String[]> outbox) {
        try {
            while (true) {
                String[] e = outbox.take();
                try {
                    Object status = q.eval(RedisQueue.PROGRESS, List.of(q.job(r.id), q.events()), List.of(e[0], e[1], e[2]));
                    if ("cancelled".equals(status)) {
                        r.stop("cancelled");
                    }
                } catch (JedisException ignored) {
                    // progress is best effort; the result is what must arrive
                }
            }
        } catch (InterruptedException done) {
            // the job ended
        }
    }

    private void onCancel(String id) {
        Running r = running;
        if (r != null && r.id.equals(id)) {
            r.stop("cancelled");
        }
    }

    /** Registers the model and this worker, renews the running job's claim, and polls its status. */
    private void beat() {
        long every = Math.max(100, Math.min(2000, cfg.claimTimeout.toMillis() / 4));
        while (!closed) {
            try {
                q.client.sadd(q.models(), cfg.model);
                q.client.set(q.worker(cfg.name), cfg.model, SetParams.setParams().px(Math.max(every * 3, 5000)));
                Running r = running;
                if (r != null) {
                    Object own = q.eval(RedisQueue.HEARTBEAT, List.of(stream), List.of(RedisQueue.GROUP, cfg.name, r.entry.getID().toString()));
                    if (Long.valueOf(0).equals(own) && running == r) {
                        r.lostClaim = true;
                        r.stop("another worker reclaimed it");
                    } else if ("cancelled".equals(q.client.hget(q.job(r.id), "status"))) {
                        r.stop("cancelled");
                    }
                }
            } catch (RuntimeException e) {
                // Redis is away; the loop reports it
            }
            try {
                Thread.sleep(every);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Configures a {@link SdWorker}; every setter checks its argument. */
    public static final class Builder {
        final StableDiffusion sd;
        final String queue;
        String model;
        String name;
        Duration claimTimeout = Duration.ofSeconds(60);
        Duration poll = Duration.ofSeconds(2);
        Duration shutdownGrace = Duration.ofSeconds(30);
        Duration jobTtl = Duration.ofSeconds(600);
        int maxAttempts = 3;
        Consumer<String> log = m -> System.getLogger(SdWorker.class.getName()).log(System.Logger.Level.INFO, m);

        private Builder(StableDiffusion sd, String queue) {
            this.sd = sd;
            this.queue = queue;
            Path m = sd.config().model() != null ? sd.config().model() : sd.config().diffusionModel();
            String file = m == null ? "model" : m.getFileName().toString();
            int dot = file.lastIndexOf('.');
            this.model = dot > 0 ? file.substring(0, dot) : file;
            this.name = hostName() + "-" + ProcessHandle.current().pid();
        }

        private static String hostName() {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                return "worker";
            }
        }

        /** The model name this worker serves: its stream, and what requests name; default the model file's stem. */
        public Builder model(String name) {
            this.model = RedisQueue.checkName("model name", name);
            return this;
        }

        /** This worker's consumer name, unique among the workers; default HOST-PID. */
        public Builder name(String name) {
            this.name = RedisQueue.checkName("worker name", name);
            return this;
        }

        /**
         * How long a job's claim may go unrenewed before another worker takes it over (its worker
         * is taken for dead); 1 s..1 h, default 60 s. A running worker renews it every quarter of this.
         */
        public Builder claimTimeout(Duration d) {
            if (d == null || d.toMillis() < 1000 || d.toHours() > 1) {
                throw new IllegalArgumentException("claimTimeout must be 1 s..1 h, got " + d);
            }
            this.claimTimeout = d;
            this.poll = Duration.ofMillis(Math.min(2000, d.toMillis() / 2));
            return this;
        }

        /** How long close() lets the running job finish before putting it back on the queue; default 30 s. */
        public Builder shutdownGrace(Duration d) {
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException("shutdownGrace must be >= 0");
            }
            this.shutdownGrace = d;
            return this;
        }

        /** How long results stay in Redis after a job finishes; default 600 s (sd-server's). */
        public Builder jobTtl(Duration d) {
            if (d == null || d.toSeconds() < 1) {
                throw new IllegalArgumentException("jobTtl must be >= 1 s");
            }
            this.jobTtl = d;
            return this;
        }

        /** How many times a job may be started (its workers dying each time) before it fails; 1..100, default 3. */
        public Builder maxAttempts(int n) {
            if (n < 1 || n > 100) {
                throw new IllegalArgumentException("maxAttempts must be 1..100, got " + n);
            }
            this.maxAttempts = n;
            return this;
        }

        /** Where the worker's one-line reports go (jobs run, reconnects); default System.Logger at INFO. */
        public Builder log(Consumer<String> sink) {
            if (sink == null) {
                throw new IllegalArgumentException("log sink must not be null");
            }
            this.log = sink;
            return this;
        }

        /** The worker, not yet running: call {@link SdWorker#start()}. */
        public SdWorker build() {
            return new SdWorker(this);
        }
    }
}
