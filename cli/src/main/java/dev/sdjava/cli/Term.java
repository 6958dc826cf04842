package dev.sdjava.cli;

import java.io.PrintWriter;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * sdj's stderr: progress bars and log lines share it, so both go through here. On a terminal a
 * bar is redrawn in place with {@code \r} and a log line first wipes the bar, then the bar is
 * drawn again below it; elsewhere (a pipe, a file, a test's StringWriter) everything is plain
 * lines. Thread-safe: sd.cpp logs from its own threads.
 */
final class Term {
    private final PrintWriter err;
    private final boolean interactive;
    private final boolean quiet;
    /** The bar on screen (interactive only), or null. */
    private String shown;

    Term(PrintWriter err, boolean interactive, boolean quiet) {
        this.err = err;
        this.interactive = interactive;
        this.quiet = quiet;
    }

    /** Whether bars are drawn in place. */
    boolean interactive() {
        return interactive;
    }

    /** Whether progress and notes are silenced ({@code -q}). */
    boolean quiet() {
        return quiet;
    }

    /** Draws {@code text} as the current bar (in place) or, when not interactive, as a line. */
    synchronized void bar(String text) {
        if (quiet) {
            return;
        }
        if (!interactive) {
            err.println(text);
            err.flush();
            return;
        }
        int pad = shown == null ? 0 : Math.max(0, shown.length() - text.length());
        err.print("\r" + text + " ".repeat(pad));
        err.flush();
        shown = text;
    }

    /** Leaves the current bar on screen as a finished line. */
    synchronized void endBar() {
        if (shown != null) {
            err.println();
            err.flush();
            shown = null;
        }
    }

    /** A note for the user (hidden by {@code -q}). */
    void note(String text) {
        if (!quiet) {
            line(text);
        }
    }

    /** A line that is always shown (errors, log lines the user asked for). */
    synchronized void line(String text) {
        if (shown != null) {
            err.print("\r" + " ".repeat(shown.length()) + "\r");
        }
        err.println(text);
        if (shown != null) {
            err.print(shown);
        }
        err.flush();
    }

    /** Whether this process's stderr (fd 2) is a terminal, asked of the C library. */
    static boolean stderrIsTerminal() {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle isatty = linker.downcallHandle(linker.defaultLookup().find("isatty").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            return (int) isatty.invokeExact(2) == 1;
        } catch (Throwable t) {
            var console = System.console();
            return console != null && console.isTerminal();
        }
    }
}
