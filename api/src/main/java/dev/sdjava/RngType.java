package dev.sdjava;

/**
 * A random number generator for the initial noise (sd.cpp's {@code rng_type_t}). {@code CUDA} reproduces GPU-generated images of other tools on any backend.
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use; {@link #fromSdName(String)}
 * parses it. Neither loads the native library (a test checks the names against sd.cpp's own).
 */
public enum RngType {
    /** {@code STD_DEFAULT_RNG} */
    STD_DEFAULT(0, "std_default"),
    /** {@code CUDA_RNG} */
    CUDA(1, "cuda"),
    /** {@code CPU_RNG} */
    CPU(2, "cpu");

    private final int value;
    private final String sdName;

    RngType(int value, String sdName) {
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
    public static RngType fromSdName(String name) {
        return CEnums.parse(RngType.class, values(), RngType::sdName, name);
    }
}
