package dev.sdjava.internal.isolation;

import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.ModelConfig;
import dev.sdjava.ModelFile;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;
import dev.sdjava.internal.natives.Callbacks;
import dev.sdjava.internal.natives.Native;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.bindings.sd_ctx_params_t;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The main class of an isolated context's child JVM (see {@link StableDiffusion#loadIsolated}).
 * It connects to the Unix socket named by its one argument, then serves one
 * {@link StableDiffusion} context: requests in, progress and preview events and results out
 * ({@link WorkerWire}). Its standard error carries sd.cpp's log, one {@code LEVEL text} line
 * each, which the host keeps to explain a crash. Not public API.
 *
 * <p>The main thread only reads: a generation runs as {@link StableDiffusion#submit} (registered
 * before the next operation is read, so a cancel that follows it on the socket reaches it) and
 * writes its events and reply itself, while the main thread goes on reading and serves
 * {@link WorkerWire#OP_CANCEL}. Every write to the socket holds the output stream's monitor.
 */
public final class IsolatedWorker {
    private IsolatedWorker() {
    }

    public static void main(String[] args) throws Exception {
        // Nothing may write to stdout by accident; the protocol has its own socket anyway.
        PrintStream err = System.err;
        System.setOut(err);
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler h = new ConsoleHandler();
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                return r.getLevel().getName() + " " + formatMessage(r) + System.lineSeparator();
            }
        });
        root.addHandler(h);

        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(Path.of(args[0])));
        DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch), 1 << 16));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16));
        StableDiffusion sd = null;
        try {
            while (true) {
                int op;
                try {
                    op = in.readUnsignedByte();
                } catch (IOException e) {
                    if (sd != null) {
                        sd.cancel(); // the host went away: stop what runs for it, then close
                    }
                    return;
                }
                if (op == WorkerWire.OP_CANCEL) {
                    int mode = in.readUnsignedByte();
                    if (sd != null) {
                        if (mode == WorkerWire.CANCEL_AFTER_CURRENT_IMAGE) {
                            sd.cancelAfterCurrentImage();
                        } else {
                            sd.cancel();
                        }
                    }
                    continue;
                }
                try {
                    synchronized (out) {
                    switch (op) {
                        case WorkerWire.OP_LOAD -> {
                            ModelConfig config = (ModelConfig) WorkerWire.read(in);
                            boolean progress = in.readBoolean();
                            sd = StableDiffusion.load(config,
                                    progress ? (s, n, t) -> progress(out, s, n, t) : null);
                            out.writeByte(WorkerWire.RE_OK);
                        }
                        case WorkerWire.OP_GENERATE -> {
                            GenerationRequest r = (GenerationRequest) WorkerWire.read(in);
                            boolean progress = in.readBoolean();
                            boolean preview = in.readBoolean();
                            GenerationRequest.Builder b = r.toBuilder();
                            if (progress) {
                                b.progress((s, n, t) -> progress(out, s, n, t));
                            }
                            if (preview) {
                                b.previewListener((step, frames, noisy) -> preview(out, step, frames, noisy));
                            }
                            require(sd).submit(b.build()).whenComplete((images, failure) -> reply(out, images, failure));
                            continue; // its reply comes from the generation's thread
                        }
                        case WorkerWire.OP_DEFAULT_SAMPLER -> {
                            SamplingMethod m = require(sd).defaultSamplingMethod();
                            out.writeByte(WorkerWire.RE_OK);
                            WorkerWire.write(out, m);
                        }
                        case WorkerWire.OP_DEFAULT_SCHEDULER -> {
                            Scheduler s = require(sd).defaultScheduler((SamplingMethod) WorkerWire.read(in));
                            out.writeByte(WorkerWire.RE_OK);
                            WorkerWire.write(out, s);
                        }
                        case WorkerWire.OP_SUPPORTS_IMAGES -> {
                            boolean v = require(sd).supportsImageGeneration();
                            out.writeByte(WorkerWire.RE_OK);
                            out.writeBoolean(v);
                        }
                        case WorkerWire.OP_CLOSE -> {
                            if (sd != null) {
                                sd.close();
                                sd = null;
                            }
                            out.writeByte(WorkerWire.RE_OK);
                            out.flush();
                            return;
                        }
                        default -> throw new IOException("unknown operation " + op);
                    }
                    out.flush();
                    }
                } catch (RuntimeException | Error e) {
                    synchronized (out) {
                        WorkerWire.writeFailure(out, e);
                        out.flush();
                    }
                }
            }
        } finally {
            if (sd != null) {
                sd.close();
            }
            ch.close();
        }
    }

    /** Writes a generation's reply: its images, or what it threw. */
    private static void reply(DataOutputStream out, List<GeneratedImage> images, Throwable failure) {
        synchronized (out) {
            try {
                if (failure instanceof java.util.concurrent.CompletionException ce && ce.getCause() != null) {
                    failure = ce.getCause();
                }
                if (failure == null) {
                    out.writeByte(WorkerWire.RE_OK);
                    out.writeInt(images.size());
                    for (GeneratedImage g : images) {
                        out.writeLong(g.seed());
                        out.writeInt(g.index());
                        WorkerWire.write(out, g.parameters());
                        WorkerWire.image(out, g.image());
                    }
                } else {
                    WorkerWire.writeFailure(out, failure);
                }
                out.flush();
            } catch (IOException e) {
                // the host went away; the main thread sees it too
            }
        }
    }

    private static StableDiffusion require(StableDiffusion sd) {
        if (sd == null) {
            throw new IllegalStateException("the isolated worker has no model loaded");
        }
        return sd;
    }

    private static void progress(DataOutputStream out, int step, int steps, double seconds) {
        synchronized (out) {
        try {
            out.writeByte(WorkerWire.EV_PROGRESS);
            out.writeInt(step);
            out.writeInt(steps);
            out.writeDouble(seconds);
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        }
    }

    private static void preview(DataOutputStream out, int step, List<SdImage> frames, boolean noisy) {
        synchronized (out) {
        try {
            out.writeByte(WorkerWire.EV_PREVIEW);
            out.writeInt(step);
            out.writeBoolean(noisy);
            out.writeInt(frames.size());
            for (SdImage f : frames) {
                WorkerWire.image(out, f);
            }
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        }
    }
}
