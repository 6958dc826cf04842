package dev.sdjava;

/**
 * A tensor weight type (sd.cpp's {@code sd_type_t}, the same numbers as ggml's types): the type models are converted to, or loaded as.
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use; {@link #fromSdName(String)}
 * parses it. Neither loads the native library (a test checks the names against sd.cpp's own).
 */
public enum WeightType {
    /** {@code SD_TYPE_F32} */
    F32(0, "f32"),
    /** {@code SD_TYPE_F16} */
    F16(1, "f16"),
    /** {@code SD_TYPE_Q4_0} */
    Q4_0(2, "q4_0"),
    /** {@code SD_TYPE_Q4_1} */
    Q4_1(3, "q4_1"),
    /** {@code SD_TYPE_Q5_0} */
    Q5_0(6, "q5_0"),
    /** {@code SD_TYPE_Q5_1} */
    Q5_1(7, "q5_1"),
    /** {@code SD_TYPE_Q8_0} */
    Q8_0(8, "q8_0"),
    /** {@code SD_TYPE_Q8_1} */
    Q8_1(9, "q8_1"),
    /** {@code SD_TYPE_Q2_K} */
    Q2_K(10, "q2_K"),
    /** {@code SD_TYPE_Q3_K} */
    Q3_K(11, "q3_K"),
    /** {@code SD_TYPE_Q4_K} */
    Q4_K(12, "q4_K"),
    /** {@code SD_TYPE_Q5_K} */
    Q5_K(13, "q5_K"),
    /** {@code SD_TYPE_Q6_K} */
    Q6_K(14, "q6_K"),
    /** {@code SD_TYPE_Q8_K} */
    Q8_K(15, "q8_K"),
    /** {@code SD_TYPE_IQ2_XXS} */
    IQ2_XXS(16, "iq2_xxs"),
    /** {@code SD_TYPE_IQ2_XS} */
    IQ2_XS(17, "iq2_xs"),
    /** {@code SD_TYPE_IQ3_XXS} */
    IQ3_XXS(18, "iq3_xxs"),
    /** {@code SD_TYPE_IQ1_S} */
    IQ1_S(19, "iq1_s"),
    /** {@code SD_TYPE_IQ4_NL} */
    IQ4_NL(20, "iq4_nl"),
    /** {@code SD_TYPE_IQ3_S} */
    IQ3_S(21, "iq3_s"),
    /** {@code SD_TYPE_IQ2_S} */
    IQ2_S(22, "iq2_s"),
    /** {@code SD_TYPE_IQ4_XS} */
    IQ4_XS(23, "iq4_xs"),
    /** {@code SD_TYPE_I8} */
    I8(24, "i8"),
    /** {@code SD_TYPE_I16} */
    I16(25, "i16"),
    /** {@code SD_TYPE_I32} */
    I32(26, "i32"),
    /** {@code SD_TYPE_I64} */
    I64(27, "i64"),
    /** {@code SD_TYPE_F64} */
    F64(28, "f64"),
    /** {@code SD_TYPE_IQ1_M} */
    IQ1_M(29, "iq1_m"),
    /** {@code SD_TYPE_BF16} */
    BF16(30, "bf16"),
    /** {@code SD_TYPE_TQ1_0} */
    TQ1_0(34, "tq1_0"),
    /** {@code SD_TYPE_TQ2_0} */
    TQ2_0(35, "tq2_0"),
    /** {@code SD_TYPE_MXFP4} */
    MXFP4(39, "mxfp4"),
    /** {@code SD_TYPE_NVFP4} */
    NVFP4(40, "nvfp4");

    private final int value;
    private final String sdName;

    WeightType(int value, String sdName) {
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
    public static WeightType fromSdName(String name) {
        return CEnums.parse(WeightType.class, values(), WeightType::sdName, name);
    }
}
