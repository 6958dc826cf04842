package dev.sdjava;

import dev.sdjava.internal.isolation.IsolatedWorker;
import dev.sdjava.internal.isolation.WorkerWire;
import dev.sdjava.internal.natives.Callbacks;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;

/**
 * The host side of an isolated context: starts and supervises one worker JVM
 * ({@link IsolatedWorker}) running the real context, and forwards calls to it. When the worker
 * dies (a native abort, a segfault, a kill) the call in progress throws
 * {@link StableDiffusionException.Kind#WORKER_CRASHED} with the worker's last output lines, and
 * the next call starts a fresh worker and loads the models again. Calls are serialised by the
 * owning {@link StableDiffusion}; only {@link #abort()} may be called concurrently.
 */
final class IsolatedEngine implements Engine {
    private static final System.Logger LOG = System.getLogger("dev.sdjava.isolated");
    private static final System.Logger NATIVE_LOG = System.getLogger("dev.sdjava.native");
    private static final int KEEP_LINES = 40;
    private static final long START_TIMEOUT_MS = 120_000;

    private final ModelConfig config;
    private final ArrayDeque<String> lastLines = new ArrayDeque<>();
    private Process process;
    private Path socketDir;
    private SocketChannel channel;
    private DataInputStream in;
    private DataOutputStream out;
    private volatile boolean aborted;

    private IsolatedEngine(ModelConfig config) {
        this.config = config;
    }

    /** Starts a worker and loads {@code config} in it. */
    static IsolatedEngine start(ModelConfig config, ProgressListener progress) {
        IsolatedEngine c = new IsolatedEngine(config);
        try {
            c.ensureWorker(progress);
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
        return c;
    }

    // ---- the operations ----

    @Override
    public List<GeneratedImage> generate(GenerationRequest request) {
        ensureWorker(null);
        return call("generate", () -> {
            out.writeByte(WorkerWire.OP_GENERATE);
            WorkerWire.write(out, request);
            out.writeBoolean(request.progress() != null);
            out.writeBoolean(request.previewListener() != null && request.previewMode() != null && request.previewMode() != PreviewMode.NONE);
        }, request.progress(), request.previewListener(), () -> {
            int n = in.readInt();
            List<GeneratedImage> images = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long seed = in.readLong();
                int index = in.readInt();
                String parameters = (String) WorkerWire.read(in);
                images.add(new GeneratedImage(WorkerWire.image(in), seed, index, request, parameters));
            }
            return List.copyOf(images);
        });
    }

    @Override
    public SamplingMethod defaultSamplingMethod() {
        ensureWorker(null);
        return call("defaultSamplingMethod", () -> out.writeByte(WorkerWire.OP_DEFAULT_SAMPLER), null, null,
                () -> (SamplingMethod) WorkerWire.read(in));
    }

    @Override
    public Scheduler defaultScheduler(SamplingMethod sampler) {
        ensureWorker(null);
        return call("defaultScheduler", () -> {
            out.writeByte(WorkerWire.OP_DEFAULT_SCHEDULER);
            WorkerWire.write(out, sampler);
        }, null, null, () -> (Scheduler) WorkerWire.read(in));
    }

    @Override
    public boolean supportsImageGeneration() {
        ensureWorker(null);
        return call("supportsImageGeneration", () -> out.writeByte(WorkerWire.OP_SUPPORTS_IMAGES), null, null,
                in::readBoolean);
    }

    /** Ends the worker at once, from any thread; the call in progress throws CancellationException. */
    @Override
    public void abort() {
        aborted = true;
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    /** Asks the worker to free its context and exit; kills it if it does not within 10 s. */
    @Override
    public void close() {
        Process p = process;
        if (p != null && p.isAlive() && out != null) {
            try {
                out.writeByte(WorkerWire.OP_CLOSE);
                out.flush();
                in.readUnsignedByte();
            } catch (IOException e) {
                // it is going away anyway
            }
        }
        stopWorker(10);
    }

    // ---- the worker's life ----

    private void ensureWorker(ProgressListener progress) {
        if (process != null && process.isAlive() && channel != null && channel.isOpen()) {
            return;
        }
        stopWorker(0);
        aborted = false;
        synchronized (lastLines) {
            lastLines.clear();
        }
        try {
            socketDir = Files.createTempDirectory("sdjava-worker-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path socket = socketDir.resolve("s");
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                server.bind(UnixDomainSocketAddress.of(socket));
                server.configureBlocking(false);
                process = new ProcessBuilder(command(socket)).redirectErrorStream(true).start();
                pump(process.getInputStream(), process.pid());
                long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
                while ((channel = server.accept()) == null) {
                    if (!process.isAlive()) {
                        throw crashed("starting the worker", null);
                    }
                    if (System.currentTimeMillis() > deadline) {
                        throw crashed("starting the worker (no connection after " + START_TIMEOUT_MS / 1000 + " s)", null);
                    }
                    Thread.sleep(10);
                }
            }
            channel.configureBlocking(true);
            in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel), 1 << 16));
            out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
            LOG.log(System.Logger.Level.DEBUG, "isolated worker {0} started", process.pid());
        } catch (IOException e) {
            stopWorker(0);
            throw new StableDiffusionException(StableDiffusionException.Kind.WORKER_CRASHED,
                    "could not start the isolated worker: " + e, snapshot(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopWorker(0);
            throw new CancellationException("interrupted while starting the isolated worker");
        }
        try {
            call("load", () -> {
                out.writeByte(WorkerWire.OP_LOAD);
                WorkerWire.write(out, config);
                out.writeBoolean(progress != null);
            }, progress, null, () -> null);
        } catch (RuntimeException | Error e) {
            close(); // a worker without models is of no use
            throw e;
        }
    }

    private List<String> command(Path socket) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // The worker runs as this JVM does: on the module path when sdjava is a named module there.
        Module module = IsolatedEngine.class.getModule();
        cmd.add("--enable-native-access=" + (module.isNamed() ? module.getName() : "ALL-UNNAMED"));
        // A crash must not leave hs_err files in the user's working directory.
        cmd.add("-XX:ErrorFile=" + socketDir.resolve("hs_err_pid%p.log"));
        cmd.add("-XX:-CreateCoredumpOnCrash");
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("sdjava.") || key.startsWith("java.util.logging.")) {
                cmd.add("-D" + key + "=" + System.getProperty(key));
            }
        }
        String classPath = System.getProperty("java.class.path", "");
        if (!classPath.isEmpty()) {
            cmd.add("-cp");
            cmd.add(classPath);
        }
        if (module.isNamed()) {
            cmd.add("--module-path");
            cmd.add(System.getProperty("jdk.module.path"));
            cmd.add("-m");
            cmd.add(module.getName() + "/" + IsolatedWorker.class.getName());
        } else {
            cmd.add(IsolatedWorker.class.getName());
        }
        cmd.add(socket.toString());
        return cmd;
    }

    /** Keeps the worker's last output lines and passes sd.cpp's log lines on to the host's logger. */
    private void pump(InputStream stream, long pid) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (lastLines) {
                        if (lastLines.size() >= KEEP_LINES) {
                            lastLines.removeFirst();
                        }
                        lastLines.addLast(line);
                    }
                    int sp = line.indexOf(' ');
                    System.Logger.Level level = switch (sp > 0 ? line.substring(0, sp) : "") {
                        case "SEVERE" -> System.Logger.Level.ERROR;
                        case "WARNING" -> System.Logger.Level.WARNING;
                        case "INFO" -> System.Logger.Level.INFO;
                        case "FINE", "FINER", "FINEST", "CONFIG" -> System.Logger.Level.DEBUG;
                        default -> null;
                    };
                    if (level != null) {
                        NATIVE_LOG.log(level, line.substring(sp + 1));
                    } else {
                        LOG.log(System.Logger.Level.DEBUG, "worker " + pid + ": " + line);
                    }
                }
            } catch (IOException e) {
                // the worker is gone
            }
        }, "sdjava-worker-" + pid + "-output");
        t.setDaemon(true);
        t.start();
    }

    private void stopWorker(int graceSeconds) {
        Process p = process;
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            // closing anyway
        }
        channel = null;
        in = null;
        out = null;
        if (p != null) {
            try {
                if (!p.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        process = null;
        if (socketDir != null) {
            try (var files = Files.list(socketDir)) {
                for (Path f : files.toList()) {
                    if (f.getFileName().toString().startsWith("hs_err")) {
                        // The summary at the top of the JVM's crash report; the rest is for JVM engineers.
                        List<String> head = new String(Files.readAllBytes(f), StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("# ")).limit(12).toList();
                        LOG.log(System.Logger.Level.WARNING, "isolated worker crashed:\n" + String.join("\n", head));
                    }
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(socketDir);
            } catch (IOException e) {
                // temp files; best effort
            }
            socketDir = null;
        }
    }

    // ---- one request/reply exchange ----

    private interface Send {
        void run() throws IOException;
    }

    private interface Receive<T> {
        T run() throws IOException;
    }

    private <T> T call(String what, Send send, ProgressListener progress, PreviewListener preview, Receive<T> receive) {
        Throwable listenerFailure = null;
        try {
            send.run();
            out.flush();
            while (true) {
                int code = in.readUnsignedByte();
                switch (code) {
                    case WorkerWire.EV_PROGRESS -> {
                        int step = in.readInt(), steps = in.readInt();
                        double seconds = in.readDouble();
                        try {
                            if (progress != null && listenerFailure == null) {
                                progress.onProgress(step, steps, seconds);
                            }
                        } catch (Throwable t) {
                            listenerFailure = t;
                        }
                    }
                    case WorkerWire.EV_PREVIEW -> {
                        int step = in.readInt();
                        boolean noisy = in.readBoolean();
                        int n = in.readInt();
                        List<SdImage> frames = new ArrayList<>(n);
                        for (int i = 0; i < n; i++) {
                            frames.add(WorkerWire.image(in));
                        }
                        try {
                            if (preview != null && listenerFailure == null) {
                                preview.onPreview(step, List.copyOf(frames), noisy);
                            }
                        } catch (Throwable t) {
                            listenerFailure = t;
                        }
                    }
                    case WorkerWire.RE_OK -> {
                        T result = receive.run();
                        Callbacks.Call.rethrow(listenerFailure);
                        return result;
                    }
                    case WorkerWire.RE_ERROR -> {
                        RuntimeException e = WorkerWire.readFailure(in);
                        Callbacks.Call.rethrow(listenerFailure);
                        throw e;
                    }
                    default -> throw new IOException("unexpected reply code " + code);
                }
            }
        } catch (IOException e) {
            // The worker died (or was killed, or the calling thread interrupted the channel).
            boolean interrupted = Thread.currentThread().isInterrupted();
            if (aborted || interrupted) {
                stopWorker(0);
                throw new CancellationException("isolated generation stopped; the worker was ended"
                        + " (the next call starts a fresh one)");
            }
            throw crashed(what, e);
        }
    }

    private StableDiffusionException crashed(String what, Throwable cause) {
        Process p = process;
        String exit = "";
        if (p != null) {
            try {
                if (p.waitFor(10, TimeUnit.SECONDS)) {
                    int code = p.exitValue();
                    exit = " with exit code " + code + (code > 128 ? " (signal " + (code - 128) + ")" : "");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Thread.sleep(100); // let the output pump take the last lines
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopWorker(0);
        return new StableDiffusionException(StableDiffusionException.Kind.WORKER_CRASHED,
                "the isolated worker died" + exit + " during " + what + "; the next call starts a fresh one",
                snapshot(), cause);
    }

    private List<String> snapshot() {
        synchronized (lastLines) {
            return List.copyOf(lastLines);
        }
    }

}
