package dev.sdjava;

import dev.sdjava.internal.options.CField;
import dev.sdjava.internal.options.MaxLength;
import dev.sdjava.internal.options.MultipleOf;
import dev.sdjava.internal.options.NotNull;
import dev.sdjava.internal.options.Option;
import dev.sdjava.internal.options.Options;
import dev.sdjava.internal.options.Range;
import dev.sdjava.internal.options.Singular;
import dev.sdjava.internal.options.VideoRequestOptions;

import java.util.List;

/**
 * One video generation job (sd.cpp's {@code sd_vid_gen_params_t}) for a video model such as Wan 2.1/2.2:
 * text-to-video, or image-to-video with {@link Builder#initImage} (and {@link Builder#endImage} for first-last-frame
 * models), run by {@link StableDiffusion#generateVideo}. Immutable and reusable; made with {@link #builder(String)}.
 * Every option reads back through its accessor, which returns null while the option is unset.
 *
 * <p>Every option left unset keeps sd.cpp's default from {@code sd_vid_gen_params_init} (512x512, 20 steps, CFG 7,
 * 6 frames, which sd.cpp rounds down to 5), read when the request runs; the sampler and scheduler default to what
 * sd.cpp picks for the loaded model. The seed, when not set, is drawn at random and reported in the
 * {@link GeneratedVideo}.
 *
 * <p>Arguments are checked when set and when the request is built, always before any native call. Wan's VAE
 * turns the first frame and then every 4 further frames into one latent frame, so a video has 4n+1 frames;
 * sd.cpp would silently round any other count down, so it is refused here.
 *
 * @param prompt                  what to show, at most {@value GenerationRequest#MAX_PROMPT_LENGTH} chars
 * @param negativePrompt          what not to show, at most {@value GenerationRequest#MAX_PROMPT_LENGTH} chars; default ""
 * @param width                   frame width in pixels, a multiple of 16 in 16..{@value #MAX_SIDE} (Wan: 8x VAE times 2x2 patches); default 512. sd.cpp aligns it further up, with a warning, for a model that needs more (Wan 2.2 TI2V 5B: 32)
 * @param height                  frame height in pixels, as {@code width}; default 512
 * @param frames                  the number of frames, 4n+1 in 1..{@value #MAX_FRAMES} (1, 5, 9, ..., 81 for Wan's usual 5 s at 16 fps); default: sd.cpp's 6, rounded down to 5
 * @param steps                   sampling steps, 1..{@value GenerationRequest#MAX_STEPS}; default 20
 * @param cfgScale                classifier-free guidance scale, 0..100; 1 disables the negative pass; default 7
 * @param samplingMethod          the sampler; default: sd.cpp's choice for the model (euler for Wan)
 * @param scheduler               the noise schedule; default: sd.cpp's choice for the model and sampler
 * @param eta                     eta for ancestral/DDIM-like samplers, 0..10; default: the sampler's
 * @param flowShift               flow shift, -1000..1000 (Wan's examples use 3.0 at 480p, 5.0 at 720p); default: the model's
 * @param clipSkip                text encoder layers to skip, -1..12 (-1 or 0: the model's default)
 * @param seed                    the seed, at least 0; default: random, reported in the result
 * @param initImage               the first frame (image-to-video, Wan 2.x I2V/TI2V; the VACE reference image); must have the request's size
 * @param endImage                the last frame (first-last-frame-to-video, Wan 2.1 FLF2V); must have the request's size
 * @param strength                how much an init image is changed, in [0,1]; default 0.75
 * @param controlFrames           control video frames for Wan VACE models, each of the request's size
 * @param vaceStrength            strength of the VACE control, 0..10; default 1
 * @param highNoiseSteps          sampling steps of the high-noise model (Wan 2.2 A14B, loaded with {@link ModelConfig#highNoiseDiffusionModel()}), -1..{@value GenerationRequest#MAX_STEPS}; -1 (default) splits the steps at {@code moeBoundary}
 * @param highNoiseCfgScale       guidance scale of the high-noise model, 0..100; default 7
 * @param highNoiseSamplingMethod the sampler of the high-noise model; default: sd.cpp's choice for the model
 * @param moeBoundary             the timestep boundary between the high- and low-noise models, in [0,1], used when {@code highNoiseSteps} is -1; default 0.875
 * @param loras                   LoRAs applied to this request ({@link Lora#highNoise()} ones to the high-noise model)
 * @param vaeTiling               tiled VAE (less memory at large sizes); null turns it off (default)
 * @param cache                   step cache settings; default off
 * @param progress                receives the progress of this request: one event per sampling step
 */
@Options
public record VideoRequest(
        @CField("prompt") @NotNull @MaxLength(GenerationRequest.MAX_PROMPT_LENGTH) String prompt,
        @CField("negative_prompt") @NotNull @MaxLength(GenerationRequest.MAX_PROMPT_LENGTH) String negativePrompt,
        @CField("width") @Range(min = 16, max = MAX_SIDE) @MultipleOf(16) Integer width,
        @CField("height") @Range(min = 16, max = MAX_SIDE) @MultipleOf(16) Integer height,
        @CField("video_frames") @Range(min = 1, max = MAX_FRAMES) Integer frames,
        @CField("sample_params.sample_steps") @Range(min = 1, max = GenerationRequest.MAX_STEPS) Integer steps,
        @CField("sample_params.guidance.txt_cfg") @Range(min = 0, max = 100) Float cfgScale,
        SamplingMethod samplingMethod,
        Scheduler scheduler,
        @CField("sample_params.eta") @Range(min = 0, max = 10) Float eta,
        @CField("sample_params.flow_shift") @Range(min = -1000, max = 1000) Float flowShift,
        @CField("clip_skip") @Range(min = -1, max = 12) Integer clipSkip,
        @Range(min = 0, max = 9.0e18) Long seed,
        SdImage initImage,
        SdImage endImage,
        @CField("strength") @Range(min = 0, max = 1) Float strength,
        @Singular("controlFrame") List<SdImage> controlFrames,
        @CField("vace_strength") @Range(min = 0, max = 10) Float vaceStrength,
        @CField("high_noise_sample_params.sample_steps") @Range(min = -1, max = GenerationRequest.MAX_STEPS) Integer highNoiseSteps,
        @CField("high_noise_sample_params.guidance.txt_cfg") @Range(min = 0, max = 100) Float highNoiseCfgScale,
        SamplingMethod highNoiseSamplingMethod,
        @CField("moe_boundary") @Range(min = 0, max = 1) Float moeBoundary,
        @Singular("lora") List<Lora> loras,
        VaeTiling vaeTiling,
        CacheParams cache,
        ProgressListener progress) {
    /** Largest accepted frame width or height: video models need memory in proportion to frames x width x height. */
    public static final int MAX_SIDE = 4096;
    /** Largest accepted frame count (4n+1). */
    public static final int MAX_FRAMES = 1021;

    /** Fills in what every request has (empty prompts and lists) and checks the frame count is 4n+1. */
    public VideoRequest {
        prompt = prompt == null ? "" : prompt;
        negativePrompt = negativePrompt == null ? "" : negativePrompt;
        controlFrames = controlFrames == null ? List.of() : List.copyOf(controlFrames);
        loras = loras == null ? List.of() : List.copyOf(loras);
        if (frames != null && (frames - 1) % 4 != 0) {
            int down = (frames - 1) / 4 * 4 + 1;
            throw new IllegalArgumentException("frames must be 4n+1 (1, 5, 9, 13, ...), got " + frames
                    + ": the video VAE makes one latent of the first frame and one of every 4 after it"
                    + " (sd.cpp would silently make " + down + "); ask for " + down + " or " + (down + 4));
        }
    }

    /** A builder for a request with this prompt (may be empty, not null). */
    public static Builder builder(String prompt) {
        return new Builder().prompt(prompt);
    }

    /** A builder holding this request, to derive a changed copy. */
    public Builder toBuilder() {
        return new Builder().from(this);
    }

    /** Checks what can be checked before the context runs: the LoRA files, and the images against explicitly set sizes. */
    void validate() {
        checkSizes(width, height);
        for (Lora l : loras) {
            ModelFile.check(l.path(), "LoRA file");
        }
    }

    /** Checks the images against the size that runs (sd.cpp's default where the request sets none). */
    void checkSizes(Integer runWidth, Integer runHeight) {
        SdImage.checkSize(initImage, "initImage", "video", runWidth, runHeight);
        SdImage.checkSize(endImage, "endImage", "video", runWidth, runHeight);
        for (int i = 0; i < controlFrames.size(); i++) {
            SdImage.checkSize(controlFrames.get(i), "controlFrames[" + i + "]", "video", runWidth, runHeight);
        }
    }

    /** The options that are set, e.g. {@code VideoRequest[prompt=a cat, width=480, frames=33, ...]}. */
    @Override
    public String toString() {
        return Option.describe(this, VideoRequestOptions.ALL);
    }

    /** Builds a {@link VideoRequest}; setters check their argument, {@link #build()} the frame count. Not thread-safe. */
    public static final class Builder extends VideoRequestBuilderBase {
        private Builder() {
        }

        /** Frame size in pixels, each a multiple of 16 in 16..{@value #MAX_SIDE}. Default 512x512. */
        public Builder size(int width, int height) {
            return width(width).height(height);
        }
    }
}
