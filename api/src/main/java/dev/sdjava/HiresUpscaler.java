package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;

/**
 * How the first pass of a high-resolution fix is enlarged (sd.cpp's {@code sd_hires_upscaler_t}).
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use (from {@code sd_hires_upscaler_name}); {@link #fromSdName(String)}
 * parses it (through {@code str_to_sd_hires_upscaler}). Both call into the native library.
 */
public enum HiresUpscaler implements NativeEnum {
    /** {@code SD_HIRES_UPSCALER_NONE} */
    NONE(SdCpp.SD_HIRES_UPSCALER_NONE()),
    /** {@code SD_HIRES_UPSCALER_LATENT} */
    LATENT(SdCpp.SD_HIRES_UPSCALER_LATENT()),
    /** {@code SD_HIRES_UPSCALER_LATENT_NEAREST} */
    LATENT_NEAREST(SdCpp.SD_HIRES_UPSCALER_LATENT_NEAREST()),
    /** {@code SD_HIRES_UPSCALER_LATENT_NEAREST_EXACT} */
    LATENT_NEAREST_EXACT(SdCpp.SD_HIRES_UPSCALER_LATENT_NEAREST_EXACT()),
    /** {@code SD_HIRES_UPSCALER_LATENT_ANTIALIASED} */
    LATENT_ANTIALIASED(SdCpp.SD_HIRES_UPSCALER_LATENT_ANTIALIASED()),
    /** {@code SD_HIRES_UPSCALER_LATENT_BICUBIC} */
    LATENT_BICUBIC(SdCpp.SD_HIRES_UPSCALER_LATENT_BICUBIC()),
    /** {@code SD_HIRES_UPSCALER_LATENT_BICUBIC_ANTIALIASED} */
    LATENT_BICUBIC_ANTIALIASED(SdCpp.SD_HIRES_UPSCALER_LATENT_BICUBIC_ANTIALIASED()),
    /** {@code SD_HIRES_UPSCALER_LANCZOS} */
    LANCZOS(SdCpp.SD_HIRES_UPSCALER_LANCZOS()),
    /** {@code SD_HIRES_UPSCALER_NEAREST} */
    NEAREST(SdCpp.SD_HIRES_UPSCALER_NEAREST()),
    /** {@code SD_HIRES_UPSCALER_MODEL} */
    MODEL(SdCpp.SD_HIRES_UPSCALER_MODEL());

    private final int value;

    HiresUpscaler(int value) {
        this.value = value;
    }

    @Override
    public int value() {
        return value;
    }

    /** The name sd.cpp uses for this value, e.g. on its command line. */
    public String sdName() {
        return NativeEnum.name(SdCpp::sd_hires_upscaler_name, value);
    }

    /**
     * Parses sd.cpp's name for a value (as {@link #sdName()} returns it).
     *
     * @throws IllegalArgumentException if sd.cpp does not know the name; the message lists the known ones
     */
    public static HiresUpscaler fromSdName(String name) {
        return NativeEnum.parse(HiresUpscaler.class, SdCpp::str_to_sd_hires_upscaler, name);
    }
}
