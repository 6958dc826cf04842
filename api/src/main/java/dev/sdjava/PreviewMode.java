package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;

/**
 * How preview images are made during sampling (sd.cpp's {@code preview_t}).
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use (from {@code sd_preview_name}); {@link #fromSdName(String)}
 * parses it (through {@code str_to_preview}). Both call into the native library.
 */
public enum PreviewMode implements NativeEnum {
    /** {@code PREVIEW_NONE} */
    NONE(SdCpp.PREVIEW_NONE()),
    /** {@code PREVIEW_PROJ} */
    PROJ(SdCpp.PREVIEW_PROJ()),
    /** {@code PREVIEW_TAE} */
    TAE(SdCpp.PREVIEW_TAE()),
    /** {@code PREVIEW_VAE} */
    VAE(SdCpp.PREVIEW_VAE());

    private final int value;

    PreviewMode(int value) {
        this.value = value;
    }

    @Override
    public int value() {
        return value;
    }

    /** The name sd.cpp uses for this value, e.g. on its command line. */
    public String sdName() {
        return NativeEnum.name(SdCpp::sd_preview_name, value);
    }

    /**
     * Parses sd.cpp's name for a value (as {@link #sdName()} returns it).
     *
     * @throws IllegalArgumentException if sd.cpp does not know the name; the message lists the known ones
     */
    public static PreviewMode fromSdName(String name) {
        return NativeEnum.parse(PreviewMode.class, SdCpp::str_to_preview, name);
    }
}
