package dev.sdjava;

import dev.sdjava.internal.natives.Native;
import dev.sdjava.internal.options.CField;
import dev.sdjava.internal.options.GenerationRequestOptions;
import dev.sdjava.internal.options.MaxLength;
import dev.sdjava.internal.options.MultipleOf;
import dev.sdjava.internal.options.NotNull;
import dev.sdjava.internal.options.Option;
import dev.sdjava.internal.options.Options;
import dev.sdjava.internal.options.Range;
import dev.sdjava.internal.options.Singular;
import dev.sdjava.internal.options.Size;

import java.util.List;

/**
 * One image generation job (sd.cpp's {@code sd_img_gen_params_t}): text-to-image, or
 * image-to-image with {@link Builder#initImage}, inpainting with {@link Builder#mask}, ControlNet
 * with {@link Builder#controlImage}. Immutable and reusable; made with {@link #builder(String)}.
 * Every option reads back through its accessor, which returns null while the option is unset.
 *
 * <p>Every option left unset keeps sd.cpp's default from {@code sd_img_gen_params_init}
 * (512x512, 20 steps, CFG 7, strength 0.75...), read when the request runs, and the sampler and
 * scheduler default to what sd.cpp picks for the loaded model
 * ({@link StableDiffusion#defaultSamplingMethod()}, {@link StableDiffusion#defaultScheduler}). The
 * seed, when not set, is drawn at random and reported in each {@link GeneratedImage}.
 *
 * <p>Arguments are checked when set (ranges, finite numbers) and when the request is run against
 * a context (image sizes against the size that runs), always before any native call.
 *
 * @param prompt                    what to draw, at most {@value #MAX_PROMPT_LENGTH} chars; sd.cpp encodes long prompts in chunks
 * @param negativePrompt            what not to draw, at most {@value #MAX_PROMPT_LENGTH} chars; default ""
 * @param width                     image width in pixels, a multiple of 8 in 8..{@value #MAX_SIDE}; default 512
 * @param height                    image height in pixels, a multiple of 8 in 8..{@value #MAX_SIDE}; default 512
 * @param steps                     sampling steps, 1..{@value #MAX_STEPS}; default 20
 * @param cfgScale                  text classifier-free guidance scale, finite, 0..100; 1 disables the negative pass; default 7
 * @param imageCfgScale             image guidance scale for instruct-pix2pix style models, 0..100; default: the same as cfgScale
 * @param distilledGuidance         distilled guidance for guidance-distilled models (Flux), 0..100; default 3.5
 * @param skipLayerGuidance         skip-layer guidance (DiT models); default off
 * @param samplingMethod            the sampler; default: sd.cpp's choice for the model (euler_a for SD1.x)
 * @param scheduler                 the noise schedule; default: sd.cpp's choice for the model and sampler
 * @param eta                       eta for ancestral/DDIM-like samplers, 0..10; default: the sampler's
 * @param shiftedTimestep           shifted timestep (NitroFusion-style models), 0..1000; default 0
 * @param customSigmas              explicit sigmas replacing the scheduler, 1..{@value #MAX_STEPS}+1 finite values, each at least 0
 * @param flowShift                 flow shift for flow-matching models, -1000..1000; default: the model's
 * @param clipSkip                  layers of CLIP to skip at the end, 1..12 (-1 or 0: the model's default)
 * @param seed                      the seed, at least 0; image i of a batch uses seed + i; default: random, reported in the results
 * @param batchCount                images to generate in one call, 1..{@value #MAX_BATCH}; default 1
 * @param initImage                 starts from this image (img2img); must have the request's size
 * @param strength                  how much img2img changes the init image, in [0,1]; default 0.75
 * @param mask                      inpainting mask: white repaints, black keeps; the request's size; needs an init image
 * @param controlImage              ControlNet conditioning image, the request's size; needs a context with a ControlNet
 * @param controlStrength           ControlNet strength, 0..10; default 0.9
 * @param referenceImages           reference images (edit models such as Flux Kontext, Qwen-Image-Edit)
 * @param autoResizeReferenceImages resize reference images to the output size; default false
 * @param increaseReferenceIndex    give each reference image its own index; default false
 * @param loras                     LoRAs applied to this request
 * @param photoMaker                PhotoMaker inputs
 * @param vaeTiling                 tiled VAE (less memory at large sizes); null turns it off (default)
 * @param cache                     step cache settings; default off
 * @param hires                     high-resolution fix; null turns it off (default)
 * @param previewMode               how previews are made ({@link PreviewMode#PROJ} is cheapest); set with {@link Builder#preview}
 * @param previewInterval           steps between previews, 1..{@value #MAX_STEPS}; set with {@link Builder#preview}
 * @param previewNoisy              previews show the noisy latent instead of the denoised estimate; set with {@link Builder#preview}
 * @param previewListener           receives the previews; set with {@link Builder#preview}
 * @param progress                  receives the progress of this request: one event per sampling step (and VAE tile)
 */
@Options
public record GenerationRequest(
        @CField("prompt") @NotNull @MaxLength(MAX_PROMPT_LENGTH) String prompt,
        @CField("negative_prompt") @NotNull @MaxLength(MAX_PROMPT_LENGTH) String negativePrompt,
        @CField("width") @Range(min = 8, max = MAX_SIDE) @MultipleOf(8) Integer width,
        @CField("height") @Range(min = 8, max = MAX_SIDE) @MultipleOf(8) Integer height,
        @CField("sample_params.sample_steps") @Range(min = 1, max = MAX_STEPS) Integer steps,
        @CField("sample_params.guidance.txt_cfg") @Range(min = 0, max = 100) Float cfgScale,
        @CField("sample_params.guidance.img_cfg") @Range(min = 0, max = 100) Float imageCfgScale,
        @CField("sample_params.guidance.distilled_guidance") @Range(min = 0, max = 100) Float distilledGuidance,
        SkipLayerGuidance skipLayerGuidance,
        SamplingMethod samplingMethod,
        Scheduler scheduler,
        @CField("sample_params.eta") @Range(min = 0, max = 10) Float eta,
        @CField("sample_params.shifted_timestep") @Range(min = 0, max = 1000) Integer shiftedTimestep,
        @Size(min = 1, max = MAX_STEPS + 1) @Range(min = 0, max = 3.0e38) float[] customSigmas,
        @CField("sample_params.flow_shift") @Range(min = -1000, max = 1000) Float flowShift,
        @CField("clip_skip") @Range(min = -1, max = 12) Integer clipSkip,
        @Range(min = 0, max = 9.0e18) Long seed,
        @CField("batch_count") @Range(min = 1, max = MAX_BATCH) Integer batchCount,
        SdImage initImage,
        @CField("strength") @Range(min = 0, max = 1) Float strength,
        SdImage mask,
        SdImage controlImage,
        @CField("control_strength") @Range(min = 0, max = 10) Float controlStrength,
        @Singular("referenceImage") List<SdImage> referenceImages,
        @CField("auto_resize_ref_image") Boolean autoResizeReferenceImages,
        @CField("increase_ref_index") Boolean increaseReferenceIndex,
        @Singular("lora") List<Lora> loras,
        PhotoMaker photoMaker,
        VaeTiling vaeTiling,
        CacheParams cache,
        HiresFix hires,
        PreviewMode previewMode,
        @Range(min = 1, max = MAX_STEPS) Integer previewInterval,
        Boolean previewNoisy,
        PreviewListener previewListener,
        ProgressListener progress) {
    /** Largest accepted width or height: sd.cpp needs memory quadratic in it. */
    public static final int MAX_SIDE = 8192;
    /** Largest accepted step count. */
    public static final int MAX_STEPS = 1000;
    /** Largest accepted batch. */
    public static final int MAX_BATCH = 64;
    /**
     * Longest accepted prompt or negative prompt, in chars. sd.cpp's prompt parser needs native
     * stack in proportion to the prompt, and its text encoders time in proportion to it (about a
     * minute per 2,000 characters for SD 1.x on two cores); longer prompts are refused.
     */
    public static final int MAX_PROMPT_LENGTH = 32_768;

    /** Fills in what every request has (empty prompts and lists); a request made with {@code new} is as immutable as a built one. */
    public GenerationRequest {
        prompt = prompt == null ? "" : prompt;
        negativePrompt = negativePrompt == null ? "" : negativePrompt;
        referenceImages = referenceImages == null ? List.of() : List.copyOf(referenceImages);
        loras = loras == null ? List.of() : List.copyOf(loras);
        customSigmas = customSigmas == null ? null : customSigmas.clone();
    }

    /** A builder for a request with this prompt (may be empty, not null). */
    public static Builder builder(String prompt) {
        return new Builder().prompt(prompt);
    }

    /** A builder holding this request, to derive a changed copy. */
    public Builder toBuilder() {
        return new Builder().from(this);
    }

    /** The custom sigmas (a copy), or null. */
    @Override
    public float[] customSigmas() {
        return customSigmas == null ? null : customSigmas.clone();
    }

    /**
     * Checks what can be checked before the context runs (files of LoRAs, hires model, PhotoMaker;
     * explicitly set sizes against the images); throws IllegalArgumentException naming the argument.
     */
    void validate() {
        SdImage.checkSize(initImage, "initImage", "request", width, height);
        SdImage.checkSize(mask, "mask", "request", width, height);
        SdImage.checkSize(controlImage, "controlImage", "request", width, height);
        if (mask != null && initImage == null) {
            throw new IllegalArgumentException("mask needs an initImage (inpainting repaints the init image)");
        }
        for (Lora l : loras) {
            ModelFile.check(l.path(), "LoRA file");
        }
        if (hires != null && hires.model() != null) {
            ModelFile.check(hires.model(), "hires upscaler model");
        }
        if (photoMaker != null && photoMaker.idEmbedding() != null) {
            Native.readableFile(photoMaker.idEmbedding(), "PhotoMaker id embedding");
        }
        if (photoMaker != null && !photoMaker.idImages().isEmpty() && !PhotoMaker.hasTrigger(prompt)) {
            throw new IllegalArgumentException("prompt: PhotoMaker's ID images need the trigger word 'img' after a class word,"
                    + " e.g. \"a man img, ...\" (sd.cpp aborts without it); got \"" + prompt + "\"");
        }
    }

    /** Checks the images against the size that runs (sd.cpp's default where the request sets none). */
    void checkSizes(int runWidth, int runHeight) {
        SdImage.checkSize(initImage, "initImage", "request", runWidth, runHeight);
        SdImage.checkSize(mask, "mask", "request", runWidth, runHeight);
        SdImage.checkSize(controlImage, "controlImage", "request", runWidth, runHeight);
    }

    /** The options that are set, e.g. {@code GenerationRequest[prompt=a fox, width=64, ...]}. */
    @Override
    public String toString() {
        return Option.describe(this, GenerationRequestOptions.ALL);
    }

    /** Builds a {@link GenerationRequest}; setters check their argument. Not thread-safe. */
    public static final class Builder extends GenerationRequestBuilderBase {
        private Builder() {
        }

        /** Image size in pixels, each a multiple of 8 in 8..{@value #MAX_SIDE}. Default 512x512. */
        public Builder size(int width, int height) {
            return width(width).height(height);
        }

        /**
         * Receives preview images every {@code interval} steps, made by {@code mode}
         * ({@link PreviewMode#PROJ} is cheapest). sd.cpp's preview setting is process-wide, so
         * requests with previews run one at a time across the JVM.
         */
        public Builder preview(PreviewMode mode, int interval, boolean noisy, PreviewListener listener) {
            if (mode == null || listener == null) {
                throw new IllegalArgumentException("preview mode and listener must not be null");
            }
            return previewMode(mode).previewInterval(interval).previewNoisy(noisy).previewListener(listener);
        }
    }
}
