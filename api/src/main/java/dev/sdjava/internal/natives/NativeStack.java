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
 * allocator and thread-pool state). An interrupt of the caller runs the call's
 * {@code onInterrupt} action (a generation's is its cancel) and is restored on the caller once
 * the task has returned.
 */
public final class NativeStack implements AutoCloseable {
    public static final long STACK_BYTES = 64L << 20;

    private final ExecutorService thread;

    public NativeStack(String name) {
        thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, name, STACK_BYTES);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code task} on this stack's thread and waits for it; rethrows what it throws. */
    public <T> T call(Callable<T> task) {
        return call(task, () -> { });
    }

    /**
     * As {@link #call(Callable)}; if the calling thread is interrupted meanwhile, runs
     * {@code onInterrupt} (once, on the calling thread: it asks the task to stop) and goes on
     * waiting for the task, so that nothing native outlives the call. The caller's interrupt
     * status is restored before returning.
     */
    public <T> T call(Callable<T> task, Runnable onInterrupt) {
        Future<T> f;
        try {
            f = thread.submit(task);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("this context is closed", e);
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    if (!interrupted) {
                        interrupted = true;
                        onInterrupt.run();
                    }
                } catch (ExecutionException e) {
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
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
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
