package dev.sdjava;

import java.nio.file.Path;

/**
 * A LoRA applied to one request.
 *
 * @param path       the LoRA file (.safetensors or .gguf)
 * @param multiplier its strength; 1 is full strength, 0 none, negative inverts it (finite)
 * @param highNoise  apply it to the high-noise model of two-stage models (Wan 2.2) instead
 */
public record Lora(Path path, float multiplier, boolean highNoise) {
    public Lora {
        if (path == null) {
            throw new IllegalArgumentException("LoRA path must not be null");
        }
        if (!Float.isFinite(multiplier)) {
            throw new IllegalArgumentException("LoRA multiplier must be finite, got " + multiplier);
        }
    }

    /** A LoRA at {@code multiplier} for the (only) diffusion model. */
    public static Lora of(Path path, float multiplier) {
        return new Lora(path, multiplier, false);
    }
}
