package dev.sdjava;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a native call on a platform thread with a large stack, and waits for it.
 *
 * <p>Why: sd.cpp parses prompts with a {@code std::regex} that recurses about 320 bytes of
 * native stack per prompt character (measured on this libstdc++: 3,224 characters without
 * {@code ( ) [ ] \ : B} overflow 1 MiB, 26,166 overflow 8 MiB). A Java thread's default stack
 * is 1 MiB, so an ordinary long prompt would segfault the JVM. {@value #STACK_BYTES} bytes of
 * stack (reserved, committed only as touched) hold about 200,000 characters, six times
 * {@link GenerationRequest#MAX_PROMPT_LENGTH}.
 *
 * <p>The caller's interrupt is passed on to the worker (where {@code StableDiffusion} reads it
 * after sd.cpp returns) and restored on the caller; the call itself cannot be stopped.
 */
final class NativeStack {
    static final long STACK_BYTES = 64L << 20;

    private NativeStack() {
    }

    /** Runs {@code task} on a fresh big-stack thread named after the caller; rethrows what it throws. */
    static <T> T call(Callable<T> task) {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread caller = Thread.currentThread();
        Thread worker = new Thread(null, () -> {
            try {
                result.set(task.call());
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "sdjava-native-for-" + caller.getName(), STACK_BYTES);
        worker.setDaemon(true);
        worker.start();
        boolean interrupted = Thread.interrupted();
        if (interrupted) {
            worker.interrupt();
        }
        while (true) {
            try {
                worker.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
                worker.interrupt();
            }
        }
        if (interrupted) {
            caller.interrupt();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException("native call failed: " + t, t);
        }
        return result.get();
    }
}
