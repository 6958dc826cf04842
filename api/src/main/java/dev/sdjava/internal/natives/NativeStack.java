package dev.sdjava.internal.natives;

import dev.sdjava.GenerationRequest;
import dev.sdjava.StableDiffusion;

import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One platform thread with a large stack that runs a context's native calls, one at a time,
 * while the caller waits.
 *
 * <p>Why: sd.cpp parses prompts with a {@code std::regex} that recurses about 320 bytes of
 * native stack per prompt character (measured on this libstdc++: 3,224 characters without
 * {@code ( ) [ ] \ : B} overflow 1 MiB, 26,166 overflow 8 MiB). A Java thread's default stack
 * is 1 MiB, so an ordinary long prompt would segfault the JVM. {@value #STACK_BYTES} bytes of
 * stack (reserved, committed only as touched) hold about 200,000 characters, six times
 * {@link GenerationRequest#MAX_PROMPT_LENGTH}.
 *
 * <p>The thread lives as long as its context, so sd.cpp always runs on the same thread (a new
 * thread per call made the process grow by hundreds of MiB: each brought its own native
 * allocator and thread-pool state). The caller's interrupt is passed on to the task (where
 * {@code StableDiffusion} reads it after sd.cpp returns) and restored on the caller; the native
 * call itself cannot be stopped.
 */
public final class NativeStack implements AutoCloseable {
    public static final long STACK_BYTES = 64L << 20;

    private final ExecutorService thread;
    private volatile Thread worker;

    public NativeStack(String name) {
        thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, name, STACK_BYTES);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code task} on this stack's thread and waits for it; rethrows what it throws. */
    public <T> T call(Callable<T> task) {
        AtomicBoolean interruptRequested = new AtomicBoolean();
        Future<T> f;
        try {
            f = thread.submit(() -> {
                worker = Thread.currentThread();
                Thread.interrupted(); // nothing stale from an earlier call
                if (interruptRequested.get()) {
                    Thread.currentThread().interrupt();
                }
                try {
                    return task.call();
                } finally {
                    Thread.interrupted();
                }
            });
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("this context is closed", e);
        }
        boolean interrupted = Thread.interrupted();
        if (interrupted) {
            interruptRequested.set(true);
        }
        while (true) {
            try {
                T result = f.get();
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return result;
            } catch (InterruptedException e) {
                interrupted = true;
                interruptRequested.set(true);
                Thread w = worker;
                if (w != null) {
                    w.interrupt();
                }
            } catch (ExecutionException e) {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                Throwable t = e.getCause();
                if (t instanceof RuntimeException r) {
                    throw r;
                }
                if (t instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException("native call failed: " + t, t);
            } catch (CancellationException e) {
                throw new IllegalStateException("native call was cancelled", e);
            }
        }
    }

    /** Lets the thread end once its current task (if any) is done. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
