package dev.sdjava.cli;

import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Routes sdjava's {@link System.Logger}s ({@code dev.sdjava}, and sd.cpp's own lines on
 * {@code dev.sdjava.native}) to sdj's stderr at the detail the user asked for:
 * <ul>
 *   <li>{@code -q}: nothing;</li>
 *   <li>default: sd.cpp's warnings (its errors are folded into sdj's one-line error instead);</li>
 *   <li>{@code -v}: also sd.cpp's info lines (which the API logs at DEBUG), its errors, and which native library was loaded;</li>
 *   <li>{@code -vv}: everything, sd.cpp's debug lines and sdjava's own (library loading).</li>
 * </ul>
 * System.Logger is backed by java.util.logging here, so the levels are set there.
 */
final class Logs {
    /** Held strongly: java.util.logging keeps loggers only weakly. */
    private static final Logger SDJAVA = Logger.getLogger("dev.sdjava");
    private static final Logger NATIVE = Logger.getLogger("dev.sdjava.native");
    private static Handler handler;

    private Logs() {
    }

    static synchronized void configure(int verbosity, boolean quiet, Term term) {
        if (handler != null) {
            SDJAVA.removeHandler(handler);
        }
        Level nativeLevel = quiet ? Level.OFF : verbosity <= 0 ? Level.WARNING : verbosity == 1 ? Level.FINE : Level.ALL;
        Level ownLevel = quiet ? Level.OFF : verbosity <= 0 ? Level.WARNING : verbosity == 1 ? Level.INFO : Level.ALL;
        handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (!isLoggable(r)) {
                    return;
                }
                boolean fromNative = NATIVE.getName().equals(r.getLoggerName());
                if (fromNative && verbosity <= 0 && r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    return; // reported in the failure line
                }
                String msg = getFormatter().formatMessage(r);
                term.line("[" + (fromNative ? "sd.cpp" : "sdjava") + " " + name(r.getLevel()) + "] " + msg);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        handler.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                return formatMessage(r);
            }
        });
        handler.setLevel(Level.ALL);
        SDJAVA.setUseParentHandlers(false);
        SDJAVA.addHandler(handler);
        SDJAVA.setLevel(ownLevel);
        NATIVE.setLevel(nativeLevel);
    }

    private static String name(Level l) {
        int v = l.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (v >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (v >= Level.FINE.intValue()) {
            return "INFO";
        }
        return "DEBUG";
    }
}
