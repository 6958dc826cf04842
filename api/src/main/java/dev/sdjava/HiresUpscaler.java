package dev.sdjava;

/**
 * How the first pass of a high-resolution fix is enlarged (sd.cpp's {@code sd_hires_upscaler_t}).
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use; {@link #fromSdName(String)}
 * parses it. Neither loads the native library (a test checks the names against sd.cpp's own).
 */
public enum HiresUpscaler {
    /** {@code SD_HIRES_UPSCALER_NONE} */
    NONE(0, "None"),
    /** {@code SD_HIRES_UPSCALER_LATENT} */
    LATENT(1, "Latent"),
    /** {@code SD_HIRES_UPSCALER_LATENT_NEAREST} */
    LATENT_NEAREST(2, "Latent (nearest)"),
    /** {@code SD_HIRES_UPSCALER_LATENT_NEAREST_EXACT} */
    LATENT_NEAREST_EXACT(3, "Latent (nearest-exact)"),
    /** {@code SD_HIRES_UPSCALER_LATENT_ANTIALIASED} */
    LATENT_ANTIALIASED(4, "Latent (antialiased)"),
    /** {@code SD_HIRES_UPSCALER_LATENT_BICUBIC} */
    LATENT_BICUBIC(5, "Latent (bicubic)"),
    /** {@code SD_HIRES_UPSCALER_LATENT_BICUBIC_ANTIALIASED} */
    LATENT_BICUBIC_ANTIALIASED(6, "Latent (bicubic antialiased)"),
    /** {@code SD_HIRES_UPSCALER_LANCZOS} */
    LANCZOS(7, "Lanczos"),
    /** {@code SD_HIRES_UPSCALER_NEAREST} */
    NEAREST(8, "Nearest"),
    /** {@code SD_HIRES_UPSCALER_MODEL} */
    MODEL(9, "Model");

    private final int value;
    private final String sdName;

    HiresUpscaler(int value, String sdName) {
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
    public static HiresUpscaler fromSdName(String name) {
        return CEnums.parse(HiresUpscaler.class, values(), HiresUpscaler::sdName, name);
    }
}
