package dev.sdjava;

import dev.sdjava.internal.options.CField;
import dev.sdjava.internal.options.ModelConfigOptions;
import dev.sdjava.internal.options.Option;
import dev.sdjava.internal.options.Options;
import dev.sdjava.internal.options.Range;
import dev.sdjava.internal.options.Singular;

import java.nio.file.Path;
import java.util.Map;

/**
 * What to load into a {@link StableDiffusion} context and how (sd.cpp's {@code sd_ctx_params_t}).
 * Immutable; made with {@link #builder()}. Every option reads back through its accessor, which
 * returns null while the option is unset.
 *
 * <p>Give either a full checkpoint ({@link Builder#model}) or separate components (diffusion
 * model, text encoders, VAE...). Every option left unset keeps the default of sd.cpp's
 * {@code sd_ctx_params_init}, read when the context is loaded, with two exceptions that a
 * long-lived Java context needs: {@code free_params_immediately} is false (so the context can
 * generate more than once) and {@code vae_decode_only} is false (so img2img and inpainting work
 * on any context). Set them to save memory in one-shot use.
 *
 * <p>Paths are checked when the context is created: each file must exist and its header must be
 * a well-formed GGUF, safetensors or PyTorch checkpoint ({@link ModelFile#read}), else
 * {@link InvalidModelFileException}.
 *
 * @param model                   a full checkpoint (.safetensors, .ckpt or .gguf) holding diffusion model, text encoder and VAE
 * @param clipL                   CLIP-L text encoder (SD3, Flux, SDXL split files)
 * @param clipG                   CLIP-G text encoder (SDXL, SD3)
 * @param clipVision              CLIP vision encoder (image prompts, Wan I2V)
 * @param t5xxl                   T5-XXL text encoder (SD3, Flux)
 * @param llm                     LLM text encoder (Qwen-Image, Z-Image and similar)
 * @param llmVision               vision part of the LLM encoder
 * @param diffusionModel          a standalone diffusion model (UNet or DiT), instead of a full checkpoint
 * @param highNoiseDiffusionModel the high-noise diffusion model of two-stage video models (Wan 2.2)
 * @param vae                     a separate VAE, replacing the checkpoint's
 * @param taesd                   TAESD, a tiny autoencoder that decodes much faster than the full VAE (lower quality)
 * @param controlNet              a ControlNet model; requests then may give a control image
 * @param photoMaker              a PhotoMaker model
 * @param embeddings              textual-inversion embeddings by name, used when the name appears in a prompt
 * @param tensorTypeRules         per-tensor weight type rules, e.g. {@code "^vae\\.=f16,model\\.=q8_0"}
 * @param vaeDecodeOnly           true keeps only the VAE decoder (saves memory; img2img and inpainting then fail); default false
 * @param freeParamsImmediately   true frees the weights after the first generation (one-shot use only); default false
 * @param threads                 CPU threads for computation, 1..1024; default: sd.cpp's count of physical cores
 * @param weightType              converts weights to this type while loading (e.g. {@link WeightType#Q8_0} to save memory); default: as stored
 * @param rng                     RNG for the initial noise; default {@link RngType#CUDA}, as sd.cpp
 * @param samplerRng              RNG for the sampler's own noise; default: the same as {@code rng}
 * @param prediction              overrides what the model predicts; default: detected from the model
 * @param loraApplyMode           when LoRAs are applied; default {@link LoraApplyMode#AUTO}
 * @param offloadParamsToCpu      keeps weights in RAM and moves them to the GPU only when needed; default false
 * @param mmap                    maps the model file into memory instead of reading it; default false
 * @param keepClipOnCpu           runs the text encoder on the CPU even with a GPU backend; default false
 * @param keepControlNetOnCpu     runs the ControlNet on the CPU; default false
 * @param keepVaeOnCpu            runs the VAE on the CPU; default false
 * @param flashAttention          flash attention in every model; default false
 * @param diffusionFlashAttention flash attention in the diffusion model only; default false
 * @param taePreviewOnly          uses TAESD only for previews, the full VAE for results; default false
 * @param diffusionConvDirect     direct convolution in the diffusion model (less memory on some backends); default false
 * @param vaeConvDirect           direct convolution in the VAE; default false
 * @param circularX               seamless tiling along x; default false
 * @param circularY               seamless tiling along y; default false
 * @param forceSdxlVaeConvScale   forces the SDXL VAE convolution scale; default false
 * @param chromaUseDitMask        Chroma: use the DiT mask; default true
 * @param chromaUseT5Mask         Chroma: use the T5 mask; default false
 * @param chromaT5MaskPad         Chroma: T5 mask padding, 0..1024; default 1
 * @param qwenImageZeroCondT      Qwen-Image: zero conditioning timestep; default false
 * @param maxVram                 largest GPU memory to use, in GiB, finite and at least 0 (0 = no limit); default 0
 * @param maxMemory               a budget for the peak RSS of the process, in bytes (1 MiB..1 PiB): loading picks diffusion flash attention, VAE tiling, q8_0 or q4_0 weights (a converted copy next to the model file, written once) and, with {@code maxMemoryTaesd}, TAESD, until sdjava's estimate fits, and logs what it chose ({@link StableDiffusion#memoryPlan()}); options set here are kept as given. Null (default): no budget
 * @param maxMemoryImageSize      the largest width or height, in pixels (64..16384), that {@code maxMemory} plans for; default 512
 * @param maxMemoryTaesd          a TAESD file that {@code maxMemory} may decode with when nothing else fits (lower image quality); default none, and the budget never chooses TAESD
 */
@Options
public record ModelConfig(
        @CField("model_path") Path model,
        @CField("clip_l_path") Path clipL,
        @CField("clip_g_path") Path clipG,
        @CField("clip_vision_path") Path clipVision,
        @CField("t5xxl_path") Path t5xxl,
        @CField("llm_path") Path llm,
        @CField("llm_vision_path") Path llmVision,
        @CField("diffusion_model_path") Path diffusionModel,
        @CField("high_noise_diffusion_model_path") Path highNoiseDiffusionModel,
        @CField("vae_path") Path vae,
        @CField("taesd_path") Path taesd,
        @CField("control_net_path") Path controlNet,
        @CField("photo_maker_path") Path photoMaker,
        @Singular("embedding") Map<String, Path> embeddings,
        @CField("tensor_type_rules") String tensorTypeRules,
        @CField("vae_decode_only") boolean vaeDecodeOnly,
        @CField("free_params_immediately") boolean freeParamsImmediately,
        @CField("n_threads") @Range(min = 1, max = 1024) Integer threads,
        @CField("wtype") WeightType weightType,
        @CField("rng_type") RngType rng,
        @CField("sampler_rng_type") RngType samplerRng,
        @CField("prediction") Prediction prediction,
        @CField("lora_apply_mode") LoraApplyMode loraApplyMode,
        @CField("offload_params_to_cpu") Boolean offloadParamsToCpu,
        @CField("enable_mmap") Boolean mmap,
        @CField("keep_clip_on_cpu") Boolean keepClipOnCpu,
        @CField("keep_control_net_on_cpu") Boolean keepControlNetOnCpu,
        @CField("keep_vae_on_cpu") Boolean keepVaeOnCpu,
        @CField("flash_attn") Boolean flashAttention,
        @CField("diffusion_flash_attn") Boolean diffusionFlashAttention,
        @CField("tae_preview_only") Boolean taePreviewOnly,
        @CField("diffusion_conv_direct") Boolean diffusionConvDirect,
        @CField("vae_conv_direct") Boolean vaeConvDirect,
        @CField("circular_x") Boolean circularX,
        @CField("circular_y") Boolean circularY,
        @CField("force_sdxl_vae_conv_scale") Boolean forceSdxlVaeConvScale,
        @CField("chroma_use_dit_mask") Boolean chromaUseDitMask,
        @CField("chroma_use_t5_mask") Boolean chromaUseT5Mask,
        @CField("chroma_t5_mask_pad") @Range(min = 0, max = 1024) Integer chromaT5MaskPad,
        @CField("qwen_image_zero_cond_t") Boolean qwenImageZeroCondT,
        @CField("max_vram") @Range(min = 0, max = 1e9) Float maxVram,
        @Range(min = 1 << 20, max = 1L << 50) Long maxMemory,
        @Range(min = 64, max = 16384) Integer maxMemoryImageSize,
        Path maxMemoryTaesd) {

    /** Copies the embeddings map; a config made with {@code new} is as immutable as a built one. */
    public ModelConfig {
        embeddings = embeddings == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(embeddings));
    }

    /** A new builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration, to derive a changed copy. */
    public Builder toBuilder() {
        return new Builder().from(this);
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
        for (Option<ModelConfig> o : ModelConfigOptions.ALL) {
            if (o.type() == Path.class && o.get().apply(this) instanceof Path p) {
                ModelFile.check(p, o.name());
            }
        }
        embeddings.forEach((name, file) -> ModelFile.check(file, "embedding " + name));
    }

    /** The options that are set, e.g. {@code ModelConfig[model=sd15.safetensors, threads=4]}. */
    @Override
    public String toString() {
        return Option.describe(this, ModelConfigOptions.ALL);
    }

    /** Builds a {@link ModelConfig}. Not thread-safe. Unset options keep sd.cpp's defaults. */
    public static final class Builder extends ModelConfigBuilderBase {
        private Builder() {
        }
    }
}
