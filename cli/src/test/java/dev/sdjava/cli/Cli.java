package dev.sdjava.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Runs {@code sdj} in this JVM through picocli with captured stdout and stderr. */
record Cli(int code, String out, String err) {
    static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Sdj.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Cli(code, out.toString(), err.toString());
    }

    /** Asserts the exit code, and for failures that stderr ends with exactly one error line and no stack trace. */
    Cli expect(int expected) {
        assertEquals(expected, code, () -> "exit code; stdout:\n" + out + "\nstderr:\n" + err);
        if (expected != 0) {
            assertFalse(err.contains("\tat "), () -> "stack trace without -v:\n" + err);
            assertEquals(1, errorLines(), () -> "one error line expected:\n" + err);
        }
        return this;
    }

    long errorLines() {
        return err.lines().filter(l -> l.startsWith("sdj")).count();
    }

    /** The last line of stderr. */
    String lastErr() {
        return err.strip().lines().reduce((a, b) -> b).orElse("");
    }
}
