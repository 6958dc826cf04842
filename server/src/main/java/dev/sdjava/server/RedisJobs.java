package dev.sdjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import redis.clients.jedis.exceptions.JedisException;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The server's side of the Redis queue: jobs go onto the stream of their model, and their state
 * lives in Redis, where {@link SdWorker}s update it. This server keeps a mirror {@link Job} of each
 * job it submitted or was asked about, kept current by the {@code events} channel and, in case an
 * event was missed (a reconnect), by a poll of the mirrors' status every {@code reconcile}.
 * Any number of servers can share one queue: each answers for every job in it.
 *
 * <p>Closing cancels nothing: queued and running jobs belong to the queue and go on (another
 * server answers for them). Requests of this server still waiting for a job get up to the grace
 * period, then their mirror is marked cancelled here only ("server shutting down", a 503).
 */
final class RedisJobs implements JobQueue {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(RedisJobs.class.getName());

    private final RedisQueue q;
    private final int maxPending;
    private final long ttlSeconds;
    private final String defaultModel;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final Map<String, String> modelOf = new ConcurrentHashMap<>();
    private final Map<String, Long> expired = new LinkedHashMap<>();
    private final RedisQueue.Listener events;
    private final Thread reconciler;
    private volatile boolean stopping;
    private volatile Set<String> known = Set.of();
    private volatile long knownAt;
    private long started;
    private long finished;

    RedisJobs(String uri, int maxPending, Duration ttl, String defaultModel, Duration reconcile) {
        this.q = RedisQueue.open(uri, 64);
        this.maxPending = maxPending;
        this.ttlSeconds = Math.max(1, ttl.toSeconds());
        this.defaultModel = defaultModel;
        this.events = q.listen(q.events(), this::onEvent, this::reconcileAll, LOG::info);
        try {
            events.awaitSubscribed(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        this.reconciler = Thread.ofVirtual().name("sdjava-redis-reconcile").start(() -> {
            while (!stopping) {
                try {
                    Thread.sleep(reconcile);
                } catch (InterruptedException e) {
                    return;
                }
                reconcileAll();
            }
        });
    }

    /** The queue's address, for messages. */
    String uri() {
        return q.uri;
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    /**
     * Runs one Redis command. A pooled connection that Redis closed (after a restart every idle one
     * is) is sent the command again on another, at most once per pooled connection; the commands
     * are safe to repeat (SUBMIT does nothing for a job that exists). A Redis that cannot be
     * reached is reported at once.
     */
    private <T> T call(Supplier<T> command) {
        for (int attempt = 0; ; attempt++) {
            try {
                return command.get();
            } catch (JedisException e) {
                if (RedisQueue.staleConnection(e) && attempt < q.poolSize) {
                    continue;
                }
                if (RedisQueue.connectionLost(e)) {
                    throw new QueueUnavailableException("job queue " + q.uri + " is unreachable: " + e.getMessage(), e);
                }
                throw new IllegalStateException("job queue " + q.uri + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public int maxPending() {
        return maxPending;
    }

    @Override
    public List<String> models() {
        try {
            return List.copyOf(new TreeSet<>(knownModels()));
        } catch (QueueUnavailableException e) {
            return List.copyOf(new TreeSet<>(known));
        }
    }

    /** The models workers registered (read at most every second; the last set seen while Redis has none, e.g. just restarted). */
    private Set<String> knownModels() {
        long t = System.nanoTime();
        if (t - knownAt > 1_000_000_000L || known.isEmpty()) {
            Set<String> s = call(() -> q.client.smembers(q.models()));
            if (!s.isEmpty()) {
                known = Set.copyOf(s);
            }
            knownAt = t;
        }
        return known;
    }

    /** The stream a request goes to: the model it names if a worker serves it, else the default one. */
    private String route(String requested) {
        Set<String> models = knownModels();
        if (requested != null && models.contains(requested)) {
            return requested;
        }
        if (defaultModel != null) {
            return defaultModel;
        }
        if (models.size() == 1) {
            return models.iterator().next();
        }
        if (models.isEmpty()) {
            throw new QueueUnavailableException("no worker has registered a model on " + q.uri
                    + " yet: start one with sdj worker --queue " + q.uri + " -m MODEL", null);
        }
        throw new BadRequest("model " + (requested == null ? "not given" : "'" + requested + "' is not served")
                + "; the workers serve " + new TreeSet<>(models) + " (name one in the request's model field)");
    }

    @Override
    public Job submit(GenerationSpec spec) {
        if (stopping) {
            throw new Jobs.ShuttingDownException();
        }
        String model = route(spec.model());
        long t = now();
        long n = call(() -> q.client.incr(q.seq()));
        String id = String.format("job_%x_%08x", t, n);
        Object entry = call(() -> q.eval(RedisQueue.SUBMIT, List.of(q.stream(model), q.job(id)),
                List.of(Integer.toString(maxPending), id, SpecCodec.encode(spec.withModel(model)), Long.toString(t), model,
                        Long.toString(Math.max(ttlSeconds * 1000, 86_400_000L)), spec.outputFormat())));
        if (entry == null) {
            throw new Jobs.QueueFullException();
        }
        Job job = new Job(id, t, spec);
        modelOf.put(id, model);
        jobs.put(id, job);
        return job;
    }

    @Override
    public Job find(String id, boolean[] expiredOut) {
        purge();
        Job j = jobs.get(id);
        if (j == null) {
            Map<String, String> h = call(() -> q.client.hgetAll(q.job(id)));
            if (!h.isEmpty()) {
                // A job another server submitted: its mirror needs only what the job JSON shows.
                GenerationSpec shown = new GenerationSpec(dev.sdjava.GenerationRequest.builder("").build(),
                        h.getOrDefault("output_format", "png"), 100, true, null, 1);
                Job fresh = new Job(id, parseLong(h.get("created")), shown);
                j = jobs.putIfAbsent(id, fresh);
                if (j == null) {
                    j = fresh;
                    modelOf.put(id, h.getOrDefault("model", ""));
                    apply(j, h);
                }
            }
        }
        lock.lock();
        try {
            expiredOut[0] = j == null && expired.containsKey(id);
        } finally {
            lock.unlock();
        }
        return j;
    }

    @Override
    public ObjectNode json(Job job) {
        int position = 0;
        if (job.status == Job.Status.QUEUED) {
            String model = modelOf.get(job.id);
            Map<String, String> h = call(() -> q.client.hgetAll(q.job(job.id)));
            String entry = h.get("entry");
            if (model != null && entry != null && "queued".equals(h.get("status"))) {
                Object p = call(() -> q.eval(RedisQueue.POSITION, List.of(q.stream(model)), List.of(RedisQueue.GROUP, entry)));
                position = p instanceof Long l ? l.intValue() : 0;
            }
            apply(job, h);
        }
        lock.lock();
        try {
            return job.toJson(job.status == Job.Status.QUEUED ? position : 0);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Jobs.CancelOutcome cancel(Job job, String message) {
        String model = modelOf.getOrDefault(job.id, "");
        long t = now();
        String done = event(job.id, "done", JsonNodeFactory.instance.objectNode());
        Object was = call(() -> q.eval(RedisQueue.CANCEL, List.of(q.job(job.id), q.stream(model), q.cancels(), q.events()),
                List.of(Long.toString(t), message, Long.toString(ttlSeconds), job.id, done)));
        if ("queued".equals(was) || "generating".equals(was)) {
            lock.lock();
            try {
                if (!job.status.terminal()) {
                    finish(job, Job.Status.CANCELLED, "cancelled", message, List.of());
                }
            } finally {
                lock.unlock();
            }
            return Jobs.CancelOutcome.CANCELLED;
        }
        refresh(job);
        return Jobs.CancelOutcome.ALREADY_FINISHED;
    }

    @Override
    public BlockingQueue<Job.Event> subscribe(Job job) {
        lock.lock();
        try {
            return job.subscribe(0);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void unsubscribe(Job job, BlockingQueue<Job.Event> sub) {
        job.subscribers.remove(sub);
    }

    @Override
    public long[] counts() {
        lock.lock();
        try {
            return new long[] {started, finished};
        } finally {
            lock.unlock();
        }
    }

    // ---- events and state ----

    static String event(String id, String name, JsonNode data) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("id", id);
        o.put("event", name);
        o.set("data", data);
        return o.toString();
    }

    private void onEvent(String message) {
        JsonNode m;
        try {
            m = JSON.readTree(message);
        } catch (IOException e) {
            return;
        }
        Job job = jobs.get(m.path("id").asText());
        if (job == null) {
            return;
        }
        String name = m.path("event").asText();
        JsonNode data = m.path("data");
        switch (name) {
            case "started" -> {
                lock.lock();
                try {
                    if (!job.status.terminal()) {
                        job.status = Job.Status.GENERATING;
                        job.started = data.path("started").asLong(now());
                        started++;
                        job.publish(statusEvent(job));
                    }
                } finally {
                    lock.unlock();
                }
            }
            case "progress" -> {
                Job.Event e = new Job.Event("progress", data.toString());
                job.lastProgress = e;
                job.publish(e);
            }
            case "preview" -> job.publish(new Job.Event("preview", data.toString()));
            case "done" -> Thread.ofVirtual().start(() -> {
                try {
                    refresh(job);
                } catch (RuntimeException e) {
                    // the reconciler catches up
                }
            });
            default -> {
            }
        }
    }

    /** Reads the job's hash and brings the mirror up to date. */
    private void refresh(Job job) {
        Map<String, String> h = call(() -> q.client.hgetAll(q.job(job.id)));
        if (h.isEmpty()) {
            lock.lock();
            try {
                if (!job.status.terminal()) {
                    finish(job, Job.Status.FAILED, "job_lost", "the queue " + q.uri
                            + " no longer has this job (Redis restarted without persistence, or the job expired)", List.of());
                }
            } finally {
                lock.unlock();
            }
            return;
        }
        apply(job, h);
    }

    private void apply(Job job, Map<String, String> h) {
        lock.lock();
        try {
            if (job.status.terminal()) {
                return;
            }
            Job.Status s = status(h.get("status"));
            if (s == Job.Status.GENERATING && job.status == Job.Status.QUEUED) {
                job.status = s;
                job.started = parseLong(h.get("started"));
                job.publish(statusEvent(job));
            } else if (s == Job.Status.QUEUED && job.status == Job.Status.GENERATING) {
                job.status = s; // requeued by a worker that shut down
            }
            if (s.terminal()) {
                job.started = parseLong(h.get("started"));
                List<Job.Image> images = new ArrayList<>();
                String result = h.get("result");
                String errorMessage = h.get("error_message");
                if (s == Job.Status.COMPLETED && result != null && !result.isEmpty()) {
                    try {
                        for (JsonNode im : JSON.readTree(result)) {
                            images.add(new Job.Image(im.path("index").asInt(), im.path("seed").asLong(), im.path("b64").asText(),
                                    im.path("parameters").asText()));
                        }
                    } catch (IOException e) {
                        s = Job.Status.FAILED;
                        errorMessage = "unreadable result in the queue: " + e.getMessage();
                    }
                }
                finish(job, s, blankToNull(h.get("error_code")), blankToNull(errorMessage), images);
                long completed = parseLong(h.get("completed"));
                if (completed != 0) {
                    job.completed = completed;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void finish(Job job, Job.Status status, String code, String message, List<Job.Image> images) {
        finished++;
        job.finish(status, code, message, images, now());
    }

    /** Catches up on events that may have been missed: each unfinished mirror against its hash. */
    private void reconcileAll() {
        for (Job job : jobs.values()) {
            if (stopping) {
                return;
            }
            if (job.status.terminal()) {
                continue;
            }
            try {
                String s = q.client.hget(q.job(job.id), "status");
                if (s == null || !s.equals(job.status.wire())) {
                    refresh(job);
                }
            } catch (RuntimeException e) {
                return; // Redis is away; the next round tries again
            }
        }
        purge();
    }

    private Job.Event statusEvent(Job job) {
        return job.statusEvent(0);
    }

    private void purge() {
        long t = now();
        lock.lock();
        try {
            expired.values().removeIf(until -> until <= t);
            for (Iterator<Job> it = jobs.values().iterator(); it.hasNext(); ) {
                Job j = it.next();
                if (j.status.terminal() && j.completed != 0 && t - j.completed >= ttlSeconds) {
                    expired.put(j.id, t + Math.max(ttlSeconds, 60));
                    modelOf.remove(j.id);
                    it.remove();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private static Job.Status status(String s) {
        if (s == null) {
            return Job.Status.QUEUED;
        }
        return switch (s) {
            case "generating" -> Job.Status.GENERATING;
            case "completed" -> Job.Status.COMPLETED;
            case "failed" -> Job.Status.FAILED;
            case "cancelled" -> Job.Status.CANCELLED;
            default -> Job.Status.QUEUED;
        };
    }

    private static long parseLong(String s) {
        try {
            return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    @Override
    public void close(Duration grace) {
        stopping = true;
        long deadline = System.nanoTime() + grace.toNanos();
        for (Job job : jobs.values()) {
            long left = deadline - System.nanoTime();
            if (!job.status.terminal() && left > 0) {
                Jobs.await(job, Duration.ofNanos(left));
            }
        }
        lock.lock();
        try {
            for (Job job : jobs.values()) {
                if (!job.status.terminal()) {
                    finish(job, Job.Status.CANCELLED, "cancelled", "server shutting down", List.of());
                }
            }
        } finally {
            lock.unlock();
        }
        events.close();
        reconciler.interrupt();
        q.close();
    }
}
