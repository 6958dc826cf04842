package dev.sdjava;

/**
 * A sampler (sd.cpp's {@code sample_method_t}): how each denoising step moves the latent.
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use; {@link #fromSdName(String)}
 * parses it. Neither loads the native library (a test checks the names against sd.cpp's own).
 */
public enum SamplingMethod {
    /** {@code EULER_SAMPLE_METHOD} */
    EULER(0, "euler"),
    /** {@code EULER_A_SAMPLE_METHOD} */
    EULER_A(1, "euler_a"),
    /** {@code HEUN_SAMPLE_METHOD} */
    HEUN(2, "heun"),
    /** {@code DPM2_SAMPLE_METHOD} */
    DPM2(3, "dpm2"),
    /** {@code DPMPP2S_A_SAMPLE_METHOD} */
    DPMPP_2S_A(4, "dpm++2s_a"),
    /** {@code DPMPP2M_SAMPLE_METHOD} */
    DPMPP_2M(5, "dpm++2m"),
    /** {@code DPMPP2Mv2_SAMPLE_METHOD} */
    DPMPP_2M_V2(6, "dpm++2mv2"),
    /** {@code IPNDM_SAMPLE_METHOD} */
    IPNDM(7, "ipndm"),
    /** {@code IPNDM_V_SAMPLE_METHOD} */
    IPNDM_V(8, "ipndm_v"),
    /** {@code LCM_SAMPLE_METHOD} */
    LCM(9, "lcm"),
    /** {@code DDIM_TRAILING_SAMPLE_METHOD} */
    DDIM_TRAILING(10, "ddim_trailing"),
    /** {@code TCD_SAMPLE_METHOD} */
    TCD(11, "tcd"),
    /** {@code RES_MULTISTEP_SAMPLE_METHOD} */
    RES_MULTISTEP(12, "res_multistep"),
    /** {@code RES_2S_SAMPLE_METHOD} */
    RES_2S(13, "res_2s"),
    /** {@code ER_SDE_SAMPLE_METHOD} */
    ER_SDE(14, "er_sde");

    private final int value;
    private final String sdName;

    SamplingMethod(int value, String sdName) {
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
    public static SamplingMethod fromSdName(String name) {
        return CEnums.parse(SamplingMethod.class, values(), SamplingMethod::sdName, name);
    }
}
