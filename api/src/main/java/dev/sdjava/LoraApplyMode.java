package dev.sdjava;

/**
 * When LoRA weights are applied (sd.cpp's {@code lora_apply_mode_t}): merged into the weights, or at run time (needed for quantized weights).
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use; {@link #fromSdName(String)}
 * parses it. Neither loads the native library (a test checks the names against sd.cpp's own).
 */
public enum LoraApplyMode {
    /** {@code LORA_APPLY_AUTO} */
    AUTO(0, "auto"),
    /** {@code LORA_APPLY_IMMEDIATELY} */
    IMMEDIATELY(1, "immediately"),
    /** {@code LORA_APPLY_AT_RUNTIME} */
    AT_RUNTIME(2, "at_runtime");

    private final int value;
    private final String sdName;

    LoraApplyMode(int value, String sdName) {
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
    public static LoraApplyMode fromSdName(String name) {
        return CEnums.parse(LoraApplyMode.class, values(), LoraApplyMode::sdName, name);
    }
}
