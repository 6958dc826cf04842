package dev.sdjava;

import java.util.function.Consumer;

/**
 * The cancel state of one generation, from the moment it is asked for ({@link StableDiffusion#generate}
 * or {@link StableDiffusion#submit}) until it returns. Whoever wants it stopped calls
 * {@link #request}; the engine running it {@link #attach}es the action that tells sd.cpp (or the
 * worker). A request made before the engine attached is delivered on attach, so none is lost.
 */
final class Cancellation {
    /** How far to stop; the names are sd.cpp's {@code sd_cancel_mode_t}. */
    enum Mode {
        /** Stop as soon as possible; the images are discarded ({@code SD_CANCEL_ALL}). */
        ALL,
        /** Finish the image being sampled, start no more, return the finished ones ({@code SD_CANCEL_NEW_LATENTS}). */
        NEW_LATENTS
    }

    private volatile Mode mode;
    private volatile Consumer<Mode> sink;

    /** Asks for a stop; {@link Mode#ALL} wins over {@link Mode#NEW_LATENTS}. Safe from any thread. */
    void request(Mode m) {
        synchronized (this) {
            if (mode == Mode.ALL || mode == m) {
                return;
            }
            mode = m;
        }
        deliver(sink, m);
    }

    /** What was asked for, or null. */
    Mode mode() {
        return mode;
    }

    boolean cancelled() {
        return mode == Mode.ALL;
    }

    /**
     * Sets the action that passes a request on (null detaches it) and runs it at once if a
     * request came first. Both fields are volatile and each side writes its own before reading the
     * other's, so a request racing with attach is delivered at least once.
     */
    void attach(Consumer<Mode> action) {
        sink = action;
        Mode m = mode;
        if (action != null && m != null) {
            deliver(action, m);
        }
    }

    private static void deliver(Consumer<Mode> action, Mode m) {
        if (action != null) {
            action.accept(m);
        }
    }
}
