package dev.sdjava.cli;

import dev.sdjava.ProgressListener;

import java.util.Locale;

/**
 * Shows sd.cpp's progress events (tensor loading, sampling steps, VAE tiles) on a {@link Term}:
 * {@code label [#####     ] n/N  x.xx s/step  ETA 12s}, in place on a terminal, as plain lines
 * elsewhere (every sampling step; loading only at each quarter, it reports a thousand tensors).
 *
 * <p>sd.cpp announces each phase with step 0; a phase whose length is {@code expectedSteps} is
 * labelled {@code label} (numbered when a batch has several), others "working".
 */
final class Progress implements ProgressListener {
    private static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final Term term;
    private final String label;
    private final String unit;
    private final int expectedSteps;
    private final int batch;
    private int phases;
    private String phaseLabel;
    private String phaseUnit;
    private int lastStep = -1;
    private int lastTotal = -1;
    private int lastQuarter = -1;
    private long lastDraw;

    /**
     * @param label         the name of the expected phase ("loading", "sampling")
     * @param unit          what a step is ("tensors", "steps")
     * @param expectedSteps the length of the expected phase, or 0 for any
     * @param batch         how many such phases to number (1: no numbers)
     */
    Progress(Term term, String label, String unit, int expectedSteps, int batch) {
        this.term = term;
        this.label = label;
        this.unit = unit;
        this.expectedSteps = expectedSteps;
        this.batch = batch;
    }

    @Override
    public synchronized void onProgress(int step, int steps, double secondsPerStep) {
        if (term.quiet() || steps <= 0) {
            return;
        }
        if (step == 0 || step < lastStep || steps != lastTotal) {
            startPhase(steps);
            if (step == 0) {
                // On a terminal show the phase at once: the first step can take long (text encoding).
                if (term.interactive()) {
                    lastDraw = System.nanoTime();
                    term.bar(render(0, steps, 0));
                }
                return;
            }
        }
        lastStep = step;
        boolean done = step >= steps;
        if (term.interactive()) {
            long now = System.nanoTime();
            if (done || now - lastDraw >= REDRAW_NANOS) {
                lastDraw = now;
                term.bar(render(step, steps, secondsPerStep));
            }
            if (done) {
                term.endBar();
            }
        } else {
            // Many-step phases (loading ~1000 tensors) print at each quarter; short ones every step.
            int quarter = (int) (4L * step / steps);
            if (steps <= 100 || done || quarter != lastQuarter) {
                lastQuarter = quarter;
                term.bar(render(step, steps, secondsPerStep));
            }
        }
    }

    private void startPhase(int steps) {
        term.endBar();
        lastTotal = steps;
        lastStep = 0;
        lastQuarter = -1;
        lastDraw = 0;
        if (expectedSteps == 0 || steps == expectedSteps) {
            phases++;
            phaseLabel = batch > 1 ? label + " " + Math.min(phases, batch) + "/" + batch : label;
            phaseUnit = unit;
        } else {
            phaseLabel = "working"; // VAE tiles, a hires upscaler's tensors...
            phaseUnit = "";
        }
    }

    /** Ends a bar left open (a phase that stopped early). */
    synchronized void finish() {
        term.endBar();
    }

    String render(int step, int steps, double secondsPerStep) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%-11s ", phaseLabel == null ? label : phaseLabel));
        if (term.interactive()) {
            int filled = (int) ((long) WIDTH * step / steps);
            s.append('[').append("#".repeat(filled)).append(" ".repeat(WIDTH - filled)).append("] ");
        }
        String u = phaseUnit == null ? unit : phaseUnit;
        s.append(step).append('/').append(steps);
        if (!u.isEmpty()) {
            s.append(' ').append(u);
        }
        if (secondsPerStep > 0 && Double.isFinite(secondsPerStep)) {
            if ("steps".equals(u)) {
                s.append(String.format(Locale.ROOT, "  %.2f s/step", secondsPerStep));
            }
            if (step < steps) {
                s.append("  ETA ").append(duration((steps - step) * secondsPerStep));
            }
        }
        return s.toString();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        return s / 60 + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
    }
}
