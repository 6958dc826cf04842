package dev.sdjava;

/**
 * What the diffusion model predicts (sd.cpp's {@code prediction_t}); normally detected from the model.
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use; {@link #fromSdName(String)}
 * parses it. Neither loads the native library (a test checks the names against sd.cpp's own).
 */
public enum Prediction {
    /** {@code EPS_PRED} */
    EPS(0, "eps"),
    /** {@code V_PRED} */
    V(1, "v"),
    /** {@code EDM_V_PRED} */
    EDM_V(2, "edm_v"),
    /** {@code FLOW_PRED} */
    FLOW(3, "sd3_flow"),
    /** {@code FLUX_FLOW_PRED} */
    FLUX_FLOW(4, "flux_flow"),
    /** {@code FLUX2_FLOW_PRED} */
    FLUX2_FLOW(5, "flux2_flow");

    private final int value;
    private final String sdName;

    Prediction(int value, String sdName) {
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
    public static Prediction fromSdName(String name) {
        return CEnums.parse(Prediction.class, values(), Prediction::sdName, name);
    }
}
