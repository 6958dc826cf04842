package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;

/**
 * When LoRA weights are applied (sd.cpp's {@code lora_apply_mode_t}): merged into the weights, or at run time (needed for quantized weights).
 *
 * <p>{@link #sdName()} is the name sd.cpp and its CLI use (from {@code sd_lora_apply_mode_name}); {@link #fromSdName(String)}
 * parses it (through {@code str_to_lora_apply_mode}). Both call into the native library.
 */
public enum LoraApplyMode implements NativeEnum {
    /** {@code LORA_APPLY_AUTO} */
    AUTO(SdCpp.LORA_APPLY_AUTO()),
    /** {@code LORA_APPLY_IMMEDIATELY} */
    IMMEDIATELY(SdCpp.LORA_APPLY_IMMEDIATELY()),
    /** {@code LORA_APPLY_AT_RUNTIME} */
    AT_RUNTIME(SdCpp.LORA_APPLY_AT_RUNTIME());

    private final int value;

    LoraApplyMode(int value) {
        this.value = value;
    }

    @Override
    public int value() {
        return value;
    }

    /** The name sd.cpp uses for this value, e.g. on its command line. */
    public String sdName() {
        return NativeEnum.name(SdCpp::sd_lora_apply_mode_name, value);
    }

    /**
     * Parses sd.cpp's name for a value (as {@link #sdName()} returns it).
     *
     * @throws IllegalArgumentException if sd.cpp does not know the name; the message lists the known ones
     */
    public static LoraApplyMode fromSdName(String name) {
        return NativeEnum.parse(LoraApplyMode.class, SdCpp::str_to_lora_apply_mode, name);
    }
}
