package dev.sdjava.synthetic;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs the pieces of a file write on a few threads: each piece computes its bytes and writes them at its own absolute
 * position, so the file does not depend on the number of threads or the order. The first failure stops the others
 * and is rethrown as it was (an interrupt as {@link InterruptedIOException}).
 */
final class ParallelWrites {
    private ParallelWrites() {
    }

    /** The work of one thread; {@link #write} is called once per piece it takes. */
    interface Worker {
        /** Computes piece {@code piece} and writes it into {@code ch}. */
        void write(int piece, FileChannel ch) throws IOException;
    }

    /**
     * Writes pieces {@code 0..pieces-1} into {@code ch} on up to {@code threads} threads, each with its own worker
     * (and so its own buffers) from {@code workers}.
     */
    static void run(FileChannel ch, Path out, int pieces, int threads, Supplier<Worker> workers) throws IOException {
        int n = Math.max(1, Math.min(threads, pieces));
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable loop = () -> {
            try {
                Worker w = workers.get();
                int k;
                while (failure.get() == null && (k = next.getAndIncrement()) < pieces) {
                    w.write(k, ch);
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        };
        if (n == 1) {
            loop.run();
        } else {
            List<Thread> pool = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Thread th = new Thread(loop, "synthetic-model-writer-" + i);
                th.setDaemon(true);
                th.start();
                pool.add(th);
            }
            try {
                for (Thread th : pool) {
                    th.join();
                }
            } catch (InterruptedException e) {
                failure.compareAndSet(null, e);
                for (Thread th : pool) {
                    th.interrupt();
                }
                Thread.currentThread().interrupt();
            }
        }
        Throwable f = failure.get();
        if (f instanceof IOException io) {
            throw io;
        } else if (f instanceof InterruptedException ie) {
            throw (IOException) new InterruptedIOException("interrupted writing " + out).initCause(ie);
        } else if (f instanceof RuntimeException re) {
            throw re;
        } else if (f instanceof Error er) {
            throw er;
        } else if (f != null) {
            throw new IOException(f);
        }
    }

    /** Writes all of {@code buf} at {@code position}. */
    static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            pos += ch.write(buf, pos);
        }
    }
}
