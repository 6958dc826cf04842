package dev.sdjava;

/**
 * A step cache (sd.cpp's {@code sd_cache_mode_t}): reuses work between sampling steps to trade
 * a little quality for speed. {@link #DISABLED} by default.
 */
public enum CacheMode {
    /** No caching (default). */
    DISABLED(0),
    /** EasyCache. */
    EASYCACHE(1),
    /** UCache (UNet models). */
    UCACHE(2),
    /** DBCache. */
    DBCACHE(3),
    /** TaylorSeer. */
    TAYLORSEER(4),
    /** Cache-DiT. */
    CACHE_DIT(5),
    /** Spectrum. */
    SPECTRUM(6);

    private final int value;

    CacheMode(int value) {
        this.value = value;
    }

    /** The C enum's value. */
    int value() {
        return value;
    }
}
