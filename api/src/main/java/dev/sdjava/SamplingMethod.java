package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;

/**
 * A sampler (sd.cpp's {@code sample_method_t}): how each denoising step moves the latent.
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use (from {@code sd_sample_method_name}); {@link #fromSdName(String)}
 * parses it (through {@code str_to_sample_method}). Both call into the native library.
 */
public enum SamplingMethod implements NativeEnum {
    /** {@code EULER_SAMPLE_METHOD} */
    EULER(SdCpp.EULER_SAMPLE_METHOD()),
    /** {@code EULER_A_SAMPLE_METHOD} */
    EULER_A(SdCpp.EULER_A_SAMPLE_METHOD()),
    /** {@code HEUN_SAMPLE_METHOD} */
    HEUN(SdCpp.HEUN_SAMPLE_METHOD()),
    /** {@code DPM2_SAMPLE_METHOD} */
    DPM2(SdCpp.DPM2_SAMPLE_METHOD()),
    /** {@code DPMPP2S_A_SAMPLE_METHOD} */
    DPMPP_2S_A(SdCpp.DPMPP2S_A_SAMPLE_METHOD()),
    /** {@code DPMPP2M_SAMPLE_METHOD} */
    DPMPP_2M(SdCpp.DPMPP2M_SAMPLE_METHOD()),
    /** {@code DPMPP2Mv2_SAMPLE_METHOD} */
    DPMPP_2M_V2(SdCpp.DPMPP2Mv2_SAMPLE_METHOD()),
    /** {@code IPNDM_SAMPLE_METHOD} */
    IPNDM(SdCpp.IPNDM_SAMPLE_METHOD()),
    /** {@code IPNDM_V_SAMPLE_METHOD} */
    IPNDM_V(SdCpp.IPNDM_V_SAMPLE_METHOD()),
    /** {@code LCM_SAMPLE_METHOD} */
    LCM(SdCpp.LCM_SAMPLE_METHOD()),
    /** {@code DDIM_TRAILING_SAMPLE_METHOD} */
    DDIM_TRAILING(SdCpp.DDIM_TRAILING_SAMPLE_METHOD()),
    /** {@code TCD_SAMPLE_METHOD} */
    TCD(SdCpp.TCD_SAMPLE_METHOD()),
    /** {@code RES_MULTISTEP_SAMPLE_METHOD} */
    RES_MULTISTEP(SdCpp.RES_MULTISTEP_SAMPLE_METHOD()),
    /** {@code RES_2S_SAMPLE_METHOD} */
    RES_2S(SdCpp.RES_2S_SAMPLE_METHOD()),
    /** {@code ER_SDE_SAMPLE_METHOD} */
    ER_SDE(SdCpp.ER_SDE_SAMPLE_METHOD());

    private final int value;

    SamplingMethod(int value) {
        this.value = value;
    }

    @Override
    public int value() {
        return value;
    }

    /** The name sd.cpp uses for this value, e.g. on its command line. */
    public String sdName() {
        return NativeEnum.name(SdCpp::sd_sample_method_name, value);
    }

    /**
     * Parses sd.cpp's name for a value (as {@link #sdName()} returns it).
     *
     * @throws IllegalArgumentException if sd.cpp does not know the name; the message lists the known ones
     */
    public static SamplingMethod fromSdName(String name) {
        return NativeEnum.parse(SamplingMethod.class, SdCpp::str_to_sample_method, name);
    }
}
