package dev.sdjava.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One generation job: what to run, where it stands, and its result. Every route that generates
 * (the synchronous OpenAI and sdapi ones too) makes one, so that all generation goes through the
 * one bounded queue and one worker ({@link Jobs}). State changes happen under {@link Jobs}' lock.
 */
final class Job {
    /** The states sd-server names in its job JSON. */
    enum Status {
        QUEUED, GENERATING, COMPLETED, FAILED, CANCELLED;

        String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        boolean terminal() {
            return this == COMPLETED || this == FAILED || this == CANCELLED;
        }
    }

    /** One encoded image of a completed job. */
    record Image(int index, long seed, String b64, String parameters) {
    }

    /** A server-sent event for the job's subscribers: its name and JSON data. */
    record Event(String name, String data) {
    }

    final String id;
    final String kind = "img_gen";
    final long created;
    final GenerationSpec spec;
    /** Completed (normally or not) when the job reaches a terminal state; the synchronous routes wait on it. */
    final CompletableFuture<Job> done = new CompletableFuture<>();
    final List<BlockingQueue<Event>> subscribers = new CopyOnWriteArrayList<>();

    Status status = Status.QUEUED;
    long started;
    long completed;
    List<Image> images = List.of();
    String errorCode;
    String errorMessage;
    /** The latest progress, for subscribers that join late. */
    volatile Event lastProgress;

    Job(String id, long created, GenerationSpec spec) {
        this.id = id;
        this.created = created;
        this.spec = spec;
    }

    /** sd-server's job JSON ({@code make_async_job_json}); called under Jobs' lock. */
    ObjectNode toJson(int queuePosition) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("id", id);
        o.put("kind", kind);
        o.put("status", status.wire());
        o.put("created", created);
        if (started == 0) {
            o.putNull("started");
        } else {
            o.put("started", started);
        }
        if (completed == 0) {
            o.putNull("completed");
        } else {
            o.put("completed", completed);
        }
        o.put("queue_position", queuePosition);
        if (status == Status.COMPLETED) {
            ObjectNode result = o.putObject("result");
            result.put("output_format", spec.outputFormat());
            var arr = result.putArray("images");
            for (Image im : images) {
                ObjectNode item = arr.addObject();
                item.put("index", im.index());
                item.put("b64_json", im.b64());
                // Beyond sd-server: the seed and parameter text of each image (the web page shows them).
                item.put("seed", im.seed());
                item.put("parameters", im.parameters());
            }
            o.putNull("error");
        } else if (status == Status.FAILED || status == Status.CANCELLED) {
            o.putNull("result");
            ObjectNode err = o.putObject("error");
            err.put("code", errorCode != null ? errorCode : status == Status.CANCELLED ? "cancelled" : "generation_failed");
            err.put("message", errorMessage == null ? "" : errorMessage);
        } else {
            o.putNull("result");
            o.putNull("error");
        }
        return o;
    }

    /** The job's {@code status} event: its status and queue position. */
    Event statusEvent(int queuePosition) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("id", id);
        o.put("status", status.wire());
        o.put("queue_position", queuePosition);
        return new Event("status", o.toString());
    }

    /** A new subscription: the current state first (the done event if finished), then what is published. Under the queue's lock. */
    BlockingQueue<Event> subscribe(int queuePosition) {
        BlockingQueue<Event> q = new java.util.concurrent.ArrayBlockingQueue<>(256);
        if (status.terminal()) {
            q.offer(new Event("done", toJson(0).toString()));
        } else {
            q.offer(statusEvent(queuePosition));
            Event p = lastProgress;
            if (p != null) {
                q.offer(p);
            }
            subscribers.add(q);
        }
        return q;
    }

    /** Ends the job with this outcome: the done event (carrying the whole job, result included) and the future. Under the queue's lock. */
    void finish(Status s, String code, String message, List<Image> result, long completedAt) {
        status = s;
        completed = completedAt;
        errorCode = code;
        errorMessage = message;
        images = result;
        publish(new Event("done", toJson(0).toString()));
        done.complete(this);
    }

    /** Hands an event to every subscriber; a subscriber too slow to keep up loses progress events, never the last one. */
    void publish(Event e) {
        for (BlockingQueue<Event> q : subscribers) {
            if (!q.offer(e) && e.name().equals("done")) {
                q.clear();
                q.offer(e);
            }
        }
    }
}
