package dev.sdjava;

import java.util.List;

/**
 * A failure inside stable-diffusion.cpp or in reaching it: the library could not be loaded, a
 * model could not be loaded, a generation produced nothing. Bad arguments are reported as
 * {@link IllegalArgumentException} before any native call, never as this exception.
 *
 * <p>Carries a {@link Kind} and the last error and warning lines sd.cpp logged on the calling
 * thread during the failed call, which usually say why.
 */
public class StableDiffusionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What failed. */
    public enum Kind {
        /** The native library was not found anywhere the loader looked. */
        LIBRARY_NOT_FOUND,
        /** The native library was found but could not be loaded (wrong platform, missing dependency). */
        LIBRARY_LOAD_FAILED,
        /** A model file is missing, unreadable or not a model sd.cpp accepts. */
        MODEL_LOAD_FAILED,
        /** sd.cpp returned no image. */
        GENERATION_FAILED,
        /** The upscaler returned no image. */
        UPSCALE_FAILED,
        /** Model conversion failed. */
        CONVERSION_FAILED,
        /** The isolated worker process died (native abort or crash). */
        WORKER_CRASHED
    }

    private final Kind kind;
    private final transient List<String> nativeLog;

    public StableDiffusionException(Kind kind, String message) {
        this(kind, message, List.of(), null);
    }

    public StableDiffusionException(Kind kind, String message, Throwable cause) {
        this(kind, message, List.of(), cause);
    }

    public StableDiffusionException(Kind kind, String message, List<String> nativeLog, Throwable cause) {
        super(message + (nativeLog.isEmpty() ? "" : "\nsd.cpp said:\n  " + String.join("\n  ", nativeLog)), cause);
        this.kind = kind;
        this.nativeLog = List.copyOf(nativeLog);
    }

    /** What failed. */
    public Kind kind() {
        return kind;
    }

    /** The warning and error lines sd.cpp logged during the failed call (may be empty). */
    public List<String> nativeLog() {
        return nativeLog;
    }
}
