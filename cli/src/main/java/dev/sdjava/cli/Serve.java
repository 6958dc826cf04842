package dev.sdjava.cli;

import dev.sdjava.ModelConfig;
import dev.sdjava.StableDiffusion;
import dev.sdjava.server.SdServer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code sdj serve}: loads the models once and serves sd-server's HTTP APIs over them
 * ({@link SdServer}), until Ctrl-C or SIGTERM, which shut it down gracefully.
 */
@Command(name = "serve", description = {"Serve sd-server's HTTP APIs (OpenAI images, A1111 sdapi, sdcpp async jobs) and a web page.",
        "Binds to 127.0.0.1 unless --host says otherwise."})
final class Serve extends Subcommand {
    /** The server the last run started, for tests in this JVM (which stop it with close()). */
    static final AtomicReference<SdServer> STARTED = new AtomicReference<>();

    @ArgGroup(validate = false, heading = "%nModels:%n") GenerateOptions.Models models = new GenerateOptions.Models();

    @ArgGroup(validate = false, heading = "%nServer:%n") ServerOptions server = new ServerOptions();

    static final class ServerOptions {
        @Option(names = {"--host", "-l", "--listen-ip"}, paramLabel = "ADDR", defaultValue = "127.0.0.1",
                description = "Address to listen on (default: ${DEFAULT-VALUE}, loopback only; 0.0.0.0 for every interface).") String host;
        @Option(names = {"--port", "--listen-port"}, paramLabel = "N", defaultValue = "1234",
                description = "Port (default: ${DEFAULT-VALUE}, sd-server's; 0 picks a free one).") int port;
        @Option(names = "--api-key", paramLabel = "KEY",
                description = "Require Authorization: Bearer KEY on every API route (default: none). Also read from SDJ_API_KEY.") String apiKey;
        @Option(names = "--max-queue", paramLabel = "N", defaultValue = "64",
                description = "Jobs queued or running at most; more answer 429 (default: ${DEFAULT-VALUE}).") int maxQueue;
        @Option(names = "--max-body-mb", paramLabel = "MB", defaultValue = "32",
                description = "Largest request body in MiB; larger ones answer 413 (default: ${DEFAULT-VALUE}).") int maxBodyMb;
        @Option(names = "--max-size", paramLabel = "PX", defaultValue = "4096",
                description = "Largest width or height a request may ask for (default: ${DEFAULT-VALUE}).") int maxSide;
        @Option(names = "--lora-model-dir", paramLabel = "DIR", description = "LoRAs that requests may name by relative path.") Path loraDir;
        @Option(names = "--hires-upscalers-dir", paramLabel = "DIR", description = "Hires upscaler models that requests may name.") Path upscalerDir;
        @Option(names = "--shutdown-grace", paramLabel = "S", defaultValue = "30",
                description = "Seconds a running job may finish at shutdown before it is cancelled (default: ${DEFAULT-VALUE}).") int graceSeconds;
        @Option(names = "--isolated", description = "Run sd.cpp in a supervised child JVM (a native crash fails one job, not the server).") boolean isolated;
        @Option(names = "--queue", paramLabel = "URI",
                description = {"Put jobs on a Redis queue, redis://HOST:PORT/NAME, for 'sdj worker' processes to run, instead of",
                        "running them here (no -m then: this server loads no model). See docs/SCALING.md."}) String queue;
        @Option(names = "--default-model", paramLabel = "NAME",
                description = "With --queue: the model for requests that name none (default: the only one the workers serve).") String defaultModel;
    }

    @ArgGroup(validate = false) Mixins.Threads threads = new Mixins.Threads();

    @ArgGroup(validate = false) Mixins.Calibrated calibrated = new Mixins.Calibrated();

    @Override
    public Integer call() throws Exception {
        if (server.queue != null) {
            return serveQueue();
        }
        if (server.defaultModel != null) {
            throw new Failure(Failure.USAGE, "--default-model needs --queue");
        }
        ModelConfig config = calibrated.apply(models.config(threads), models.main(), false, term()::note);
        String key = server.apiKey != null ? server.apiKey : System.getenv("SDJ_API_KEY");
        SdServer.Builder sb;
        StableDiffusion sd = Generate.load(config, server.isolated, new Progress(term(), "loading", "tensors", 0, 1), models.main());
        try {
            sb = SdServer.builder(sd).host(server.host).port(server.port).maxQueue(server.maxQueue)
                    .maxBodyBytes((long) server.maxBodyMb << 20).maxSide(server.maxSide).modelPath(models.main())
                    .loraDir(server.loraDir).upscalerDir(server.upscalerDir).shutdownGrace(Duration.ofSeconds(server.graceSeconds))
                    .apiKey(key == null || key.isBlank() ? null : key);
        } catch (IllegalArgumentException e) {
            sd.close();
            throw new Failure(Failure.USAGE, e.getMessage());
        }
        SdServer s;
        try {
            s = sb.build().start();
        } catch (RuntimeException e) {
            sd.close();
            throw new Failure(1, "could not listen on " + server.host + ":" + server.port + ": " + e.getMessage(), e);
        }
        return serveUntilShutdown(s, sd, key);
    }

    /** {@code --queue}: a front server with no model, whose jobs sdj worker processes run. */
    private int serveQueue() throws Exception {
        if (models.main() != null) {
            throw new Failure(Failure.USAGE, "with --queue this server loads no model: give -m to 'sdj worker --queue "
                    + server.queue + " -m MODEL' instead");
        }
        String key = server.apiKey != null ? server.apiKey : System.getenv("SDJ_API_KEY");
        SdServer.Builder sb;
        try {
            sb = SdServer.builder().queue(server.queue).defaultModel(server.defaultModel).host(server.host).port(server.port)
                    .maxQueue(server.maxQueue).maxBodyBytes((long) server.maxBodyMb << 20).maxSide(server.maxSide)
                    .loraDir(server.loraDir).upscalerDir(server.upscalerDir).shutdownGrace(Duration.ofSeconds(server.graceSeconds))
                    .apiKey(key == null || key.isBlank() ? null : key);
        } catch (IllegalArgumentException e) {
            throw new Failure(Failure.USAGE, e.getMessage());
        }
        SdServer s;
        try {
            s = sb.build().start();
        } catch (RuntimeException e) {
            throw new Failure(1, "could not start the server: " + e.getMessage(), e);
        }
        return serveUntilShutdown(s, null, key);
    }

    private int serveUntilShutdown(SdServer s, StableDiffusion sd, String key) throws InterruptedException {
        Thread hook = new Thread(() -> {
            s.close();
            if (sd != null) {
                sd.close();
            }
        }, "sdj-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        STARTED.set(s);
        out().println("listening on http://" + (server.host.contains(":") ? "[" + server.host + "]" : server.host) + ":" + s.port()
                + (key != null ? " (API key required)" : "") + (server.queue != null ? ", jobs on " + server.queue : ""));
        out().flush();
        try {
            s.awaitShutdown();
        } finally {
            s.close();
            if (sd != null) {
                sd.close();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running: it closes the same things
            }
        }
        return 0;
    }
}
