package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;

/**
 * A step cache (sd.cpp's {@code sd_cache_mode_t}): reuses work between sampling steps to trade
 * a little quality for speed. {@link #DISABLED} by default.
 */
public enum CacheMode implements NativeEnum {
    /** No caching (default). */
    DISABLED(SdCpp.SD_CACHE_DISABLED()),
    /** EasyCache. */
    EASYCACHE(SdCpp.SD_CACHE_EASYCACHE()),
    /** UCache (UNet models). */
    UCACHE(SdCpp.SD_CACHE_UCACHE()),
    /** DBCache. */
    DBCACHE(SdCpp.SD_CACHE_DBCACHE()),
    /** TaylorSeer. */
    TAYLORSEER(SdCpp.SD_CACHE_TAYLORSEER()),
    /** Cache-DiT. */
    CACHE_DIT(SdCpp.SD_CACHE_CACHE_DIT()),
    /** Spectrum. */
    SPECTRUM(SdCpp.SD_CACHE_SPECTRUM());

    private final int value;

    CacheMode(int value) {
        this.value = value;
    }

    @Override
    public int value() {
        return value;
    }
}
