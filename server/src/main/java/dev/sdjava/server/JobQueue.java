package dev.sdjava.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;

/**
 * Where the server's jobs wait and run: {@link Jobs} (the embedded default: one in-process queue
 * and worker over the server's own context) or {@link RedisJobs} (a Redis Stream per model,
 * consumed by {@link SdWorker} processes). {@link Routes} speaks only to this.
 */
interface JobQueue {
    /** Most jobs queued or running (per model stream with Redis). */
    int maxPending();

    /**
     * Queues a job; throws {@link Jobs.QueueFullException}, {@link Jobs.ShuttingDownException},
     * {@link BadRequest} (an unknown model) or {@link QueueUnavailableException}.
     */
    Job submit(GenerationSpec spec);

    /** The job, or null; {@code expiredOut[0]} says whether an unknown id was a job that expired. */
    Job find(String id, boolean[] expiredOut);

    /** The job's JSON as sd-server writes it, with its queue position. */
    ObjectNode json(Job job);

    /** Cancels a queued or running job; a finished one stays as it is. */
    Jobs.CancelOutcome cancel(Job job, String message);

    /** Subscribes to a job's events; the queue first receives its current state. */
    BlockingQueue<Job.Event> subscribe(Job job);

    void unsubscribe(Job job, BlockingQueue<Job.Event> q);

    /** The model names {@code GET /v1/models} lists. */
    List<String> models();

    /** Jobs started and finished, {@code [started, finished]} (as this server saw them). */
    long[] counts();

    /** Stops taking jobs and lets those in flight end for up to {@code grace} (see each implementation). */
    void close(Duration grace);
}
