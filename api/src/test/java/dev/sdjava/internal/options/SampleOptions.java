package dev.sdjava.internal.options;

import dev.sdjava.SamplingMethod;

import java.util.List;

/**
 * A request-shaped {@link Options} record, so that the api's own build runs the processor.
 *
 * @param prompt       the prompt; null means empty
 * @param width        image width in pixels, a multiple of 8 in 64..4096
 * @param cfgScale     text guidance scale, 0..100
 * @param seed         the seed; -1 picks one at random
 * @param method       the sampler, or null for sd.cpp's default
 * @param customSigmas the noise schedule, up to 16 values in 0..1000
 * @param loras        LoRA file names, applied in order
 */
@Options
public record SampleOptions(
        @CField("prompt") @MaxLength(100) String prompt,
        @CField("width") @Range(min = 64, max = 4096) @MultipleOf(8) Integer width,
        @CField("sample_params.guidance.txt_cfg") @Range(min = 0, max = 100) Float cfgScale,
        @CField("seed") @Range(min = -1, max = 9.0e18) Long seed,
        SamplingMethod method,
        @Size(max = 16) @Range(min = 0, max = 1000) float[] customSigmas,
        @Singular("lora") List<String> loras) {

    public SampleOptions {
        prompt = prompt == null ? "" : prompt;
    }

    public static final class Builder extends SampleOptionsBuilderBase {
    }

    Builder toBuilder() {
        return new Builder().from(this);
    }

    @Override
    public String toString() {
        return Option.describe(this, SampleOptionsOptions.ALL);
    }
}
