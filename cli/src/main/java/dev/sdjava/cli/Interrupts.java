package dev.sdjava.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Ctrl-C. During a generation ({@link #cancellable}) the first SIGINT cancels it through sd.cpp:
 * the generation throws {@link java.util.concurrent.CancellationException}, nothing is written, and
 * sdj exits normally with 130 (on CPU within a graph node of sampling or decoding). Other native
 * calls (loading, converting, upscaling) cannot be cancelled, and a normal JVM exit while sd.cpp's
 * threads still compute would run the C library's exit handlers and static destructors under
 * them; so a SIGINT there, or a second one while a cancel is under way, ends the process at once
 * with {@code _exit(130)} after one line on stderr (nothing is half-written: outputs are written to
 * a temporary file and renamed). One that arrives in Java code exits normally with 130.
 */
final class Interrupts {
    private static final AtomicInteger IN_NATIVE = new AtomicInteger();
    /** The cancel of the generation running now, or null. */
    private static volatile Runnable cancel;
    private static volatile boolean cancelling;
    private static final List<Runnable> CLEANUPS = new CopyOnWriteArrayList<>();
    private static volatile Runnable beforeExit = () -> { };
    private static boolean installed;

    private Interrupts() {
    }

    /** Installs the SIGINT handler (the real command line only; tests never do). */
    static synchronized void install(Runnable flush) {
        beforeExit = flush;
        if (installed) {
            return;
        }
        installed = true;
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> handleSigint());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // No SIGINT on this platform or the JVM keeps it (-Xrs): the JVM's default applies.
        }
    }

    private static void handleSigint() {
        Runnable c = cancel;
        if (c != null && !cancelling) {
            cancelling = true;
            try {
                beforeExit.run();
                c.run();
            } catch (Throwable ignored) {
                // the generation reports what went wrong
            }
            return; // the generation now throws CancellationException: exit code 130
        }
        try {
            beforeExit.run();
        } catch (Throwable ignored) {
            // exiting anyway
        }
        for (Runnable r : CLEANUPS) {
            try {
                r.run();
            } catch (Throwable ignored) {
                // best effort
            }
        }
        if (IN_NATIVE.get() > 0) {
            hardExit(Failure.INTERRUPTED);
        }
        System.exit(Failure.INTERRUPTED);
    }

    /** Whether a SIGINT cancelled a generation (its handler has said so on stderr already). */
    static boolean cancelledByInterrupt() {
        return cancelling;
    }

    /** A registration of {@link #onInterrupt(Runnable)}; closing it removes the action. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** Runs {@code cleanup} if SIGINT ends the process while the registration is open. */
    static Registration onInterrupt(Runnable cleanup) {
        CLEANUPS.add(cleanup);
        return () -> CLEANUPS.remove(cleanup);
    }

    /**
     * Deletes the temporary files a writer of {@code target} leaves next to it when the process
     * is cut short: {@code .NAME<anything>.tmp*} (SyntheticModel's, sdj's own), made by this process.
     */
    static Registration deleteTemporaries(Path target) {
        Path abs = target.toAbsolutePath();
        String prefix = "." + abs.getFileName();
        String pid = Long.toString(ProcessHandle.current().pid());
        return onInterrupt(() -> {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(abs.getParent(), prefix + "*")) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    if (n.contains(".tmp") && n.contains(pid)) {
                        Files.deleteIfExists(p);
                    }
                }
            } catch (IOException ignored) {
                // best effort
            }
        });
    }

    /**
     * Runs {@code work}, a generation, marked as native; the first SIGINT meanwhile runs
     * {@code cancelWork} instead of ending the process.
     */
    static <T> T cancellable(Runnable cancelWork, Supplier<T> work) {
        cancel = cancelWork;
        try {
            return nativeCall(work);
        } finally {
            cancel = null;
        }
    }

    /** Runs {@code work}, which calls into sd.cpp, marked as native for the SIGINT handler. */
    static <T> T nativeCall(Supplier<T> work) {
        IN_NATIVE.incrementAndGet();
        try {
            return work.get();
        } finally {
            IN_NATIVE.decrementAndGet();
        }
    }

    private static void hardExit(int code) {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle exit = linker.downcallHandle(linker.defaultLookup().find("_exit").orElseThrow(),
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
            exit.invokeExact(code);
        } catch (Throwable t) {
            Runtime.getRuntime().halt(code);
        }
    }
}
