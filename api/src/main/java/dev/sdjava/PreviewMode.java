package dev.sdjava;

/**
 * How preview images are made during sampling (sd.cpp's {@code preview_t}).
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use; {@link #fromSdName(String)}
 * parses it. Neither loads the native library (a test checks the names against sd.cpp's own).
 */
public enum PreviewMode {
    /** {@code PREVIEW_NONE} */
    NONE(0, "none"),
    /** {@code PREVIEW_PROJ} */
    PROJ(1, "proj"),
    /** {@code PREVIEW_TAE} */
    TAE(2, "tae"),
    /** {@code PREVIEW_VAE} */
    VAE(3, "vae");

    private final int value;
    private final String sdName;

    PreviewMode(int value, String sdName) {
        this.value = value;
        this.sdName = sdName;
    }

    /** The C enum's value. */
    int value() {
        return value;
    }

    /** The name sd.cpp uses for this value, e.g. on its command line. */
    public String sdName() {
        return sdName;
    }

    /**
     * Parses sd.cpp's name for a value (as {@link #sdName()} returns it).
     *
     * @throws IllegalArgumentException if sd.cpp does not know the name; the message lists the known ones
     */
    public static PreviewMode fromSdName(String name) {
        return CEnums.parse(PreviewMode.class, values(), PreviewMode::sdName, name);
    }
}
