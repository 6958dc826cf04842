package dev.sdjava.internal.natives;

import dev.sdjava.PreviewListener;
import dev.sdjava.ProgressListener;
import dev.sdjava.SdImage;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.bindings.sd_image_t;
import dev.sdjava.internal.bindings.sd_log_cb_t;
import dev.sdjava.internal.bindings.sd_preview_cb_t;
import dev.sdjava.internal.bindings.sd_progress_cb_t;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * sd.cpp's log, progress and preview callbacks are process-wide. This class installs one upcall
 * for each, once, and routes every event to the {@link Call} running on the thread that raised
 * it (sd.cpp calls them on the thread that called it). So listeners only ever see their own
 * call's events, whatever other contexts do on other threads.
 *
 * <p>The upcalls never let an exception escape into native code (that would kill the JVM):
 * a listener's exception is kept in its {@link Call} and rethrown after the native call.
 */
public final class Callbacks {
    private static final System.Logger NATIVE_LOG = System.getLogger("dev.sdjava.native");
    private static final ThreadLocal<Call> CURRENT = new ThreadLocal<>();
    /** Warnings and errors logged from threads with no call (sd.cpp's loader threads), newest last. */
    private static final ArrayDeque<String> STRAY = new ArrayDeque<>();
    private static final int KEEP_LINES = 20;
    /** sd.cpp's preview settings are global too; generations that want previews take turns. */
    public static final ReentrantLock PREVIEW_LOCK = new ReentrantLock();

    private static volatile boolean installed;
    private static MemorySegment previewStub;

    private Callbacks() {
    }

    /**
     * Starts {@link #install()} on a short-lived thread unless it already ran, so that a first
     * {@code load()} can check its model files meanwhile: in a fresh JVM, loading the library and
     * making the upcall stubs costs about a tenth of a second. A failure there is dropped: the
     * caller's own {@code install()} then runs again and reports it.
     */
    public static void installInBackground() {
        if (installed) {
            return;
        }
        Thread.ofPlatform().name("sdjava-install").daemon().start(() -> {
            try {
                install();
                Warmup.linkLoadPath();
            } catch (Throwable ignored) {
                // reported by the caller's own calls
            }
        });
    }

    /** Loads the library and installs the log and progress upcalls, once per JVM. */
    public static void install() {
        if (installed) {
            return;
        }
        synchronized (Callbacks.class) {
            if (installed) {
                return;
            }
            NativeLoader.load();
            Arena global = Arena.global();
            SdCpp.sd_set_log_callback(sd_log_cb_t.allocate(Callbacks::onLog, global), MemorySegment.NULL);
            SdCpp.sd_set_progress_callback(sd_progress_cb_t.allocate(Callbacks::onProgress, global), MemorySegment.NULL);
            installed = true;
        }
    }

    /** Turns previews on for the current generation; the caller holds {@link #PREVIEW_LOCK}. */
    public static void enablePreview(int mode, int interval, boolean denoised, boolean noisy) {
        if (previewStub == null) { // made on first use: most generations want no previews
            previewStub = sd_preview_cb_t.allocate(Callbacks::onPreview, Arena.global());
        }
        SdCpp.sd_set_preview_callback(previewStub, mode, interval, denoised, noisy, MemorySegment.NULL);
    }

    /** Turns previews off again. */
    public static void disablePreview() {
        SdCpp.sd_set_preview_callback(MemorySegment.NULL, SdCpp.PREVIEW_NONE(), 1, false, false, MemorySegment.NULL);
    }

    /** Starts routing this thread's events to a new call. Always pair with {@link Call#close()}. */
    public static Call begin(ProgressListener progress, PreviewListener preview) {
        install();
        Call c = new Call(progress, preview, CURRENT.get());
        CURRENT.set(c);
        return c;
    }

    /** One native call in progress on one thread: its listeners, its log lines, its failure. */
    public static final class Call implements AutoCloseable {
        private final ProgressListener progress;
        private final PreviewListener preview;
        private final Call outer;
        private final List<String> problems = new ArrayList<>();
        private Throwable listenerFailure;
        private Runnable onUpcall;

        private Call(ProgressListener progress, PreviewListener preview, Call outer) {
            this.progress = progress;
            this.preview = preview;
            this.outer = outer;
        }

        /** Warning and error lines sd.cpp logged during this call (the last few), plus stray ones. */
        public List<String> problems() {
            List<String> all = new ArrayList<>(problems);
            if (all.isEmpty()) {
                synchronized (STRAY) {
                    all.addAll(STRAY);
                }
            }
            return all;
        }

        /**
         * Runs {@code action} at every log and progress upcall of this call, on the calling
         * thread, inside the native call (a generation re-sends a pending cancel there: sd.cpp
         * clears its flag when {@code generate_image} starts and logs right after). It must be
         * cheap and may call into sd.cpp; what it throws is kept like a listener's failure.
         */
        public void onEveryUpcall(Runnable action) {
            onUpcall = action;
        }

        private void upcall() {
            Runnable r = onUpcall;
            if (r != null) {
                try {
                    r.run();
                } catch (Throwable t) {
                    fail(t);
                }
            }
        }

        /** Rethrows what a listener threw during the call, if anything. */
        public void rethrowListenerFailure() {
            rethrow(listenerFailure);
        }

        /** Throws {@code t} unchanged if unchecked, wrapped if checked; does nothing for null. */
        public static void rethrow(Throwable t) {
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new RuntimeException("listener failed: " + t, t);
            }
        }

        private void fail(Throwable t) {
            if (listenerFailure == null) {
                listenerFailure = t;
            } else if (listenerFailure != t) {
                listenerFailure.addSuppressed(t);
            }
        }

        @Override
        public void close() {
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        }
    }

    // ---- upcalls: no exception may leave these methods ----

    private static void onLog(int level, MemorySegment text, MemorySegment data) {
        try {
            String line = Native.string(text);
            if (line == null) {
                return;
            }
            line = line.stripTrailing();
            Call current = CURRENT.get();
            if (current != null) {
                current.upcall();
            }
            System.Logger.Level l = level(level);
            if (NATIVE_LOG.isLoggable(l)) {
                NATIVE_LOG.log(l, line);
            }
            if (l == System.Logger.Level.ERROR || l == System.Logger.Level.WARNING) {
                Call c = current;
                if (c != null) {
                    if (c.problems.size() >= KEEP_LINES) {
                        c.problems.remove(0);
                    }
                    c.problems.add(line);
                } else {
                    synchronized (STRAY) {
                        if (STRAY.size() >= KEEP_LINES) {
                            STRAY.removeFirst();
                        }
                        STRAY.addLast(line);
                    }
                }
            }
        } catch (Throwable t) {
            // Logging must never take the process down; drop the line.
        }
    }

    /**
     * sd.cpp's level for a Java level one step quieter: its INFO lines narrate every load and
     * step, which is DEBUG detail inside an application; warnings and errors stay as they are.
     */
    public static System.Logger.Level level(int sdLevel) {
        if (sdLevel == SdCpp.SD_LOG_ERROR()) {
            return System.Logger.Level.ERROR;
        }
        if (sdLevel == SdCpp.SD_LOG_WARN()) {
            return System.Logger.Level.WARNING;
        }
        return sdLevel == SdCpp.SD_LOG_INFO() ? System.Logger.Level.DEBUG : System.Logger.Level.TRACE;
    }

    private static void onProgress(int step, int steps, float time, MemorySegment data) {
        Call c = CURRENT.get();
        if (c == null) {
            return;
        }
        c.upcall();
        if (c.progress == null) {
            return;
        }
        try {
            c.progress.onProgress(step, steps, time);
        } catch (Throwable t) {
            c.fail(t);
        }
    }

    private static void onPreview(int step, int frameCount, MemorySegment frames, boolean noisy, MemorySegment data) {
        Call c = CURRENT.get();
        if (c == null || c.preview == null || frameCount <= 0 || frames.equals(MemorySegment.NULL)) {
            return;
        }
        try {
            MemorySegment all = frames.reinterpret(sd_image_t.sizeof() * frameCount);
            List<SdImage> images = new ArrayList<>(frameCount);
            for (int i = 0; i < frameCount; i++) {
                SdImage img = Images.fromNative(sd_image_t.asSlice(all, i));
                if (img != null) {
                    images.add(img);
                }
            }
            c.preview.onPreview(step, List.copyOf(images), noisy);
        } catch (Throwable t) {
            c.fail(t);
        }
    }
}
