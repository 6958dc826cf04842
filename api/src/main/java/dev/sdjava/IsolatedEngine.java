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

import dev.sdjava.internal.natives.NativeStack;

/**
 * The host side of an isolated context: starts and supervises one worker JVM
 * ({@link IsolatedWorker}) running the real context, and forwards calls to it. When the worker
 * dies (a native abort, a segfault, a kill) the call in progress throws
 * {@link StableDiffusionException.Kind#WORKER_CRASHED} with the worker's last output lines, and
 * the next call starts a fresh worker and loads the models again. Calls are serialised by the
 * owning {@link StableDiffusion}; a generation's {@link Cancellation} is forwarded to the worker
 * ({@link WorkerWire#OP_CANCEL}), which stops sd.cpp and keeps its models.
 *
 * <p>Every exchange with the worker runs on this engine's own thread while the caller waits: an
 * interrupt of a thread blocked on a socket channel closes the channel (NIO's rule), which would
 * cost the worker; here an interrupt of the caller becomes a cancel instead.
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
    private volatile DataOutputStream out;
    /** Guards writes to {@link #out}: a cancel is written from another thread than the call's. */
    private final Object writeLock = new Object();
    private final NativeStack io;

    private IsolatedEngine(ModelConfig config) {
        this.config = config;
        this.io = new NativeStack("sdjava-isolated-" + IDS.incrementAndGet());
    }

    private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();

    /** Starts a worker and loads {@code config} in it. */
    static IsolatedEngine start(ModelConfig config, ProgressListener progress) {
        IsolatedEngine c = new IsolatedEngine(config);
        try {
            c.io.call(() -> {
                c.ensureWorker(progress);
                return null;
            });
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
        return c;
    }

    // ---- the operations ----

    @Override
    public List<GeneratedImage> generate(GenerationRequest request, Cancellation cancel) {
        return io.call(() -> generateOnIoThread(request, cancel), () -> cancel.request(Cancellation.Mode.ALL));
    }

    private List<GeneratedImage> generateOnIoThread(GenerationRequest request, Cancellation cancel) {
        ensureWorker(null);
        return call("generate", () -> {
            out.writeByte(WorkerWire.OP_GENERATE);
            WorkerWire.write(out, request);
            out.writeBoolean(request.progress() != null);
            out.writeBoolean(request.previewListener() != null && request.previewMode() != null && request.previewMode() != PreviewMode.NONE);
        }, cancel, request.progress(), request.previewListener(), () -> {
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
        return io.call(() -> {
            ensureWorker(null);
            return call("defaultSamplingMethod", () -> out.writeByte(WorkerWire.OP_DEFAULT_SAMPLER), null, null, null,
                    () -> (SamplingMethod) WorkerWire.read(in));
        });
    }

    @Override
    public Scheduler defaultScheduler(SamplingMethod sampler) {
        return io.call(() -> {
            ensureWorker(null);
            return call("defaultScheduler", () -> {
                out.writeByte(WorkerWire.OP_DEFAULT_SCHEDULER);
                WorkerWire.write(out, sampler);
            }, null, null, null, () -> (Scheduler) WorkerWire.read(in));
        });
    }

    @Override
    public GeneratedVideo generateVideo(VideoRequest request, Cancellation cancel) {
        // The worker protocol carries image requests only so far.
        throw new UnsupportedOperationException("video generation does not run in an isolated context yet;"
                + " load the video model with StableDiffusion.load instead of loadIsolated");
    }

    @Override
    public boolean supportsVideoGeneration() {
        return false; // generateVideo does not run here yet
    }

    @Override
    public boolean supportsImageGeneration() {
        return io.call(() -> {
            ensureWorker(null);
            return call("supportsImageGeneration", () -> out.writeByte(WorkerWire.OP_SUPPORTS_IMAGES), null, null, null,
                    in::readBoolean);
        });
    }

    /** Forwards a cancel to the worker (from any thread); a worker that is gone needs none. */
    private void sendCancel(Cancellation.Mode mode) {
        synchronized (writeLock) {
            DataOutputStream o = out;
            if (o == null) {
                return;
            }
            try {
                o.writeByte(WorkerWire.OP_CANCEL);
                o.writeByte(mode == Cancellation.Mode.ALL ? WorkerWire.CANCEL_ALL : WorkerWire.CANCEL_AFTER_CURRENT_IMAGE);
                o.flush();
            } catch (IOException e) {
                // the worker died; the call in progress reports it
            }
        }
    }

    /** Asks the worker to free its context and exit; kills it if it does not within 10 s. */
    @Override
    public void close() {
        try {
            io.call(() -> {
                closeOnIoThread();
                return null;
            });
        } catch (IllegalStateException e) {
            closeOnIoThread(); // the I/O thread is gone already (a failed start)
        }
        io.close();
    }

    private void closeOnIoThread() {
        Process p = process;
        if (p != null && p.isAlive() && out != null) {
            try {
                synchronized (writeLock) {
                    out.writeByte(WorkerWire.OP_CLOSE);
                    out.flush();
                }
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
            }, null, progress, null, () -> null);
        } catch (RuntimeException | Error e) {
            closeOnIoThread(); // a worker without models is of no use
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

    /** One request and its reply; with a {@code cancel}, its requests go to the worker while the reply is awaited. */
    private <T> T call(String what, Send send, Cancellation cancel, ProgressListener progress, PreviewListener preview,
                       Receive<T> receive) {
        Throwable listenerFailure = null;
        try {
            synchronized (writeLock) {
                send.run();
                out.flush();
            }
            if (cancel != null) {
                cancel.attach(this::sendCancel);
            }
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
            throw crashed(what, e); // the worker died or was killed
        } finally {
            if (cancel != null) {
                cancel.attach(null);
            }
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
