package dev.sdjava.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;
import dev.sdjava.StableDiffusionException;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The job queue and its one worker, over one {@link StableDiffusion} context: sd-server's
 * {@code AsyncJobManager} and {@code async_job_worker}, plus cancelling a running job.
 *
 * <p>At most {@code maxPending} jobs are queued or running; more are refused
 * ({@link QueueFullException}). Finished jobs are kept for {@code ttl}, then forgotten; a
 * forgotten id answers "expired" for a while longer. Everything here happens under one lock,
 * except the generation itself.
 */
final class Jobs implements JobQueue, AutoCloseable {
    /** The queue has {@code maxPending} jobs already. */
    static final class QueueFullException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        QueueFullException() {
            super("job queue is full", null, false, false);
        }
    }

    /** The server is shutting down and takes no new jobs. */
    static final class ShuttingDownException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ShuttingDownException() {
            super("server is shutting down", null, false, false);
        }
    }

    /** What a cancel request found. */
    enum CancelOutcome { CANCELLED, ALREADY_FINISHED }

    private final StableDiffusion sd;
    private final int maxPending;
    private final long ttlSeconds;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<String, Job> jobs = new HashMap<>();
    private final Map<String, Long> expired = new LinkedHashMap<>();
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private final Thread worker;
    private long nextId;
    private Job running;
    private boolean stopping;
    /** Counts for the load test: jobs that the worker started and finished (each exactly once). */
    private long startedCount;
    private long finishedCount;

    Jobs(StableDiffusion sd, int maxPending, Duration ttl) {
        this.sd = sd;
        this.maxPending = maxPending;
        this.ttlSeconds = ttl.toSeconds();
        this.worker = Thread.ofPlatform().name("sdjava-server-worker").daemon(true).unstarted(this::work);
        worker.start();
    }

    @Override
    public int maxPending() {
        return maxPending;
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    /** Queues a job; throws QueueFullException or ShuttingDownException. */
    @Override
    public Job submit(GenerationSpec spec) {
        lock.lock();
        try {
            if (stopping) {
                throw new ShuttingDownException();
            }
            purge();
            long pending = jobs.values().stream().filter(j -> j.status == Job.Status.QUEUED || j.status == Job.Status.GENERATING).count();
            if (pending >= maxPending) {
                throw new QueueFullException();
            }
            long t = now();
            // sd-server's id format: job_<unix time, hex>_<counter, 8 hex digits>
            Job job = new Job(String.format("job_%x_%08x", t, nextId++), t, spec);
            jobs.put(job.id, job);
            queue.addLast(job);
            changed.signalAll();
            return job;
        } finally {
            lock.unlock();
        }
    }

    /** The job, or null; {@code expiredOut[0]} says whether an unknown id was a job that expired. */
    @Override
    public Job find(String id, boolean[] expiredOut) {
        lock.lock();
        try {
            purge();
            Job j = jobs.get(id);
            expiredOut[0] = j == null && expired.containsKey(id);
            return j;
        } finally {
            lock.unlock();
        }
    }

    /** The job's JSON as sd-server writes it, with its queue position. */
    @Override
    public ObjectNode json(Job job) {
        lock.lock();
        try {
            return job.toJson(position(job));
        } finally {
            lock.unlock();
        }
    }

    private int position(Job job) {
        if (job.status != Job.Status.QUEUED) {
            return 0;
        }
        int i = 1;
        for (Job q : queue) {
            if (q == job) {
                return i;
            }
            i++;
        }
        return 0;
    }

    /**
     * Cancels a job: a queued one leaves the queue; a running one is stopped (see
     * {@link #stopRunning}) and reported cancelled at once, its images, if sd.cpp still makes them,
     * discarded. A finished job stays as it is.
     */
    @Override
    public CancelOutcome cancel(Job job, String message) {
        lock.lock();
        try {
            if (job.status.terminal()) {
                return CancelOutcome.ALREADY_FINISHED;
            }
            if (job.status == Job.Status.QUEUED) {
                queue.remove(job);
            } else if (running == job) {
                stopRunning();
            }
            finish(job, Job.Status.CANCELLED, "cancelled", message, List.of());
            return CancelOutcome.CANCELLED;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The one place that stops the generation now running in sd.cpp: {@link StableDiffusion#cancel()}
     * sets sd.cpp's cancel flag (and its CPU abort callback stops the step being computed), so the
     * worker is free again within a step on CPU. It also cancels generations waiting for the
     * context, which is harmless here because the worker is the context's only caller; a service
     * that shares the context with other callers should give the server its own. Called under the
     * lock with {@code running} set, so it never reaches another job: the worker issues the next
     * generate only after taking the lock again.
     */
    private void stopRunning() {
        sd.cancel();
    }

    private void finish(Job job, Job.Status status, String code, String message, List<Job.Image> images) {
        job.finish(status, code, message, images, now());
        changed.signalAll();
    }

    /** Subscribes to a job's events; the queue first receives its current state. */
    @Override
    public BlockingQueue<Job.Event> subscribe(Job job) {
        lock.lock();
        try {
            return job.subscribe(position(job));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void unsubscribe(Job job, BlockingQueue<Job.Event> q) {
        job.subscribers.remove(q);
    }

    private Job.Event statusEvent(Job job) {
        return job.statusEvent(position(job));
    }

    /** Jobs the worker started and finished since the server began (each job at most once). */
    @Override
    public List<String> models() {
        return List.of("sd-cpp-local");
    }

    @Override
    public long[] counts() {
        lock.lock();
        try {
            return new long[] {startedCount, finishedCount};
        } finally {
            lock.unlock();
        }
    }

    private void purge() {
        long t = now();
        expired.values().removeIf(until -> until <= t);
        for (Iterator<Job> it = jobs.values().iterator(); it.hasNext(); ) {
            Job j = it.next();
            if (j.completed != 0 && t - j.completed >= ttlSeconds) {
                expired.put(j.id, t + Math.max(ttlSeconds, 60));
                it.remove();
            }
        }
    }

    private void work() {
        while (true) {
            Job job;
            lock.lock();
            try {
                while (queue.isEmpty() && !stopping) {
                    changed.awaitUninterruptibly();
                }
                if (queue.isEmpty()) {
                    return;
                }
                job = queue.pollFirst();
                job.status = Job.Status.GENERATING;
                job.started = now();
                running = job;
                startedCount++;
                for (Job q : queue) {
                    q.publish(statusEvent(q));
                }
                job.publish(statusEvent(job));
            } finally {
                lock.unlock();
            }
            run(job);
        }
    }

    private void run(Job job) {
        Job.Status status = Job.Status.FAILED;
        String code = "generation_failed";
        String message = null;
        List<Job.Image> images = List.of();
        try {
            List<GeneratedImage> out = sd.generate(withListeners(job));
            images = encode(job.spec, out);
            status = Job.Status.COMPLETED;
            code = null;
        } catch (CancellationException e) {
            status = Job.Status.CANCELLED;
            code = "cancelled";
            message = "job cancelled";
        } catch (IllegalArgumentException e) {
            message = "invalid generation parameters: " + e.getMessage();
        } catch (StableDiffusionException e) {
            message = e.getMessage();
        } catch (RuntimeException | Error e) {
            message = "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        lock.lock();
        try {
            running = null;
            finishedCount++;
            if (!job.status.terminal()) {
                finish(job, status, code, message, images);
            }
        } finally {
            lock.unlock();
        }
    }

    private GenerationRequest withListeners(Job job) {
        GenerationRequest.Builder b = job.spec.request().toBuilder().progress((step, steps, sps) -> {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("step", step);
            o.put("steps", steps);
            o.put("seconds_per_step", sps);
            Job.Event e = new Job.Event("progress", o.toString());
            job.lastProgress = e;
            job.publish(e);
        });
        if (job.spec.previewMode() != null) {
            b.preview(job.spec.previewMode(), job.spec.previewInterval(), false, (step, frames, noisy) -> {
                if (job.subscribers.isEmpty() || frames.isEmpty()) {
                    return;
                }
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("step", step);
                o.put("b64_json", Codecs.base64(frames.getFirst().toPng()));
                job.publish(new Job.Event("preview", o.toString()));
            });
        }
        return b.build();
    }

    /** The images as the job result carries them (PNG, with or without parameters, or JPEG), base64. */
    static List<Job.Image> encode(GenerationSpec spec, List<GeneratedImage> out) {
        List<Job.Image> images = new ArrayList<>();
        for (GeneratedImage g : out) {
            SdImage im = g.image();
            byte[] bytes = spec.outputFormat().equals("jpeg")
                    ? Codecs.jpeg(im, spec.outputCompression())
                    : spec.embedMetadata() ? g.toPng() : im.toPng();
            images.add(new Job.Image(g.index(), g.seed(), Codecs.base64(bytes), g.parameters()));
        }
        return images;
    }

    /**
     * Stops taking jobs, cancels the queued ones, lets the running one finish for up to
     * {@code grace} and then cancels it, and waits for the worker to end (up to grace again).
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    @Override
    public void close(Duration grace) {
        lock.lock();
        try {
            stopping = true;
            for (Job j : List.copyOf(queue)) {
                queue.remove(j);
                finish(j, Job.Status.CANCELLED, "cancelled", "server shutting down", List.of());
            }
            changed.signalAll();
            long deadline = System.nanoTime() + grace.toNanos();
            while (running != null && System.nanoTime() < deadline) {
                changed.awaitNanos(deadline - System.nanoTime());
            }
            if (running != null) {
                cancel(running, "server shutting down");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        try {
            worker.join(grace.toMillis() + 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the worker has ended (after {@link #close}). */
    boolean workerDone() {
        return !worker.isAlive();
    }

    /** Waits until the job is terminal, up to {@code timeout}. */
    static boolean await(Job job, Duration timeout) {
        try {
            job.done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;
        }
    }
}
