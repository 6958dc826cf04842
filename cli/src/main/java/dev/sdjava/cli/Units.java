package dev.sdjava.cli;

import java.util.Locale;

/** How sdj writes sizes, counts and times. */
final class Units {
    private Units() {
    }

    /** "2.13 GB", "4.5 MB", "812 B" (decimal units, as file managers show them). */
    static String bytes(long b) {
        return scaled(b, " GB", " MB", " kB", " B");
    }

    /** "1.07 B", "3.2 M", "950" (a parameter count). */
    static String count(long n) {
        return scaled(n, " B", " M", " k", "");
    }

    private static String scaled(long n, String giga, String mega, String kilo, String one) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.2f%s", n / 1e9, giga);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1f%s", n / 1e6, mega);
        }
        if (n >= 1000) {
            return String.format(Locale.ROOT, "%.1f%s", n / 1e3, kilo);
        }
        return n + one;
    }

    /** Seconds since {@code startNanos} ({@link System#nanoTime()}). */
    static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** {@code seconds} to the millisecond, for {@code --json}. */
    static double rounded(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }
}
