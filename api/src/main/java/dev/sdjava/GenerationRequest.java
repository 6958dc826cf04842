package dev.sdjava;

import dev.sdjava.internal.natives.Images;
import dev.sdjava.internal.natives.Native;

import dev.sdjava.internal.bindings.sd_guidance_params_t;
import dev.sdjava.internal.bindings.sd_hires_params_t;
import dev.sdjava.internal.bindings.sd_image_t;
import dev.sdjava.internal.bindings.sd_img_gen_params_t;
import dev.sdjava.internal.bindings.sd_lora_t;
import dev.sdjava.internal.bindings.sd_pm_params_t;
import dev.sdjava.internal.bindings.sd_sample_params_t;
import dev.sdjava.internal.bindings.sd_slg_params_t;
import dev.sdjava.internal.bindings.sd_tiling_params_t;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * One image generation job (sd.cpp's {@code sd_img_gen_params_t}): text-to-image, or
 * image-to-image with {@link Builder#initImage}, inpainting with {@link Builder#mask}, ControlNet
 * with {@link Builder#controlImage}. Immutable and reusable; made with {@link #builder(String)}.
 *
 * <p>Every option left unset keeps sd.cpp's default from {@code sd_img_gen_params_init}
 * (512x512, 20 steps, CFG 7, strength 0.75...), and the sampler and scheduler default to what
 * sd.cpp picks for the loaded model ({@code sd_get_default_sample_method/scheduler}). The
 * seed, when not set, is drawn at random in Java and reported in each {@link GeneratedImage}.
 *
 * <p>Arguments are checked when set (ranges, finite numbers) and when the request is run against
 * a context (image sizes against the requested size), always before any native call.
 */
public final class GenerationRequest {
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

    private final String prompt, negativePrompt;
    private final Integer width, height, steps, clipSkip, batchCount, shiftedTimestep;
    private final Float cfgScale, imageCfgScale, distilledGuidance, eta, strength, controlStrength, flowShift;
    private final Long seed;
    private final SamplingMethod samplingMethod;
    private final Scheduler scheduler;
    private final SkipLayerGuidance skipLayerGuidance;
    private final float[] customSigmas;
    private final SdImage initImage, mask, controlImage;
    private final List<SdImage> referenceImages;
    private final Boolean autoResizeReferenceImages, increaseReferenceIndex;
    private final List<Lora> loras;
    private final PhotoMaker photoMaker;
    private final VaeTiling vaeTiling;
    private final CacheParams cache;
    private final HiresFix hires;
    private final PreviewMode previewMode;
    private final int previewInterval;
    private final boolean previewNoisy;
    private final ProgressListener progressListener;
    private final PreviewListener previewListener;

    private GenerationRequest(Builder b) {
        prompt = b.prompt;
        negativePrompt = b.negativePrompt;
        width = b.width;
        height = b.height;
        steps = b.steps;
        clipSkip = b.clipSkip;
        batchCount = b.batchCount;
        shiftedTimestep = b.shiftedTimestep;
        cfgScale = b.cfgScale;
        imageCfgScale = b.imageCfgScale;
        distilledGuidance = b.distilledGuidance;
        eta = b.eta;
        strength = b.strength;
        controlStrength = b.controlStrength;
        flowShift = b.flowShift;
        seed = b.seed;
        samplingMethod = b.samplingMethod;
        scheduler = b.scheduler;
        skipLayerGuidance = b.skipLayerGuidance;
        customSigmas = b.customSigmas;
        initImage = b.initImage;
        mask = b.mask;
        controlImage = b.controlImage;
        referenceImages = List.copyOf(b.referenceImages);
        autoResizeReferenceImages = b.autoResizeReferenceImages;
        increaseReferenceIndex = b.increaseReferenceIndex;
        loras = List.copyOf(b.loras);
        photoMaker = b.photoMaker;
        vaeTiling = b.vaeTiling;
        cache = b.cache;
        hires = b.hires;
        previewMode = b.previewMode;
        previewInterval = b.previewInterval;
        previewNoisy = b.previewNoisy;
        progressListener = b.progressListener;
        previewListener = b.previewListener;
    }

    /** A builder for a request with this prompt (may be empty, not null). */
    public static Builder builder(String prompt) {
        return new Builder().prompt(prompt);
    }

    /** A builder holding this request, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.prompt = prompt;
        b.negativePrompt = negativePrompt;
        b.width = width;
        b.height = height;
        b.steps = steps;
        b.clipSkip = clipSkip;
        b.batchCount = batchCount;
        b.shiftedTimestep = shiftedTimestep;
        b.cfgScale = cfgScale;
        b.imageCfgScale = imageCfgScale;
        b.distilledGuidance = distilledGuidance;
        b.eta = eta;
        b.strength = strength;
        b.controlStrength = controlStrength;
        b.flowShift = flowShift;
        b.seed = seed;
        b.samplingMethod = samplingMethod;
        b.scheduler = scheduler;
        b.skipLayerGuidance = skipLayerGuidance;
        b.customSigmas = customSigmas;
        b.initImage = initImage;
        b.mask = mask;
        b.controlImage = controlImage;
        b.referenceImages.addAll(referenceImages);
        b.autoResizeReferenceImages = autoResizeReferenceImages;
        b.increaseReferenceIndex = increaseReferenceIndex;
        b.loras.addAll(loras);
        b.photoMaker = photoMaker;
        b.vaeTiling = vaeTiling;
        b.cache = cache;
        b.hires = hires;
        b.previewMode = previewMode;
        b.previewInterval = previewInterval;
        b.previewNoisy = previewNoisy;
        b.progressListener = progressListener;
        b.previewListener = previewListener;
        return b;
    }

    /** The prompt. */
    public String prompt() {
        return prompt;
    }

    /** The negative prompt ("" when unset). */
    public String negativePrompt() {
        return negativePrompt;
    }

    /** Width in pixels: the one set, or sd.cpp's default (512). */
    public int width() {
        return width != null ? width : Defaults.GEN.width();
    }

    /** Height in pixels: the one set, or sd.cpp's default (512). */
    public int height() {
        return height != null ? height : Defaults.GEN.height();
    }

    /** Sampling steps: the ones set, or sd.cpp's default (20). */
    public int steps() {
        return steps != null ? steps : Defaults.GEN.steps();
    }

    /** Text CFG scale: the one set, or sd.cpp's default (7). */
    public float cfgScale() {
        return cfgScale != null ? cfgScale : Defaults.GEN.cfg();
    }

    /** Distilled guidance (Flux): the one set, or sd.cpp's default (3.5). */
    public float distilledGuidance() {
        return distilledGuidance != null ? distilledGuidance : Defaults.GEN.distilledGuidance();
    }

    /** img2img strength: the one set, or sd.cpp's default (0.75). */
    public float strength() {
        return strength != null ? strength : Defaults.GEN.strength();
    }

    /** CLIP skip: the one set, or sd.cpp's default (-1 = the model's). */
    public int clipSkip() {
        return clipSkip != null ? clipSkip : Defaults.GEN.clipSkip();
    }

    /** Eta, or NaN when unset (the sampler's default). */
    public float eta() {
        return eta != null ? eta : Float.NaN;
    }

    /** Images per call (default 1); image i uses seed + i. */
    public int batchCount() {
        return batchCount != null ? batchCount : 1;
    }

    /** The seed set, or null for a random one per run. */
    public Long seed() {
        return seed;
    }

    /** The sampler set, or null for the model's default. */
    public SamplingMethod samplingMethod() {
        return samplingMethod;
    }

    /** The scheduler set, or null for the model's default. */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** The custom sigmas (a copy), or null. */
    public float[] customSigmas() {
        return customSigmas == null ? null : customSigmas.clone();
    }

    /** The init image (img2img), or null. */
    public SdImage initImage() {
        return initImage;
    }

    /** The inpainting mask, or null. */
    public SdImage mask() {
        return mask;
    }

    /** The ControlNet image, or null. */
    public SdImage controlImage() {
        return controlImage;
    }

    /** The LoRAs. */
    public List<Lora> loras() {
        return loras;
    }

    /** The skip-layer guidance, or null. */
    public SkipLayerGuidance skipLayerGuidance() {
        return skipLayerGuidance;
    }

    /** The hires fix, or null. */
    public HiresFix hires() {
        return hires;
    }

    /** The progress listener, or null. */
    public ProgressListener progressListener() {
        return progressListener;
    }

    /** The preview listener, or null. */
    public PreviewListener previewListener() {
        return previewListener;
    }

    /** The preview mode ({@link PreviewMode#NONE} unless {@link Builder#preview} was called). */
    public PreviewMode previewMode() {
        return previewMode;
    }

    /** Steps between previews (default 1). */
    public int previewInterval() {
        return previewInterval;
    }

    /** Whether previews show the noisy latent instead of the denoised estimate. */
    public boolean previewNoisy() {
        return previewNoisy;
    }

    /** Checks the images against the requested size; throws IllegalArgumentException naming the argument. */
    void validateImages() {
        checkSize(initImage, "initImage");
        checkSize(mask, "mask");
        checkSize(controlImage, "controlImage");
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
    }

    private void checkSize(SdImage img, String what) {
        if (img != null && (img.width() != width() || img.height() != height())) {
            throw new IllegalArgumentException(what + " is " + img.width() + "x" + img.height()
                    + " but the request is " + width() + "x" + height() + "; they must match");
        }
    }

    /**
     * Fills {@code p} (initialised by {@code sd_img_gen_params_init}) with this request, the
     * resolved seed, sampler and scheduler; all memory comes from {@code arena}.
     */
    void toNative(MemorySegment p, Arena arena, long seedToUse, SamplingMethod sampler, Scheduler sched) {
        if (!loras.isEmpty()) {
            MemorySegment arr = sd_lora_t.allocateArray(loras.size(), arena);
            for (int i = 0; i < loras.size(); i++) {
                Lora l = loras.get(i);
                MemorySegment item = sd_lora_t.asSlice(arr, i);
                sd_lora_t.is_high_noise(item, l.highNoise());
                sd_lora_t.multiplier(item, l.multiplier());
                sd_lora_t.path(item, Native.cPath(arena, l.path(), "LoRA path"));
            }
            sd_img_gen_params_t.loras(p, arr);
            sd_img_gen_params_t.lora_count(p, loras.size());
        }
        sd_img_gen_params_t.prompt(p, Native.cString(arena, prompt, "prompt"));
        sd_img_gen_params_t.negative_prompt(p, Native.cString(arena, negativePrompt, "negativePrompt"));
        if (clipSkip != null) sd_img_gen_params_t.clip_skip(p, clipSkip);
        if (initImage != null) Images.toNative(initImage, sd_img_gen_params_t.init_image(p), arena);
        if (!referenceImages.isEmpty()) {
            sd_img_gen_params_t.ref_images(p, Images.array(referenceImages, arena));
            sd_img_gen_params_t.ref_images_count(p, referenceImages.size());
        }
        if (autoResizeReferenceImages != null) sd_img_gen_params_t.auto_resize_ref_image(p, autoResizeReferenceImages);
        if (increaseReferenceIndex != null) sd_img_gen_params_t.increase_ref_index(p, increaseReferenceIndex);
        if (mask != null) Images.toNative(mask.withChannels(1), sd_img_gen_params_t.mask_image(p), arena);
        sd_img_gen_params_t.width(p, width());
        sd_img_gen_params_t.height(p, height());

        MemorySegment s = sd_img_gen_params_t.sample_params(p);
        MemorySegment g = sd_sample_params_t.guidance(s);
        if (cfgScale != null) sd_guidance_params_t.txt_cfg(g, cfgScale);
        if (imageCfgScale != null) sd_guidance_params_t.img_cfg(g, imageCfgScale);
        if (distilledGuidance != null) sd_guidance_params_t.distilled_guidance(g, distilledGuidance);
        if (skipLayerGuidance != null) {
            MemorySegment slg = sd_guidance_params_t.slg(g);
            int[] layers = skipLayerGuidance.layers();
            sd_slg_params_t.layers(slg, layers.length == 0 ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_INT, layers));
            sd_slg_params_t.layer_count(slg, layers.length);
            sd_slg_params_t.layer_start(slg, skipLayerGuidance.layerStart());
            sd_slg_params_t.layer_end(slg, skipLayerGuidance.layerEnd());
            sd_slg_params_t.scale(slg, skipLayerGuidance.scale());
        }
        sd_sample_params_t.scheduler(s, sched.value());
        sd_sample_params_t.sample_method(s, sampler.value());
        if (steps != null) sd_sample_params_t.sample_steps(s, steps);
        if (eta != null) sd_sample_params_t.eta(s, eta);
        if (shiftedTimestep != null) sd_sample_params_t.shifted_timestep(s, shiftedTimestep);
        if (customSigmas != null) {
            sd_sample_params_t.custom_sigmas(s, arena.allocateFrom(ValueLayout.JAVA_FLOAT, customSigmas));
            sd_sample_params_t.custom_sigmas_count(s, customSigmas.length);
        }
        if (flowShift != null) sd_sample_params_t.flow_shift(s, flowShift);

        if (strength != null) sd_img_gen_params_t.strength(p, strength);
        sd_img_gen_params_t.seed(p, seedToUse);
        sd_img_gen_params_t.batch_count(p, batchCount());
        if (controlImage != null) Images.toNative(controlImage.withChannels(3), sd_img_gen_params_t.control_image(p), arena);
        if (controlStrength != null) sd_img_gen_params_t.control_strength(p, controlStrength);
        if (photoMaker != null) {
            MemorySegment pm = sd_img_gen_params_t.pm_params(p);
            if (!photoMaker.idImages().isEmpty()) {
                sd_pm_params_t.id_images(pm, Images.array(photoMaker.idImages(), arena));
                sd_pm_params_t.id_images_count(pm, photoMaker.idImages().size());
            }
            sd_pm_params_t.id_embed_path(pm, Native.cPath(arena, photoMaker.idEmbedding(), "PhotoMaker id embedding"));
            sd_pm_params_t.style_strength(pm, photoMaker.styleStrength());
        }
        if (vaeTiling != null) {
            MemorySegment t = sd_img_gen_params_t.vae_tiling_params(p);
            sd_tiling_params_t.enabled(t, true);
            sd_tiling_params_t.tile_size_x(t, vaeTiling.tileSizeX());
            sd_tiling_params_t.tile_size_y(t, vaeTiling.tileSizeY());
            sd_tiling_params_t.target_overlap(t, vaeTiling.targetOverlap());
            sd_tiling_params_t.rel_size_x(t, vaeTiling.relSizeX());
            sd_tiling_params_t.rel_size_y(t, vaeTiling.relSizeY());
        }
        if (cache != null) cache.toNative(sd_img_gen_params_t.cache(p), arena);
        if (hires != null) {
            MemorySegment h = sd_img_gen_params_t.hires(p);
            sd_hires_params_t.enabled(h, true);
            sd_hires_params_t.upscaler(h, hires.upscaler().value());
            sd_hires_params_t.model_path(h, Native.cPath(arena, hires.model(), "hires model"));
            sd_hires_params_t.scale(h, hires.scale());
            sd_hires_params_t.target_width(h, hires.targetWidth());
            sd_hires_params_t.target_height(h, hires.targetHeight());
            sd_hires_params_t.steps(h, hires.steps());
            sd_hires_params_t.denoising_strength(h, hires.denoisingStrength());
            sd_hires_params_t.upscale_tile_size(h, hires.upscaleTileSize());
        }
    }

    @Override
    public String toString() {
        return "GenerationRequest[prompt=" + prompt + ", " + width() + "x" + height() + ", steps=" + steps()
                + ", cfg=" + cfgScale() + ", sampler=" + samplingMethod + ", scheduler=" + scheduler + ", seed=" + seed
                + ", batch=" + batchCount() + (initImage != null ? ", img2img" : "") + (mask != null ? ", inpaint" : "")
                + (controlImage != null ? ", control" : "") + (loras.isEmpty() ? "" : ", loras=" + loras) + "]";
    }

    /** Builds a {@link GenerationRequest}; setters check their argument. Not thread-safe. */
    public static final class Builder {
        private String prompt = "", negativePrompt = "";
        private Integer width, height, steps, clipSkip, batchCount, shiftedTimestep;
        private Float cfgScale, imageCfgScale, distilledGuidance, eta, strength, controlStrength, flowShift;
        private Long seed;
        private SamplingMethod samplingMethod;
        private Scheduler scheduler;
        private SkipLayerGuidance skipLayerGuidance;
        private float[] customSigmas;
        private SdImage initImage, mask, controlImage;
        private final List<SdImage> referenceImages = new ArrayList<>();
        private Boolean autoResizeReferenceImages, increaseReferenceIndex;
        private final List<Lora> loras = new ArrayList<>();
        private PhotoMaker photoMaker;
        private VaeTiling vaeTiling;
        private CacheParams cache;
        private HiresFix hires;
        private PreviewMode previewMode = PreviewMode.NONE;
        private int previewInterval = 1;
        private boolean previewNoisy;
        private ProgressListener progressListener;
        private PreviewListener previewListener;

        private Builder() {
        }

        /** What to draw, at most {@value #MAX_PROMPT_LENGTH} chars; sd.cpp encodes long prompts in chunks. */
        public Builder prompt(String v) {
            if (v == null) {
                throw new IllegalArgumentException("prompt must not be null (use \"\" for none)");
            }
            checkLength(v, "prompt");
            prompt = v;
            return this;
        }

        /** What not to draw, at most {@value #MAX_PROMPT_LENGTH} chars. Default "". */
        public Builder negativePrompt(String v) {
            if (v == null) {
                throw new IllegalArgumentException("negativePrompt must not be null (use \"\" for none)");
            }
            checkLength(v, "negativePrompt");
            negativePrompt = v;
            return this;
        }

        /** Image size in pixels, each a multiple of 8 in 8..{@value #MAX_SIDE}. Default 512x512. */
        public Builder size(int width, int height) {
            this.width = side(width, "width");
            this.height = side(height, "height");
            return this;
        }

        /** Image width in pixels, a multiple of 8 in 8..{@value #MAX_SIDE}. Default 512. */
        public Builder width(int v) {
            width = side(v, "width");
            return this;
        }

        /** Image height in pixels, a multiple of 8 in 8..{@value #MAX_SIDE}. Default 512. */
        public Builder height(int v) {
            height = side(v, "height");
            return this;
        }

        private static int side(int v, String what) {
            if (v < 8 || v > MAX_SIDE || v % 8 != 0) {
                throw new IllegalArgumentException(what + " must be a multiple of 8 in 8.." + MAX_SIDE + ", got " + v);
            }
            return v;
        }

        /** Sampling steps, 1..{@value #MAX_STEPS}. Default 20. */
        public Builder steps(int v) {
            if (v < 1 || v > MAX_STEPS) {
                throw new IllegalArgumentException("steps must be 1.." + MAX_STEPS + ", got " + v);
            }
            steps = v;
            return this;
        }

        /** Text classifier-free guidance scale, finite, 0..100; 1 disables the negative pass. Default 7. */
        public Builder cfgScale(float v) {
            cfgScale = finite(v, 0, 100, "cfgScale");
            return this;
        }

        /** Image guidance scale for instruct-pix2pix style models, finite. Default: same as {@link #cfgScale}. */
        public Builder imageCfgScale(float v) {
            imageCfgScale = finite(v, 0, 100, "imageCfgScale");
            return this;
        }

        /** Distilled guidance for guidance-distilled models (Flux), finite 0..100. Default 3.5. */
        public Builder distilledGuidance(float v) {
            distilledGuidance = finite(v, 0, 100, "distilledGuidance");
            return this;
        }

        /** Skip-layer guidance (DiT models). Default off. */
        public Builder skipLayerGuidance(SkipLayerGuidance v) {
            skipLayerGuidance = v;
            return this;
        }

        /** The sampler. Default: sd.cpp's choice for the model (euler_a for SD1.x). */
        public Builder samplingMethod(SamplingMethod v) {
            samplingMethod = v;
            return this;
        }

        /** The noise schedule. Default: sd.cpp's choice for the model and sampler. */
        public Builder scheduler(Scheduler v) {
            scheduler = v;
            return this;
        }

        /** Eta for ancestral/DDIM-like samplers, finite 0..10. Default: the sampler's. */
        public Builder eta(float v) {
            eta = finite(v, 0, 10, "eta");
            return this;
        }

        /** Shifted timestep (NitroFusion-style models), 0..1000. Default 0. */
        public Builder shiftedTimestep(int v) {
            if (v < 0 || v > 1000) {
                throw new IllegalArgumentException("shiftedTimestep must be 0..1000, got " + v);
            }
            shiftedTimestep = v;
            return this;
        }

        /** Explicit sigmas, replacing the scheduler; finite, non-negative, 1..{@value #MAX_STEPS}+1 values. */
        public Builder customSigmas(float... v) {
            if (v == null || v.length == 0 || v.length > MAX_STEPS + 1) {
                throw new IllegalArgumentException("customSigmas must hold 1.." + (MAX_STEPS + 1) + " values");
            }
            for (float f : v) {
                finite(f, 0, Float.MAX_VALUE, "customSigmas value");
            }
            customSigmas = v.clone();
            return this;
        }

        /** Flow shift for flow-matching models, finite. Default: the model's. */
        public Builder flowShift(float v) {
            flowShift = finite(v, -1000, 1000, "flowShift");
            return this;
        }

        /** Layers of CLIP to skip at the end, 1..12 (or -1 for the model's default). */
        public Builder clipSkip(int v) {
            if (v != -1 && (v < 1 || v > 12)) {
                throw new IllegalArgumentException("clipSkip must be -1 or 1..12, got " + v);
            }
            clipSkip = v;
            return this;
        }

        /** The seed; image i of a batch uses seed + i. Default: random, reported in the results. */
        public Builder seed(long v) {
            if (v < 0) {
                throw new IllegalArgumentException("seed must be >= 0 (leave it unset for a random one), got " + v);
            }
            seed = v;
            return this;
        }

        /** Images to generate in one call, 1..{@value #MAX_BATCH}. Default 1. */
        public Builder batchCount(int v) {
            if (v < 1 || v > MAX_BATCH) {
                throw new IllegalArgumentException("batchCount must be 1.." + MAX_BATCH + ", got " + v);
            }
            batchCount = v;
            return this;
        }

        /** Starts from this image (img2img); must have the request's size. */
        public Builder initImage(SdImage v) {
            initImage = v;
            return this;
        }

        /** How much img2img changes the init image, in [0,1]. Default 0.75. */
        public Builder strength(float v) {
            strength = finite(v, 0, 1, "strength");
            return this;
        }

        /** Inpainting mask: white repaints, black keeps; the request's size; needs an init image. */
        public Builder mask(SdImage v) {
            mask = v;
            return this;
        }

        /** ControlNet conditioning image, the request's size; needs a context with a ControlNet. */
        public Builder controlImage(SdImage v) {
            controlImage = v;
            return this;
        }

        /** ControlNet strength, finite 0..10. Default 0.9. */
        public Builder controlStrength(float v) {
            controlStrength = finite(v, 0, 10, "controlStrength");
            return this;
        }

        /** Adds a reference image (edit models such as Flux Kontext, Qwen-Image-Edit). */
        public Builder referenceImage(SdImage v) {
            if (v == null) {
                throw new IllegalArgumentException("reference image must not be null");
            }
            referenceImages.add(v);
            return this;
        }

        /** Resize reference images to the output size. Default false. */
        public Builder autoResizeReferenceImages(boolean v) {
            autoResizeReferenceImages = v;
            return this;
        }

        /** Give each reference image its own index. Default false. */
        public Builder increaseReferenceIndex(boolean v) {
            increaseReferenceIndex = v;
            return this;
        }

        /** Applies a LoRA to this request. */
        public Builder lora(Lora v) {
            if (v == null) {
                throw new IllegalArgumentException("lora must not be null");
            }
            loras.add(v);
            return this;
        }

        /** PhotoMaker inputs. */
        public Builder photoMaker(PhotoMaker v) {
            photoMaker = v;
            return this;
        }

        /** Tiled VAE (less memory at large sizes); null turns it off (default). */
        public Builder vaeTiling(VaeTiling v) {
            vaeTiling = v;
            return this;
        }

        /** Step cache settings; default off. */
        public Builder cache(CacheParams v) {
            cache = v;
            return this;
        }

        /** High-resolution fix; null turns it off (default). */
        public Builder hires(HiresFix v) {
            hires = v;
            return this;
        }

        /** Receives the progress of this request: one event per sampling step (and VAE tile). */
        public Builder progress(ProgressListener v) {
            progressListener = v;
            return this;
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
            if (interval < 1 || interval > MAX_STEPS) {
                throw new IllegalArgumentException("preview interval must be 1.." + MAX_STEPS + ", got " + interval);
            }
            previewMode = mode;
            previewInterval = interval;
            previewNoisy = noisy;
            previewListener = listener;
            return this;
        }

        private static void checkLength(String v, String what) {
            if (v.length() > MAX_PROMPT_LENGTH) {
                throw new IllegalArgumentException(what + " must be at most " + MAX_PROMPT_LENGTH + " chars, got " + v.length());
            }
        }

        private static float finite(float v, float min, float max, String what) {
            if (!Float.isFinite(v) || v < min || v > max) {
                throw new IllegalArgumentException(what + " must be a finite number in [" + min + ", " + max + "], got " + v);
            }
            return v;
        }

        /** The immutable request. */
        public GenerationRequest build() {
            return new GenerationRequest(this);
        }
    }
}
