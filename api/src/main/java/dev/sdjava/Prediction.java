package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;

/**
 * What the diffusion model predicts (sd.cpp's {@code prediction_t}); normally detected from the model.
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use (from {@code sd_prediction_name}); {@link #fromSdName(String)}
 * parses it (through {@code str_to_prediction}). Both call into the native library.
 */
public enum Prediction implements NativeEnum {
    /** {@code EPS_PRED} */
    EPS(SdCpp.EPS_PRED()),
    /** {@code V_PRED} */
    V(SdCpp.V_PRED()),
    /** {@code EDM_V_PRED} */
    EDM_V(SdCpp.EDM_V_PRED()),
    /** {@code FLOW_PRED} */
    FLOW(SdCpp.FLOW_PRED()),
    /** {@code FLUX_FLOW_PRED} */
    FLUX_FLOW(SdCpp.FLUX_FLOW_PRED()),
    /** {@code FLUX2_FLOW_PRED} */
    FLUX2_FLOW(SdCpp.FLUX2_FLOW_PRED());

    private final int value;

    Prediction(int value) {
        this.value = value;
    }

    @Override
    public int value() {
        return value;
    }

    /** The name sd.cpp uses for this value, e.g. on its command line. */
    public String sdName() {
        return NativeEnum.name(SdCpp::sd_prediction_name, value);
    }

    /**
     * Parses sd.cpp's name for a value (as {@link #sdName()} returns it).
     *
     * @throws IllegalArgumentException if sd.cpp does not know the name; the message lists the known ones
     */
    public static Prediction fromSdName(String name) {
        return NativeEnum.parse(Prediction.class, SdCpp::str_to_prediction, name);
    }
}
