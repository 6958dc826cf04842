package dev.sdjava;

import dev.sdjava.internal.natives.Callbacks;
import dev.sdjava.internal.natives.Native;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.bindings.sd_ctx_params_t;
import dev.sdjava.internal.bindings.sd_embedding_t;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What to load into a {@link StableDiffusion} context and how (sd.cpp's {@code sd_ctx_params_t}).
 * Immutable; made with {@link #builder()}.
 *
 * <p>Give either a full checkpoint ({@link Builder#model}) or separate components (diffusion
 * model, text encoders, VAE...). Every option left unset keeps the default of sd.cpp's
 * {@code sd_ctx_params_init}, read from the native library, with two exceptions that a
 * long-lived Java context needs: {@code free_params_immediately} is false (so the context can
 * generate more than once) and {@code vae_decode_only} is false (so img2img and inpainting work
 * on any context). Set them with {@link Builder#freeParamsImmediately} and
 * {@link Builder#vaeDecodeOnly} to save memory in one-shot use.
 *
 * <p>Paths are checked when the context is created: each file must exist and its header must be
 * a well-formed GGUF, safetensors or PyTorch checkpoint ({@link ModelFile#read}), else
 * {@link InvalidModelFileException}.
 */
public final class ModelConfig {
    private final Path model, clipL, clipG, clipVision, t5xxl, llm, llmVision, diffusionModel,
            highNoiseDiffusionModel, vae, taesd, controlNet, photoMaker;
    private final Map<String, Path> embeddings;
    private final String tensorTypeRules;
    private final Boolean vaeDecodeOnly, freeParamsImmediately, offloadParamsToCpu, mmap, keepClipOnCpu,
            keepControlNetOnCpu, keepVaeOnCpu, flashAttention, diffusionFlashAttention, taePreviewOnly,
            diffusionConvDirect, vaeConvDirect, circularX, circularY, forceSdxlVaeConvScale, chromaUseDitMask,
            chromaUseT5Mask, qwenImageZeroCondT;
    private final Integer threads, chromaT5MaskPad;
    private final WeightType weightType;
    private final RngType rng, samplerRng;
    private final Prediction prediction;
    private final LoraApplyMode loraApplyMode;
    private final Float maxVram;

    private ModelConfig(Builder b) {
        model = b.model;
        clipL = b.clipL;
        clipG = b.clipG;
        clipVision = b.clipVision;
        t5xxl = b.t5xxl;
        llm = b.llm;
        llmVision = b.llmVision;
        diffusionModel = b.diffusionModel;
        highNoiseDiffusionModel = b.highNoiseDiffusionModel;
        vae = b.vae;
        taesd = b.taesd;
        controlNet = b.controlNet;
        photoMaker = b.photoMaker;
        embeddings = Map.copyOf(b.embeddings);
        tensorTypeRules = b.tensorTypeRules;
        vaeDecodeOnly = b.vaeDecodeOnly;
        freeParamsImmediately = b.freeParamsImmediately;
        offloadParamsToCpu = b.offloadParamsToCpu;
        mmap = b.mmap;
        keepClipOnCpu = b.keepClipOnCpu;
        keepControlNetOnCpu = b.keepControlNetOnCpu;
        keepVaeOnCpu = b.keepVaeOnCpu;
        flashAttention = b.flashAttention;
        diffusionFlashAttention = b.diffusionFlashAttention;
        taePreviewOnly = b.taePreviewOnly;
        diffusionConvDirect = b.diffusionConvDirect;
        vaeConvDirect = b.vaeConvDirect;
        circularX = b.circularX;
        circularY = b.circularY;
        forceSdxlVaeConvScale = b.forceSdxlVaeConvScale;
        chromaUseDitMask = b.chromaUseDitMask;
        chromaUseT5Mask = b.chromaUseT5Mask;
        qwenImageZeroCondT = b.qwenImageZeroCondT;
        threads = b.threads;
        chromaT5MaskPad = b.chromaT5MaskPad;
        weightType = b.weightType;
        rng = b.rng;
        samplerRng = b.samplerRng;
        prediction = b.prediction;
        loraApplyMode = b.loraApplyMode;
        maxVram = b.maxVram;
    }

    /** A new builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration, to derive a changed copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.model = model;
        b.clipL = clipL;
        b.clipG = clipG;
        b.clipVision = clipVision;
        b.t5xxl = t5xxl;
        b.llm = llm;
        b.llmVision = llmVision;
        b.diffusionModel = diffusionModel;
        b.highNoiseDiffusionModel = highNoiseDiffusionModel;
        b.vae = vae;
        b.taesd = taesd;
        b.controlNet = controlNet;
        b.photoMaker = photoMaker;
        b.embeddings.putAll(embeddings);
        b.tensorTypeRules = tensorTypeRules;
        b.vaeDecodeOnly = vaeDecodeOnly;
        b.freeParamsImmediately = freeParamsImmediately;
        b.offloadParamsToCpu = offloadParamsToCpu;
        b.mmap = mmap;
        b.keepClipOnCpu = keepClipOnCpu;
        b.keepControlNetOnCpu = keepControlNetOnCpu;
        b.keepVaeOnCpu = keepVaeOnCpu;
        b.flashAttention = flashAttention;
        b.diffusionFlashAttention = diffusionFlashAttention;
        b.taePreviewOnly = taePreviewOnly;
        b.diffusionConvDirect = diffusionConvDirect;
        b.vaeConvDirect = vaeConvDirect;
        b.circularX = circularX;
        b.circularY = circularY;
        b.forceSdxlVaeConvScale = forceSdxlVaeConvScale;
        b.chromaUseDitMask = chromaUseDitMask;
        b.chromaUseT5Mask = chromaUseT5Mask;
        b.qwenImageZeroCondT = qwenImageZeroCondT;
        b.threads = threads;
        b.chromaT5MaskPad = chromaT5MaskPad;
        b.weightType = weightType;
        b.rng = rng;
        b.samplerRng = samplerRng;
        b.prediction = prediction;
        b.loraApplyMode = loraApplyMode;
        b.maxVram = maxVram;
        return b;
    }

    /** The full checkpoint, or null when components are given separately. */
    public Path model() {
        return model;
    }

    /** The standalone diffusion model (UNet/DiT), or null. */
    public Path diffusionModel() {
        return diffusionModel;
    }

    /** The VAE, or null to use the one in the checkpoint. */
    public Path vae() {
        return vae;
    }

    /** The TAESD tiny autoencoder used for decoding, or null. */
    public Path taesd() {
        return taesd;
    }

    /** The ControlNet, or null. */
    public Path controlNet() {
        return controlNet;
    }

    /** The thread count sd.cpp will use: the one set, or sd.cpp's default (physical cores). */
    public int threads() {
        return threads != null ? threads : Defaults.CTX.threads();
    }

    /** The RNG for the initial noise: the one set, or sd.cpp's default. */
    public RngType rng() {
        return rng != null ? rng : CEnums.of(RngType.values(), RngType::value, Defaults.CTX.rng());
    }

    /** The sampler RNG if set, or null (sd.cpp then uses {@link #rng()}). */
    public RngType samplerRng() {
        return samplerRng;
    }

    /**
     * Reads and checks every model file of this configuration in Java, before sd.cpp sees any of
     * them: sd.cpp aborts the process on some malformed headers.
     *
     * @throws InvalidModelFileException naming the argument of the first bad file
     */
    void checkFiles() {
        if (model == null && diffusionModel == null) {
            throw new IllegalArgumentException("ModelConfig needs a model (full checkpoint) or a diffusionModel");
        }
        Path[] paths = {model, clipL, clipG, clipVision, t5xxl, llm, llmVision, diffusionModel,
                highNoiseDiffusionModel, vae, taesd, controlNet, photoMaker};
        String[] names = {"model", "clipL", "clipG", "clipVision", "t5xxl", "llm", "llmVision", "diffusionModel",
                "highNoiseDiffusionModel", "vae", "taesd", "controlNet", "photoMaker"};
        for (int i = 0; i < paths.length; i++) {
            if (paths[i] != null) {
                ModelFile.check(paths[i], names[i]);
            }
        }
        embeddings.forEach((name, file) -> ModelFile.check(file, "embedding " + name));
    }

    /**
     * Fills an {@code sd_ctx_params_t} (already initialised by {@code sd_ctx_params_init}) with
     * this configuration; strings live in {@code arena}. Call {@link #checkFiles()} first.
     */
    void toNative(MemorySegment p, Arena arena) {
        sd_ctx_params_t.model_path(p, path(arena, model, "model"));
        sd_ctx_params_t.clip_l_path(p, path(arena, clipL, "clipL"));
        sd_ctx_params_t.clip_g_path(p, path(arena, clipG, "clipG"));
        sd_ctx_params_t.clip_vision_path(p, path(arena, clipVision, "clipVision"));
        sd_ctx_params_t.t5xxl_path(p, path(arena, t5xxl, "t5xxl"));
        sd_ctx_params_t.llm_path(p, path(arena, llm, "llm"));
        sd_ctx_params_t.llm_vision_path(p, path(arena, llmVision, "llmVision"));
        sd_ctx_params_t.diffusion_model_path(p, path(arena, diffusionModel, "diffusionModel"));
        sd_ctx_params_t.high_noise_diffusion_model_path(p, path(arena, highNoiseDiffusionModel, "highNoiseDiffusionModel"));
        sd_ctx_params_t.vae_path(p, path(arena, vae, "vae"));
        sd_ctx_params_t.taesd_path(p, path(arena, taesd, "taesd"));
        sd_ctx_params_t.control_net_path(p, path(arena, controlNet, "controlNet"));
        sd_ctx_params_t.photo_maker_path(p, path(arena, photoMaker, "photoMaker"));
        if (!embeddings.isEmpty()) {
            MemorySegment arr = sd_embedding_t.allocateArray(embeddings.size(), arena);
            int i = 0;
            for (var e : embeddings.entrySet()) {
                MemorySegment item = sd_embedding_t.asSlice(arr, i++);
                sd_embedding_t.name(item, Native.cString(arena, e.getKey(), "embedding name"));
                sd_embedding_t.path(item, path(arena, e.getValue(), "embedding " + e.getKey()));
            }
            sd_ctx_params_t.embeddings(p, arr);
            sd_ctx_params_t.embedding_count(p, embeddings.size());
        }
        if (tensorTypeRules != null) {
            sd_ctx_params_t.tensor_type_rules(p, Native.cString(arena, tensorTypeRules, "tensorTypeRules"));
        }
        sd_ctx_params_t.vae_decode_only(p, vaeDecodeOnly != null && vaeDecodeOnly);
        sd_ctx_params_t.free_params_immediately(p, freeParamsImmediately != null && freeParamsImmediately);
        if (threads != null) sd_ctx_params_t.n_threads(p, threads);
        if (weightType != null) sd_ctx_params_t.wtype(p, weightType.value());
        if (rng != null) sd_ctx_params_t.rng_type(p, rng.value());
        if (samplerRng != null) sd_ctx_params_t.sampler_rng_type(p, samplerRng.value());
        if (prediction != null) sd_ctx_params_t.prediction(p, prediction.value());
        if (loraApplyMode != null) sd_ctx_params_t.lora_apply_mode(p, loraApplyMode.value());
        if (offloadParamsToCpu != null) sd_ctx_params_t.offload_params_to_cpu(p, offloadParamsToCpu);
        if (mmap != null) sd_ctx_params_t.enable_mmap(p, mmap);
        if (keepClipOnCpu != null) sd_ctx_params_t.keep_clip_on_cpu(p, keepClipOnCpu);
        if (keepControlNetOnCpu != null) sd_ctx_params_t.keep_control_net_on_cpu(p, keepControlNetOnCpu);
        if (keepVaeOnCpu != null) sd_ctx_params_t.keep_vae_on_cpu(p, keepVaeOnCpu);
        if (flashAttention != null) sd_ctx_params_t.flash_attn(p, flashAttention);
        if (diffusionFlashAttention != null) sd_ctx_params_t.diffusion_flash_attn(p, diffusionFlashAttention);
        if (taePreviewOnly != null) sd_ctx_params_t.tae_preview_only(p, taePreviewOnly);
        if (diffusionConvDirect != null) sd_ctx_params_t.diffusion_conv_direct(p, diffusionConvDirect);
        if (vaeConvDirect != null) sd_ctx_params_t.vae_conv_direct(p, vaeConvDirect);
        if (circularX != null) sd_ctx_params_t.circular_x(p, circularX);
        if (circularY != null) sd_ctx_params_t.circular_y(p, circularY);
        if (forceSdxlVaeConvScale != null) sd_ctx_params_t.force_sdxl_vae_conv_scale(p, forceSdxlVaeConvScale);
        if (chromaUseDitMask != null) sd_ctx_params_t.chroma_use_dit_mask(p, chromaUseDitMask);
        if (chromaUseT5Mask != null) sd_ctx_params_t.chroma_use_t5_mask(p, chromaUseT5Mask);
        if (chromaT5MaskPad != null) sd_ctx_params_t.chroma_t5_mask_pad(p, chromaT5MaskPad);
        if (qwenImageZeroCondT != null) sd_ctx_params_t.qwen_image_zero_cond_t(p, qwenImageZeroCondT);
        if (maxVram != null) sd_ctx_params_t.max_vram(p, maxVram);
    }

    private static MemorySegment path(Arena arena, Path p, String what) {
        return p == null ? MemorySegment.NULL : Native.cPath(arena, p, what);
    }

    /** sd.cpp's own description of these parameters ({@code sd_ctx_params_to_str}). */
    public String describe() {
        Callbacks.install();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = sd_ctx_params_t.allocate(arena);
            SdCpp.sd_ctx_params_init(p);
            checkFiles();
            toNative(p, arena);
            return Native.takeString(SdCpp.sd_ctx_params_to_str(p));
        }
    }

    @Override
    public String toString() {
        return "ModelConfig[model=" + model + ", diffusionModel=" + diffusionModel + ", vae=" + vae + ", taesd=" + taesd
                + ", controlNet=" + controlNet + ", threads=" + threads + ", weightType=" + weightType
                + "]";
    }

    /** Builds a {@link ModelConfig}. Not thread-safe. Unset options keep sd.cpp's defaults. */
    public static final class Builder {
        private Path model, clipL, clipG, clipVision, t5xxl, llm, llmVision, diffusionModel, highNoiseDiffusionModel,
                vae, taesd, controlNet, photoMaker;
        private final Map<String, Path> embeddings = new LinkedHashMap<>();
        private String tensorTypeRules;
        private Boolean vaeDecodeOnly, freeParamsImmediately, offloadParamsToCpu, mmap, keepClipOnCpu,
                keepControlNetOnCpu, keepVaeOnCpu, flashAttention, diffusionFlashAttention, taePreviewOnly,
                diffusionConvDirect, vaeConvDirect, circularX, circularY, forceSdxlVaeConvScale, chromaUseDitMask,
                chromaUseT5Mask, qwenImageZeroCondT;
        private Integer threads, chromaT5MaskPad;
        private WeightType weightType;
        private RngType rng, samplerRng;
        private Prediction prediction;
        private LoraApplyMode loraApplyMode;
        private Float maxVram;

        private Builder() {
        }

        /** A full checkpoint (.safetensors, .ckpt or .gguf) holding diffusion model, text encoder and VAE. */
        public Builder model(Path p) { model = p; return this; }
        /** CLIP-L text encoder (SD3, Flux, SDXL split files). */
        public Builder clipL(Path p) { clipL = p; return this; }
        /** CLIP-G text encoder (SDXL, SD3). */
        public Builder clipG(Path p) { clipG = p; return this; }
        /** CLIP vision encoder (image-conditioned models). */
        public Builder clipVision(Path p) { clipVision = p; return this; }
        /** T5-XXL text encoder (SD3, Flux). */
        public Builder t5xxl(Path p) { t5xxl = p; return this; }
        /** LLM text encoder (Qwen-Image, Z-Image and similar). */
        public Builder llm(Path p) { llm = p; return this; }
        /** Vision part of the LLM encoder. */
        public Builder llmVision(Path p) { llmVision = p; return this; }
        /** A standalone diffusion model (UNet or DiT), instead of a full checkpoint. */
        public Builder diffusionModel(Path p) { diffusionModel = p; return this; }
        /** The high-noise diffusion model of two-stage video models (Wan 2.2). */
        public Builder highNoiseDiffusionModel(Path p) { highNoiseDiffusionModel = p; return this; }
        /** A separate VAE, replacing the checkpoint's. */
        public Builder vae(Path p) { vae = p; return this; }
        /** TAESD, a tiny autoencoder that decodes much faster than the full VAE (lower quality). */
        public Builder taesd(Path p) { taesd = p; return this; }
        /** A ControlNet model; requests then may give a control image. */
        public Builder controlNet(Path p) { controlNet = p; return this; }
        /** A PhotoMaker model. */
        public Builder photoMaker(Path p) { photoMaker = p; return this; }
        /** A textual-inversion embedding, used when {@code name} appears in a prompt. */
        public Builder embedding(String name, Path p) {
            Objects.requireNonNull(name, "embedding name");
            embeddings.put(name, p);
            return this;
        }
        /** Per-tensor weight type rules, e.g. {@code "^vae\\.=f16,model\\.=q8_0"}. */
        public Builder tensorTypeRules(String rules) { tensorTypeRules = rules; return this; }
        /** True keeps only the VAE decoder (saves memory; img2img and inpainting then fail). Default false. */
        public Builder vaeDecodeOnly(boolean v) { vaeDecodeOnly = v; return this; }
        /** True frees the weights after the first generation (one-shot use only). Default false. */
        public Builder freeParamsImmediately(boolean v) { freeParamsImmediately = v; return this; }
        /** CPU threads for computation, at least 1. Default: sd.cpp's count of physical cores. */
        public Builder threads(int n) {
            if (n < 1 || n > 1024) {
                throw new IllegalArgumentException("threads must be 1..1024, got " + n);
            }
            threads = n;
            return this;
        }
        /** Converts weights to this type while loading (e.g. {@link WeightType#Q8_0} to save memory). Default: as stored. */
        public Builder weightType(WeightType t) { weightType = t; return this; }
        /** RNG for the initial noise. Default {@link RngType#CUDA}, as sd.cpp. */
        public Builder rng(RngType r) { rng = r; return this; }
        /** RNG for the sampler's own noise. Default: the same as {@link #rng}. */
        public Builder samplerRng(RngType r) { samplerRng = r; return this; }
        /** Overrides what the model predicts. Default: detected from the model. */
        public Builder prediction(Prediction p) { prediction = p; return this; }
        /** When LoRAs are applied. Default {@link LoraApplyMode#AUTO}. */
        public Builder loraApplyMode(LoraApplyMode m) { loraApplyMode = m; return this; }
        /** Keeps weights in RAM and moves them to the GPU only when needed. Default false. */
        public Builder offloadParamsToCpu(boolean v) { offloadParamsToCpu = v; return this; }
        /** Maps the model file into memory instead of reading it. Default false. */
        public Builder mmap(boolean v) { mmap = v; return this; }
        /** Runs the text encoder on the CPU even with a GPU backend. Default false. */
        public Builder keepClipOnCpu(boolean v) { keepClipOnCpu = v; return this; }
        /** Runs the ControlNet on the CPU. Default false. */
        public Builder keepControlNetOnCpu(boolean v) { keepControlNetOnCpu = v; return this; }
        /** Runs the VAE on the CPU. Default false. */
        public Builder keepVaeOnCpu(boolean v) { keepVaeOnCpu = v; return this; }
        /** Flash attention in every model. Default false. */
        public Builder flashAttention(boolean v) { flashAttention = v; return this; }
        /** Flash attention in the diffusion model only. Default false. */
        public Builder diffusionFlashAttention(boolean v) { diffusionFlashAttention = v; return this; }
        /** Uses TAESD only for previews, the full VAE for results. Default false. */
        public Builder taePreviewOnly(boolean v) { taePreviewOnly = v; return this; }
        /** Direct convolution in the diffusion model (less memory on some backends). Default false. */
        public Builder diffusionConvDirect(boolean v) { diffusionConvDirect = v; return this; }
        /** Direct convolution in the VAE. Default false. */
        public Builder vaeConvDirect(boolean v) { vaeConvDirect = v; return this; }
        /** Seamless tiling along x. Default false. */
        public Builder circularX(boolean v) { circularX = v; return this; }
        /** Seamless tiling along y. Default false. */
        public Builder circularY(boolean v) { circularY = v; return this; }
        /** Forces the SDXL VAE convolution scale. Default false. */
        public Builder forceSdxlVaeConvScale(boolean v) { forceSdxlVaeConvScale = v; return this; }
        /** Chroma: use the DiT mask. Default true. */
        public Builder chromaUseDitMask(boolean v) { chromaUseDitMask = v; return this; }
        /** Chroma: use the T5 mask. Default false. */
        public Builder chromaUseT5Mask(boolean v) { chromaUseT5Mask = v; return this; }
        /** Chroma: T5 mask padding. Default 1. */
        public Builder chromaT5MaskPad(int v) { chromaT5MaskPad = v; return this; }
        /** Qwen-Image: zero conditioning timestep. Default false. */
        public Builder qwenImageZeroCondT(boolean v) { qwenImageZeroCondT = v; return this; }
        /** Largest GPU memory to use, in GiB (0 = no limit). Default 0. */
        public Builder maxVram(float gib) {
            if (!(gib >= 0) || Float.isInfinite(gib)) {
                throw new IllegalArgumentException("maxVram must be a finite number >= 0 (GiB), got " + gib);
            }
            maxVram = gib;
            return this;
        }
        /** The immutable configuration. */
        public ModelConfig build() {
            return new ModelConfig(this);
        }
    }
}
