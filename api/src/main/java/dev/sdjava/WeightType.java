package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;

/**
 * A tensor weight type (sd.cpp's {@code sd_type_t}, the same numbers as ggml's types): the type models are converted to, or loaded as.
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use (from {@code sd_type_name}); {@link #fromSdName(String)}
 * parses it (through {@code str_to_sd_type}). Both call into the native library.
 */
public enum WeightType implements NativeEnum {
    /** {@code SD_TYPE_F32} */
    F32(SdCpp.SD_TYPE_F32()),
    /** {@code SD_TYPE_F16} */
    F16(SdCpp.SD_TYPE_F16()),
    /** {@code SD_TYPE_Q4_0} */
    Q4_0(SdCpp.SD_TYPE_Q4_0()),
    /** {@code SD_TYPE_Q4_1} */
    Q4_1(SdCpp.SD_TYPE_Q4_1()),
    /** {@code SD_TYPE_Q5_0} */
    Q5_0(SdCpp.SD_TYPE_Q5_0()),
    /** {@code SD_TYPE_Q5_1} */
    Q5_1(SdCpp.SD_TYPE_Q5_1()),
    /** {@code SD_TYPE_Q8_0} */
    Q8_0(SdCpp.SD_TYPE_Q8_0()),
    /** {@code SD_TYPE_Q8_1} */
    Q8_1(SdCpp.SD_TYPE_Q8_1()),
    /** {@code SD_TYPE_Q2_K} */
    Q2_K(SdCpp.SD_TYPE_Q2_K()),
    /** {@code SD_TYPE_Q3_K} */
    Q3_K(SdCpp.SD_TYPE_Q3_K()),
    /** {@code SD_TYPE_Q4_K} */
    Q4_K(SdCpp.SD_TYPE_Q4_K()),
    /** {@code SD_TYPE_Q5_K} */
    Q5_K(SdCpp.SD_TYPE_Q5_K()),
    /** {@code SD_TYPE_Q6_K} */
    Q6_K(SdCpp.SD_TYPE_Q6_K()),
    /** {@code SD_TYPE_Q8_K} */
    Q8_K(SdCpp.SD_TYPE_Q8_K()),
    /** {@code SD_TYPE_IQ2_XXS} */
    IQ2_XXS(SdCpp.SD_TYPE_IQ2_XXS()),
    /** {@code SD_TYPE_IQ2_XS} */
    IQ2_XS(SdCpp.SD_TYPE_IQ2_XS()),
    /** {@code SD_TYPE_IQ3_XXS} */
    IQ3_XXS(SdCpp.SD_TYPE_IQ3_XXS()),
    /** {@code SD_TYPE_IQ1_S} */
    IQ1_S(SdCpp.SD_TYPE_IQ1_S()),
    /** {@code SD_TYPE_IQ4_NL} */
    IQ4_NL(SdCpp.SD_TYPE_IQ4_NL()),
    /** {@code SD_TYPE_IQ3_S} */
    IQ3_S(SdCpp.SD_TYPE_IQ3_S()),
    /** {@code SD_TYPE_IQ2_S} */
    IQ2_S(SdCpp.SD_TYPE_IQ2_S()),
    /** {@code SD_TYPE_IQ4_XS} */
    IQ4_XS(SdCpp.SD_TYPE_IQ4_XS()),
    /** {@code SD_TYPE_I8} */
    I8(SdCpp.SD_TYPE_I8()),
    /** {@code SD_TYPE_I16} */
    I16(SdCpp.SD_TYPE_I16()),
    /** {@code SD_TYPE_I32} */
    I32(SdCpp.SD_TYPE_I32()),
    /** {@code SD_TYPE_I64} */
    I64(SdCpp.SD_TYPE_I64()),
    /** {@code SD_TYPE_F64} */
    F64(SdCpp.SD_TYPE_F64()),
    /** {@code SD_TYPE_IQ1_M} */
    IQ1_M(SdCpp.SD_TYPE_IQ1_M()),
    /** {@code SD_TYPE_BF16} */
    BF16(SdCpp.SD_TYPE_BF16()),
    /** {@code SD_TYPE_TQ1_0} */
    TQ1_0(SdCpp.SD_TYPE_TQ1_0()),
    /** {@code SD_TYPE_TQ2_0} */
    TQ2_0(SdCpp.SD_TYPE_TQ2_0()),
    /** {@code SD_TYPE_MXFP4} */
    MXFP4(SdCpp.SD_TYPE_MXFP4()),
    /** {@code SD_TYPE_NVFP4} */
    NVFP4(SdCpp.SD_TYPE_NVFP4());

    private final int value;

    WeightType(int value) {
        this.value = value;
    }

    @Override
    public int value() {
        return value;
    }

    /** The name sd.cpp uses for this value, e.g. on its command line. */
    public String sdName() {
        return NativeEnum.name(SdCpp::sd_type_name, value);
    }

    /**
     * Parses sd.cpp's name for a value (as {@link #sdName()} returns it).
     *
     * @throws IllegalArgumentException if sd.cpp does not know the name; the message lists the known ones
     */
    public static WeightType fromSdName(String name) {
        return NativeEnum.parse(WeightType.class, SdCpp::str_to_sd_type, name);
    }
}
