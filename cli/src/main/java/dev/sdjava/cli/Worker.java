package dev.sdjava.cli;

import dev.sdjava.ModelConfig;
import dev.sdjava.StableDiffusion;
import dev.sdjava.server.SdWorker;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * {@code sdj worker}: loads the model once and runs the jobs that {@code sdj serve --queue}
 * servers put on a Redis queue for it ({@link SdWorker}), until Ctrl-C or SIGTERM, which let the
 * running job finish (for --shutdown-grace) or put it back on the queue.
 */
@Command(name = "worker", description = {"Run the jobs of a Redis queue (sdj serve --queue) on one loaded model.",
        "Start one per GPU or machine; they share the work. See docs/SCALING.md."})
final class Worker extends Subcommand {
    /** The worker the last run started, for tests in this JVM (which stop it with close()). */
    static final java.util.concurrent.atomic.AtomicReference<SdWorker> STARTED = new java.util.concurrent.atomic.AtomicReference<>();

    @ArgGroup(validate = false, heading = "%nModels:%n") GenerateOptions.Models models = new GenerateOptions.Models();

    @ArgGroup(validate = false, heading = "%nQueue:%n") QueueOptions queue = new QueueOptions();

    static final class QueueOptions {
        @Option(names = "--queue", paramLabel = "URI",
                description = "The Redis queue: redis://HOST:PORT/NAME (rediss:// for TLS; redis://:PASSWORD@HOST:PORT/NAME).") String uri;
        @Option(names = "--model-name", paramLabel = "NAME",
                description = "The model name requests use and whose stream this worker reads (default: the model file's stem).") String modelName;
        @Option(names = "--name", paramLabel = "NAME", description = "This worker's name in the consumer group (default: HOST-PID).") String name;
        @Option(names = "--claim-timeout", paramLabel = "S", defaultValue = "60",
                description = "Seconds after which a job whose worker stopped renewing its claim is taken over (default: ${DEFAULT-VALUE}).") int claimSeconds;
        @Option(names = "--shutdown-grace", paramLabel = "S", defaultValue = "30",
                description = "Seconds a running job may finish at shutdown before it is put back on the queue (default: ${DEFAULT-VALUE}).") int graceSeconds;
        @Option(names = "--isolated", description = "Run sd.cpp in a supervised child JVM (a native crash fails one job, not the worker).") boolean isolated;
    }

    @ArgGroup(validate = false) Mixins.Threads threads = new Mixins.Threads();

    @ArgGroup(validate = false) Mixins.Calibrated calibrated = new Mixins.Calibrated();

    @Override
    public Integer call() throws Exception {
        if (queue.uri == null) {
            throw new Failure(Failure.USAGE, "no queue: give --queue redis://HOST:PORT/NAME (the one 'sdj serve --queue' uses)");
        }
        ModelConfig config = calibrated.apply(models.config(threads), models.main(), false, term()::note);
        StableDiffusion sd = Generate.load(config, queue.isolated, new Progress(term(), "loading", "tensors", 0, 1), models.main());
        SdWorker w;
        try {
            SdWorker.Builder wb = SdWorker.builder(sd, queue.uri).claimTimeout(Duration.ofSeconds(queue.claimSeconds))
                    .shutdownGrace(Duration.ofSeconds(queue.graceSeconds)).log(line -> {
                        synchronized (this) {
                            term().note(line);
                        }
                    });
            if (queue.modelName != null) {
                wb.model(queue.modelName);
            }
            if (queue.name != null) {
                wb.name(queue.name);
            }
            w = wb.build().start();
        } catch (IllegalArgumentException e) {
            sd.close();
            throw new Failure(Failure.USAGE, e.getMessage());
        }
        Thread hook = new Thread(() -> {
            w.close();
            sd.close();
        }, "sdj-worker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        STARTED.set(w);
        out().println("worker " + w.name() + " serving " + w.model() + " from " + queue.uri);
        out().flush();
        try {
            w.awaitShutdown();
        } finally {
            w.close();
            sd.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running: it closes the same things
            }
        }
        return 0;
    }
}
