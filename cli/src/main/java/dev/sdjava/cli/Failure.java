package dev.sdjava.cli;

/**
 * A failure a command reports as one line on stderr and an exit code (see {@link Sdj} for the
 * codes). Thrown by commands; turned into output by {@link Sdj}'s exception handler.
 */
final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Exit code: a usage error (bad option value, missing option). */
    static final int USAGE = 2;
    /** Exit code: an input file is missing or unreadable. */
    static final int INPUT = 3;
    /** Exit code: a model could not be loaded. */
    static final int MODEL_LOAD = 4;
    /** Exit code: generation (or upscaling, conversion) failed. */
    static final int GENERATION = 5;
    /** Exit code: interrupted (Ctrl-C). */
    static final int INTERRUPTED = 130;
    /** Exit code: any other failure (e.g. a file that could not be written). */
    static final int OTHER = 1;

    private final int exitCode;

    Failure(int exitCode, String message) {
        this(exitCode, message, null);
    }

    Failure(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
