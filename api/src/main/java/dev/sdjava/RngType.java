package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;

/**
 * A random number generator for the initial noise (sd.cpp's {@code rng_type_t}). {@code CUDA} reproduces GPU-generated images of other tools on any backend.
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use (from {@code sd_rng_type_name}); {@link #fromSdName(String)}
 * parses it (through {@code str_to_rng_type}). Both call into the native library.
 */
public enum RngType implements NativeEnum {
    /** {@code STD_DEFAULT_RNG} */
    STD_DEFAULT(SdCpp.STD_DEFAULT_RNG()),
    /** {@code CUDA_RNG} */
    CUDA(SdCpp.CUDA_RNG()),
    /** {@code CPU_RNG} */
    CPU(SdCpp.CPU_RNG());

    private final int value;

    RngType(int value) {
        this.value = value;
    }

    @Override
    public int value() {
        return value;
    }

    /** The name sd.cpp uses for this value, e.g. on its command line. */
    public String sdName() {
        return NativeEnum.name(SdCpp::sd_rng_type_name, value);
    }

    /**
     * Parses sd.cpp's name for a value (as {@link #sdName()} returns it).
     *
     * @throws IllegalArgumentException if sd.cpp does not know the name; the message lists the known ones
     */
    public static RngType fromSdName(String name) {
        return NativeEnum.parse(RngType.class, SdCpp::str_to_rng_type, name);
    }
}
