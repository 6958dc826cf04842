package dev.sdjava;

import java.nio.file.Path;

/**
 * A model file that sdjava refuses to hand to stable-diffusion.cpp: missing, unreadable, not a
 * model format sd.cpp reads, or with a header that is malformed, truncated or inconsistent with
 * the file (see {@link ModelFile#read(Path)}). Thrown before any native call.
 *
 * <p>An {@link IllegalArgumentException}, like every other bad argument of the API; the message
 * names the argument (when known), the file and the reason.
 */
public class InvalidModelFileException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String argument;
    private final String reason;

    /**
     * @param argument the API argument the file was given as ("model", "vae", "LoRA file"...), or null
     * @param file     the file
     * @param reason   why it is refused, one short sentence without the file name
     */
    public InvalidModelFileException(String argument, Path file, String reason) {
        this(argument, file, reason, null);
    }

    /** As {@link #InvalidModelFileException(String, Path, String)}, with the I/O error that caused it. */
    public InvalidModelFileException(String argument, Path file, String reason, Throwable cause) {
        super((argument == null ? "" : argument + ": ") + "invalid model file " + file + ": " + reason, cause);
        this.file = file;
        this.argument = argument;
        this.reason = reason;
    }

    /** The file that was refused. */
    public Path file() {
        return file;
    }

    /** The API argument the file was given as, or null when read directly with {@link ModelFile#read(Path)}. */
    public String argument() {
        return argument;
    }

    /** Why the file was refused, without the file name. */
    public String reason() {
        return reason;
    }

    /** The same failure, attributed to an API argument. */
    InvalidModelFileException as(String argument) {
        InvalidModelFileException e = new InvalidModelFileException(argument, file, reason, getCause());
        e.setStackTrace(getStackTrace());
        return e;
    }
}
