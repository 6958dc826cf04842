package dev.sdjava.synthetic;

import java.util.List;

/**
 * The model architectures {@link SyntheticModel} can write: real architectures, in the tensor naming of their usual
 * checkpoints, with random weights. stable-diffusion.cpp loads and runs them like the real ones; the pictures they
 * make are noise.
 *
 * <p>Sizes below are parameter counts; a file takes that many times {@link Precision#bytesPerElement()} bytes plus a
 * header of a few kilobytes to a hundred kilobytes.
 */
public enum Architecture {
    /**
     * A full Stable Diffusion 1.x checkpoint in the original (LDM) naming: the UNet under
     * {@code model.diffusion_model.}, the CLIP ViT-L/14 text encoder under
     * {@code cond_stage_model.transformer.text_model.} and the KL autoencoder under {@code first_stage_model.}.
     * 1130 tensors, 1,066,235,307 parameters (the same as the real v1.5 checkpoint; 2.1 GB in F16). sd.cpp detects
     * it as "SD 1.x". Load it with {@code --model}.
     */
    SD1("sd1", "Stable Diffusion 1.x checkpoint (UNet + CLIP ViT-L/14 text encoder + KL VAE)"),

    /**
     * As {@link #SD1} with the reduced UNet that sd.cpp detects as "SD 1.x Tiny UNet" (BK-SDM-Tiny style: no
     * middle block, one residual block per level, three levels): 802 tensors, about 530 million parameters (1.06 GB
     * in F16). The text encoder and VAE are the full ones. Load it with {@code --model}.
     */
    /**
     * A full Stable Diffusion 2.x checkpoint in the LDM naming: the UNet with SD 2.x's settings (64-channel
     * attention heads, linear {@code proj_in}/{@code proj_out}, a 1024-wide context) under
     * {@code model.diffusion_model.}, the OpenCLIP ViT-H/14 text encoder in the OpenCLIP naming under
     * {@code cond_stage_model.model.} and the KL autoencoder under {@code first_stage_model.}. sd.cpp detects it as
     * "SD 2.x" and, from the UNet's output on its probe input, as a v-prediction model (like SD 2.x 768-v): the
     * bias of the UNet's last convolution is -1 for that. Load it with {@code --model}.
     */
    SD2("sd2", "Stable Diffusion 2.x checkpoint, v-prediction (UNet + OpenCLIP ViT-H/14 text encoder + KL VAE)"),

    /**
     * A single-file SDXL checkpoint of the smallest SDXL variant sd.cpp knows, Segmind Vega
     * ({@code VERSION_SDXL_VEGA}: transformer depths 1, 1, 2 and no attention in the middle block), in the naming of
     * the SDXL base checkpoint: the UNet under {@code model.diffusion_model.}, CLIP ViT-L/14 under
     * {@code conditioner.embedders.0.transformer.text_model.}, OpenCLIP ViT-bigG/14 (with its text projection)
     * under {@code conditioner.embedders.1.model.} and the KL autoencoder (the SDXL VAE has the SD 1.x layout)
     * under {@code first_stage_model.}. Load it with {@code --model}.
     */
    SDXL_VEGA("sdxl-vega", "SDXL (Segmind Vega variant) checkpoint: UNet + CLIP-L + OpenCLIP bigG/14 + KL VAE"),

    SD1_TINY("sd1-tiny", "SD 1.x with the tiny UNet (VERSION_SD1_TINY_UNET) + CLIP ViT-L/14 + KL VAE"),

    /**
     * The smallest text-to-image pipeline sd.cpp accepts for the UNet family: the SDXS-512 layout (sd.cpp's
     * "SDXS (512-DS)" version: the tiny UNet without full-resolution attention), the CLIP ViT-L/14 text encoder
     * and a tiny autoencoder (TAESD layout under {@code first_stage_model.}), which sd.cpp always uses for this
     * version: 610 tensors, about 441 million parameters (0.88 GB in F16). Load it with {@code --model}; no
     * {@code --taesd} is needed.
     */
    SDXS("sdxs", "SDXS-512 layout: tiny UNet + CLIP ViT-L/14 + built-in tiny autoencoder"),

    /**
     * A tiny autoencoder for SD 1.x latents in the layout of madebyollin's TAESD ({@code decoder.layers.*},
     * {@code encoder.layers.*}): 134 tensors, about 2.4 million parameters. Pass it with {@code --taesd} next to an
     * SD 1.x model, whose own {@code first_stage_model.} tensors are then ignored.
     */
    TAESD("taesd", "tiny autoencoder (TAESD) for SD 1.x latents"),

    /**
     * A rank-4 LoRA for {@link #SD1} in the kohya-ss naming ({@code lora_unet_*}, {@code lora_te_*} with
     * {@code .lora_down.weight}, {@code .lora_up.weight} and {@code .alpha} = rank, so its scale is 1): every
     * attention block of the UNet (projections, attention and feed-forward layers) and every attention and MLP layer
     * of the text encoder: 264 modules, 792 tensors, about 2.4 million parameters. Put it in the
     * {@code --lora-model-dir} and name it in the prompt as {@code <lora:FILE_NAME_WITHOUT_EXTENSION:1>}; sd.cpp
     * applies all 792 tensors and the picture changes noticeably.
     */
    SD1_LORA("sd1-lora", "rank-4 LoRA (kohya-ss naming) for the SD 1.x UNet and text encoder"),

    /**
     * A ControlNet for SD 1.x in the original naming ({@code control_model.*}: the UNet's encoder half, the hint
     * encoder, zero convolutions, which here are random rather than zero, so the control image changes the
     * result): 340 tensors, about 361 million parameters. Pass it with {@code --control-net} and a
     * {@code --control-image}.
     */
    SD1_CONTROLNET("sd1-controlnet", "ControlNet for SD 1.x (control_model.* naming)"),

    /**
     * A 4x ESRGAN upscaler in the BasicSR RRDBNet naming ({@code conv_first}, {@code body.N.rdbK.convM},
     * {@code conv_body}, {@code conv_up1}, {@code conv_up2}, {@code conv_hr}, {@code conv_last}) with a single RRDB
     * block (sd.cpp infers the block count and the scale from the tensor names): 42 tensors, about 0.87 million
     * parameters. Pass it with {@code --upscale-model}.
     */
    ESRGAN("esrgan-x4", "4x ESRGAN upscaler (RRDBNet, 1 block)"),

    /**
     * A FLUX.1 [schnell] diffusion model as a standalone file, in the naming of Black Forest Labs'
     * {@code flux1-schnell.safetensors} ({@code img_in}, {@code time_in}, {@code vector_in}, {@code txt_in},
     * {@code double_blocks.N}, {@code single_blocks.N}, {@code final_layer}; no {@code guidance_in}, which is what
     * tells schnell from dev), with the real model's widths (hidden size 3072, 24 heads of 128, MLP 12288, a
     * 4096-wide text context, 768-wide pooled vector, 16 latent channels in 2x2 patches) but <b>truncated to
     * 1 double-stream and 1 single-stream block of the real 19 and 38</b>: sd.cpp counts the blocks from the tensor
     * names. 48 tensors, 535,318,336 parameters (1.07 GB in F16; the real model has 11.9 billion). sd.cpp
     * detects it as "Flux". Load it with {@code --diffusion-model}, beside {@link #FLUX_VAE} ({@code --vae}) and
     * {@link #CLIP_L} ({@code --clip_l}); without a T5-XXL ({@code --t5xxl}) sd.cpp feeds the text stream zeros.
     */
    FLUX_SCHNELL_DIT("flux-schnell-dit", "FLUX.1 [schnell] diffusion model, real widths, 1 of 19 double + 1 of 38 single blocks"),

    /**
     * A FLUX.1 [dev] diffusion model: {@link #FLUX_SCHNELL_DIT} with {@code guidance_in} (the MLP embedding the
     * distilled guidance, {@code --guidance}, default 3.5), which is how sd.cpp tells dev from schnell (its log:
     * "guidance_embed = true"; it also gives dev a default flow shift of 1.15 instead of 1). The same widths,
     * <b>1 double-stream and 1 single-stream block of the real 19 and 38</b>: 52 tensors, 545,548,096 parameters (1.09 GB in F16).
     * FLUX.1 Kontext [dev] has this architecture too (sd.cpp needs nothing in the file to run it as an edit model:
     * any FLUX.1 model takes reference images, {@code -r}, as extra latent tokens). Load it with
     * {@code --diffusion-model}, beside {@link #FLUX_VAE} and {@link #CLIP_L}.
     */
    FLUX_DEV_DIT("flux-dev-dit", "FLUX.1 [dev] / Kontext [dev] diffusion model, real widths, 1 of 19 double + 1 of 38 single blocks"),

    /**
     * A Chroma diffusion model in the naming of lodestones' {@code chroma-unlocked} checkpoints: FLUX.1 [schnell]'s
     * transformer with pruned modulation, i.e. {@code distilled_guidance_layer} (in_proj, 5 RMS-normed MLP layers
     * of width 5120, out_proj; sd.cpp fixes that size, so it is written in full) computing every block's modulation
     * instead of {@code time_in}, {@code vector_in} and the blocks' own {@code mod}/{@code modulation} layers, and a
     * final layer without adaLN. Real widths, <b>1 double-stream and 1 single-stream block of the real 19 and 38</b>
     * (sd.cpp counts them from the names): 61 tensors, 631,086,912 parameters (1.26 GB in F16). sd.cpp detects it as "Flux" and, from
     * {@code distilled_guidance_layer.in_proj.weight}, as Chroma ("Using pruned modulation (Chroma)"). Load it with
     * {@code --diffusion-model} beside {@link #FLUX_VAE}; its text encoder is T5-XXL alone ({@code --t5xxl}), without
     * which sd.cpp conditions on zeros (256 tokens of 4096) and, with the DiT mask on (its default), masks them all
     * out of the attention, so the prompt changes nothing.
     */
    CHROMA_DIT("chroma-dit", "Chroma diffusion model (pruned-modulation FLUX.1), real widths, 1 of 19 double + 1 of 38 single blocks"),

    /**
     * A Chroma1-Radiance diffusion model (lodestones' {@code Chroma1-Radiance} naming): {@link #CHROMA_DIT} in pixel
     * space, with {@code img_in_patch} (a 16x16 convolution over the RGB image) instead of {@code img_in} and a
     * NeRF-style decoder ({@code nerf_image_embedder}, {@code nerf_blocks.0..3}, {@code nerf_final_layer_conv};
     * sd.cpp fixes its 4 blocks of width 64, so they are written in full) instead of {@code final_layer}. No VAE:
     * sd.cpp uses a pass-through "FakeVAE". Real widths, <b>1 double-stream and 1 single-stream block of the real 19
     * and 38</b>: 76 tensors, 1,237,235,715 parameters (2.47 GB in F16, so it is written as Q8_0 GGUF). sd.cpp detects it as "Chroma Radiance" from
     * {@code nerf_final_layer_conv}. Load it with {@code --diffusion-model} alone (T5-XXL, {@code --t5xxl}, optional
     * as for Chroma).
     */
    CHROMA_RADIANCE_DIT("chroma-radiance-dit", "Chroma1-Radiance diffusion model (pixel space, NeRF decoder), real widths, 1 of 19 double + 1 of 38 single blocks"),

    /**
     * The FLUX.1 autoencoder as a standalone file, in the naming of {@code ae.safetensors} ({@code encoder.*},
     * {@code decoder.*} without a prefix): the SD VAE's layout with 16 latent channels and no
     * {@code quant_conv}/{@code post_quant_conv}, 244 tensors, 83,819,683 parameters. sd.cpp takes it with {@code --vae}
     * for FLUX.1 (and SD3) diffusion models.
     */
    FLUX_VAE("flux-vae", "FLUX.1 / SD3 autoencoder (16 latent channels, ae.safetensors naming)"),

    /**
     * The CLIP ViT-L/14 text encoder as a standalone file, in the Hugging Face naming of {@code clip_l.safetensors}
     * ({@code text_model.embeddings.*}, {@code text_model.encoder.layers.N.*},
     * {@code text_model.final_layer_norm.*}): 196 tensors, 123,060,480 parameters. Pass it with
     * {@code --clip_l} beside a FLUX.1, SD3 or SDXL diffusion model.
     */
    CLIP_L("clip-l", "CLIP ViT-L/14 text encoder (clip_l.safetensors naming)"),

    /**
     * A Wan 2.1 text-to-video 1.3B diffusion model as a standalone file, in the naming of Comfy-Org's
     * {@code wan2.1_t2v_1.3B_fp16.safetensors} ({@code patch_embedding}, {@code text_embedding.N},
     * {@code time_embedding.N}, {@code time_projection.1}, {@code blocks.N} with self- and cross-attention,
     * {@code head}): the real model's full size, 30 blocks of width 1536 (12 heads, feed-forward 8960), because sd.cpp
     * reads the block count from the tensor names and accepts only 30 (1.3B) or 40 (14B), fixing every width from it.
     * sd.cpp detects it as "Wan 2.x" ({@code Wan2.1-T2V-1.3B}). Load it with {@code --diffusion-model} beside
     * {@link #WAN21_VAE} ({@code --vae}) and, optionally, {@link #UMT5_XXL} ({@code --t5xxl}); without a text
     * encoder sd.cpp conditions on zeros.
     */
    WAN21_T2V_1_3B("wan2.1-t2v-1.3b", "Wan 2.1 T2V 1.3B diffusion model (30 blocks, width 1536), for video"),

    /**
     * The Wan 2.1 video autoencoder as a standalone file, in the naming of {@code wan_2.1_vae.safetensors}
     * ({@code encoder.*}, {@code conv1}, {@code decoder.*}, {@code conv2}: causal 3D convolutions, RMS norms, 16
     * latent channels, 8x spatial and 4x temporal compression), whose layout sd.cpp fixes. Pass it with
     * {@code --vae} beside a Wan 2.1 (or Wan 2.2 A14B) diffusion model.
     */
    WAN21_VAE("wan2.1-vae", "Wan 2.1 video autoencoder (causal 3D convolutions, 16 latent channels)"),

    /**
     * A Wan 2.2 text/image-to-video 5B diffusion model as a standalone file, in the naming of Comfy-Org's
     * {@code wan2.2_ti2v_5B_fp16.safetensors} (the layout of {@link #WAN21_T2V_1_3B}): the real model's full size,
     * 30 blocks of width 3072 (24 heads, feed-forward 14336), 48 latent channels in 1x2x2 patches, 5.0 billion
     * parameters. sd.cpp fixes every width from the block count (30) and tells it from Wan 2.1 1.3B only by the
     * patch embedding's 3072 x 48 kernels ({@code get_sd_version}: VERSION_WAN2_2_TI2V, {@code Wan2.2-TI2V-5B}).
     * Write it as q4_0 or q8_0 GGUF (2.86 or 5.34 GB; GGUF folds the 5-D patch kernel as sd.cpp's own reader does)
     * and load it with {@code --diffusion-model} beside {@link #WAN22_VAE} ({@code --vae}) and, optionally,
     * {@link #UMT5_XXL} ({@code --t5xxl}); without a text encoder sd.cpp conditions on zeros.
     */
    WAN22_TI2V_5B("wan2.2-ti2v-5b", "Wan 2.2 TI2V 5B diffusion model (30 blocks, width 3072, 48 latent channels), for video"),

    /**
     * The Wan 2.2 video autoencoder as a standalone file, in the naming of {@code wan2.2_vae.safetensors}: causal 3D
     * convolutions and RMS norms like {@link #WAN21_VAE}, but each level is one residual group
     * ({@code encoder.downsamples.N.downsamples.M}, {@code decoder.upsamples.N.upsamples.M}) with a parameter-free
     * shortcut, widths 160 (encoder) and 256 (decoder), 48 latent channels, and pixels in 2x2 patches (12 channels):
     * 16x spatial and 4x temporal compression. sd.cpp fixes its whole layout and uses it only for
     * {@link #WAN22_TI2V_5B}, which it takes from the diffusion model. Pass it with {@code --vae}.
     */
    /**
     * One expert of Wan 2.2 T2V A14B as a standalone file, in the naming of Comfy-Org's
     * {@code wan2.2_t2v_low_noise_14B_fp16.safetensors} and {@code wan2.2_t2v_high_noise_14B_fp16.safetensors}: the
     * layout of {@link #WAN21_T2V_1_3B} at Wan 14B's full size, 40 blocks of width 5120 (40 heads, feed-forward
     * 13824), 14.29 billion parameters, because sd.cpp accepts only 30 or 40 blocks and fixes every width from the
     * count. sd.cpp detects it as "Wan 2.x" (the Wan 2.1 T2V 14B layout). Write it as q4_0 GGUF (8.15 GB) and load
     * it with {@code --diffusion-model} (the low-noise expert) and {@code --high-noise-diffusion-model} (the
     * high-noise one; the same file serves for both, sd.cpp then holds two copies) beside {@link #WAN21_VAE}.
     */
    WAN22_T2V_A14B("wan2.2-t2v-a14b", "Wan 2.2 T2V A14B expert (40 blocks of width 5120, the Wan 14B layout), write as q4_0"),

    WAN22_VAE("wan2.2-vae", "Wan 2.2 video autoencoder (48 latent channels, 16x spatial compression)"),

    /**
     * The umt5-xxl text encoder of Wan as a standalone file, in the naming of {@code umt5_xxl_fp16.safetensors}
     * ({@code shared}, {@code encoder.block.N.layer.0.SelfAttention.*} with a relative attention bias in every
     * block, {@code encoder.block.N.layer.1.DenseReluDense.wi_0/wi_1/wo}, {@code encoder.final_layer_norm}): the
     * full model, 24 blocks of width 4096 and a 256,384-token vocabulary, because sd.cpp fixes its size (it reads
     * no layer count from the file): 5.7 billion parameters, 11.4 GB in F16. Pass it with {@code --t5xxl}.
     */
    UMT5_XXL("umt5-xxl", "umt5-xxl text encoder of Wan (24 blocks, width 4096; 11.4 GB in f16)"),

    // ---- LLM text encoders (llm.hpp): standalone files for --llm, in the Hugging Face naming
    // (model.embed_tokens, model.layers.N.self_attn.*, model.layers.N.mlp.*, model.norm), real widths. sd.cpp reads
    // the layer count, hidden size, vocabulary and MLP width from the names and shapes and fixes the heads per
    // architecture (a QWEN3 with exactly 28 layers gets 16 heads, any other count 32).

    /**
     * Qwen3-4B, the text encoder of Z-Image and FLUX.2 [klein] 4B, with <b>1 of its 36 layers</b> (hidden 2560, MLP
     * 9728, 32 heads of 128 with 8 key/value heads and RMS-normed queries and keys, 151,936 tokens): 13 tensors,
     * 489,889,536 parameters (0.98 GB in F16). Z-Image conditions on layer 35's output; with one layer sd.cpp falls
     * back to the final norm's, which has the same width. Pass it with {@code --llm}.
     */
    QWEN3_4B_LLM("qwen3-4b-llm", "Qwen3-4B text encoder (Z-Image), 1 of 36 layers, real widths"),

    /**
     * Qwen3-4B as {@link #QWEN3_4B_LLM} with <b>27 of its 36 layers</b>: FLUX.2 [klein] concatenates the outputs of
     * layers 9, 18 and 27 into its 7680-wide text input, so fewer layers would not fit its {@code txt_in}: 299 tensors,
     * 3,114,090,752 parameters (6.2 GB in F16, so write it as q8_0 GGUF, about 3.3 GB). Pass it with {@code --llm}.
     */
    QWEN3_4B_KLEIN_LLM("qwen3-4b-27l-llm", "Qwen3-4B text encoder (FLUX.2 klein 4B), 27 of 36 layers, real widths"),

    /**
     * Qwen3-1.7B, the language model of Ovis 2.5 2B that Ovis-Image conditions on (hidden 2048, MLP 6144, 16 heads of
     * 128, 8 key/value heads), with <b>all 28 layers</b>: sd.cpp gives a QWEN3 16 heads only when it counts exactly 28
     * layers, and 32 heads would not fit the real widths: 310 tensors, 1,720,574,976 parameters (3.4 GB in F16; q8_0
     * GGUF about 1.8 GB). Pass it with {@code --llm}.
     */
    QWEN3_1_7B_LLM("qwen3-1.7b-llm", "Qwen3-1.7B text encoder (Ovis-Image), all 28 layers (sd.cpp's 16-head case)"),

    /**
     * Qwen3-0.6B, the text encoder of Anima (hidden 1024, MLP 3072, 16 heads of 128, 8 key/value heads), with <b>all 28
     * layers</b>, for the same reason as {@link #QWEN3_1_7B_LLM}: 310 tensors, 596,049,920 parameters (1.19 GB in F16).
     * Pass it with {@code --llm}.
     */
    QWEN3_0_6B_LLM("qwen3-0.6b-llm", "Qwen3-0.6B text encoder (Anima), all 28 layers (sd.cpp's 16-head case)"),

    /**
     * The language model of Qwen2.5-VL-7B, the text encoder of Qwen-Image, with <b>1 of its 28 layers</b> (hidden 3584,
     * MLP 18944, 28 heads of 128 with 4 key/value heads and q/k/v biases, 152,064 tokens) and no vision tower: 14
     * tensors, 778,058,752 parameters (1.56 GB in F16). Pass it with {@code --llm}.
     */
    QWEN2_5_VL_7B_LLM("qwen2.5-vl-7b-llm", "Qwen2.5-VL-7B text encoder (Qwen-Image), 1 of 28 layers, real widths"),

    /**
     * The language model of Mistral-Small-3.2-24B, the text encoder of FLUX.2 [dev] (hidden 5120, MLP 32768, 32 heads
     * of 128 with 8 key/value heads, 131,072 tokens), with <b>30 of its 40 layers</b>: FLUX.2 [dev] concatenates the
     * outputs of layers 10, 20 and 30 into its 15360-wide text input: 272 tensors, 17,343,759,360 parameters (34.7 GB
     * in F16, about 9.8 GB in q4_0), so write it as q4_0 GGUF. Pass it with {@code --llm}.
     */
    MISTRAL_SMALL_3_2_LLM("mistral-small-3.2-llm", "Mistral-Small-3.2-24B text encoder (FLUX.2 dev), 30 of 40 layers, real widths"),

    /**
     * Ministral-3-3B, the text encoder of ERNIE-Image (hidden 3072, MLP 9216, 32 heads of 128 with 8 key/value heads,
     * 131,072 tokens), with <b>1 of its 26 layers</b>: ERNIE-Image reads layer 25's output; with one layer sd.cpp falls
     * back to the final norm's, of the same width: 11 tensors, 519,054,336 parameters (1.04 GB in F16). Pass it with
     * {@code --llm}.
     */
    MINISTRAL_3_3B_LLM("ministral-3-3b-llm", "Ministral-3-3B text encoder (ERNIE-Image), 1 of 26 layers, real widths"),

    // ---- FLUX.2 (flux.hpp, auto_encoder_kl.hpp): standalone files in Black Forest Labs' naming

    /**
     * A FLUX.2 [klein] 4B diffusion model as a standalone file, in the naming of {@code flux-2-klein-4b.safetensors}
     * ({@code img_in}, {@code time_in}, {@code txt_in}, {@code double_blocks.N}, {@code single_blocks.N},
     * {@code final_layer} and the modulations shared by all blocks, {@code double_stream_modulation_img/txt} and
     * {@code single_stream_modulation}; no biases, no {@code guidance_in}), with the real widths (hidden size 3072,
     * 24 heads of 128, gated MLP 9216, a 7680-wide text input: Qwen3-4B's layers 9, 18 and 27 concatenated, 128
     * input channels) but <b>truncated to 1 double-stream and 1 single-stream block of the real 5 and 20</b>: sd.cpp
     * counts the blocks from the names. sd.cpp detects it as "Flux.2 klein" (no {@code single_blocks.47}). Load it
     * with {@code --diffusion-model}, beside {@link #FLUX2_VAE} ({@code --vae}) and a Qwen3-4B ({@code --llm}).
     */
    FLUX2_KLEIN_4B_DIT("flux2-klein-4b-dit", "FLUX.2 [klein] 4B diffusion model, real widths, 1 of 5 double + 1 of 20 single blocks"),

    /**
     * A FLUX.2 [dev] diffusion model as a standalone file, in the naming of {@code flux2-dev.safetensors} (as
     * {@link #FLUX2_KLEIN_4B_DIT}, plus {@code guidance_in}), with the real widths (hidden size 6144, 48 heads of
     * 128, gated MLP 18432, a 15360-wide text input: Mistral Small 3.2's layers 10, 20 and 30 concatenated),
     * <b>1 double-stream block of the real 8 but all 48 single-stream blocks</b>: sd.cpp tells dev from klein only by
     * a tensor {@code single_blocks.47.linear1.weight} and needs every block up to the highest index, so 25.4 billion
     * parameters (50.8 GB in F16, 14.3 GB in q4_0): write it only as GGUF, on a machine that can hold it. sd.cpp
     * detects it as "Flux.2". Load it with {@code --diffusion-model}, beside {@link #FLUX2_VAE} and a Mistral Small
     * 3.2 ({@code --llm}).
     */
    FLUX2_DEV_DIT("flux2-dev-dit", "FLUX.2 [dev] diffusion model, real widths, 1 of 8 double + all 48 single blocks (25.4 B)"),

    /**
     * The FLUX.2 autoencoder as a standalone file, in the naming of {@code flux2_ae.safetensors} ({@code encoder.*},
     * {@code decoder.*}, {@code quant_conv}, {@code post_quant_conv}): the SD VAE's layout with 32 latent channels,
     * which sd.cpp fixes for FLUX.2 (and reads the decoder's base width from {@code decoder.conv_in}); the latents'
     * batch-norm statistics are constants in sd.cpp's code, not read from the file, so it has none. sd.cpp folds
     * 2x2 patches of the 32 channels into the DiT's 128, so an image is 16 pixels per latent. Pass it with
     * {@code --vae} beside a FLUX.2 diffusion model.
     */
    FLUX2_VAE("flux2-vae", "FLUX.2 autoencoder (32 latent channels, flux2_ae.safetensors naming)"),

    // ---- Qwen-Image
    /**
     * A Qwen-Image diffusion model (MMDiT) as a standalone file, in the naming of Comfy-Org's
     * {@code qwen_image_fp8_e4m3fn.safetensors} ({@code time_text_embed.timestep_embedder.linear_1/2},
     * {@code txt_norm}, {@code img_in}, {@code txt_in}, {@code transformer_blocks.N} with {@code img_mod.1},
     * {@code txt_mod.1}, the joint attention {@code attn.to_q/k/v}, {@code attn.add_q/k/v_proj}, their RMS norms,
     * {@code attn.to_out.0}, {@code attn.to_add_out} and the GELU feed-forwards {@code img_mlp}/{@code txt_mlp},
     * {@code norm_out.linear}, {@code proj_out}), with the real model's widths (hidden size 3072, 24 heads of 128,
     * feed-forward 12288, a 3584-wide text context from Qwen2.5-VL 7B, 16 latent channels in 2x2 patches) but
     * <b>1 transformer block of the real 60</b>: sd.cpp counts the blocks from the names. 45 tensors, 380,354,624
     * parameters (0.76 GB in F16; the real model has 20 billion). The modulation biases are 1 (gates of 1), so the
     * prompt and reference images visibly change the picture. sd.cpp detects it as "Qwen Image". The Qwen-Image-Edit and Edit-2509 DiTs have exactly this layout (only Edit-2511 adds a
     * {@code __index_timestep_zero__} marker), so this file serves the edit path too, with {@code -r}. Load it with
     * {@code --diffusion-model} beside {@link #WAN21_VAE} (Qwen-Image's VAE is the Wan 2.1 VAE, same names and
     * shapes) and a Qwen2.5-VL text encoder ({@code --llm}).
     */
    QWEN_IMAGE_DIT("qwen-image-dit", "Qwen-Image diffusion model (MMDiT), real widths, 1 of 60 blocks"),

    /**
     * The vision tower of Qwen2.5-VL 7B as a standalone file for {@code --llm_vision}, in the Hugging Face naming of
     * the {@code visual.} part of {@code qwen_2.5_vl_7b.safetensors} without that prefix ({@code patch_embed.proj}:
     * a 2x14x14 3D convolution, {@code blocks.N} with fused {@code attn.qkv}, {@code attn.proj}, SwiGLU
     * {@code mlp.gate_proj/up_proj/down_proj} with biases, RMS norms {@code norm1}/{@code norm2}, and the
     * {@code merger}: {@code ln_q}, {@code mlp.0}, {@code mlp.2} into the LLM's 3584 width): the full 32 blocks of
     * width 1280, because sd.cpp fixes the vision tower's depth and widths in code (llm.hpp LLMVisionParams: it
     * reads nothing from the file but the presence of {@code visual.} tensors): 390 tensors, 676,550,144 parameters
     * (1.35 GB in F16). sd.cpp runs it on the reference
     * images of Qwen-Image-Edit ({@code -r}) and puts its output into the text encoder's prompt.
     */
    QWEN25_VL_VISION("qwen2.5-vl-vision", "Qwen2.5-VL 7B vision tower for --llm_vision (32 blocks, width 1280)"),

    // ---- Z-Image (z_image.hpp) and Ovis-Image (flux.hpp): standalone diffusion-model files

    /**
     * A Z-Image (Turbo) diffusion model as a standalone file, in the naming of Comfy-Org's {@code
     * z_image_turbo_bf16.safetensors} ({@code x_embedder}, {@code t_embedder.mlp}, {@code cap_embedder}, {@code
     * noise_refiner.N}, {@code context_refiner.N}, {@code layers.N}, {@code final_layer}): <b>the full model</b>, 30
     * layers of width 3840 (30 heads of 128, SwiGLU 10240) and 2 + 2 refiners, because sd.cpp's ZImageParams fix every
     * size and read none from the file: 453 tensors, 6,154,908,736 parameters (the real model's; 12.3 GB in BF16, about
     * 3.5 GB as q4_0 GGUF, which is how to write it). sd.cpp detects it as "Z-Image". Load it with {@code
     * --diffusion-model} beside {@link #FLUX_VAE} ({@code --vae}) and {@link #QWEN3_4B_LLM} ({@code --llm}).
     */
    Z_IMAGE_DIT("z-image-dit", "Z-Image diffusion model, full size (30 layers of 3840: sd.cpp fixes it), write as q4_0"),

    /**
     * An Ovis-Image 7B diffusion model as a standalone file, in the naming of {@code ovis_image.safetensors} (FLUX.1's
     * {@code img_in}, {@code time_in}, {@code txt_in}, {@code double_blocks.N}, {@code single_blocks.N}, {@code
     * final_layer}, plus {@code txt_norm} and SwiGLU {@code img_mlp/txt_mlp.gate_proj/up_proj/down_proj}, which is what
     * sd.cpp detects it by), with the real model's widths (hidden 3072, 24 heads of 128, MLP 12288, 2048-wide Qwen3
     * text features) but <b>1 of its 6 double-stream and 1 of its 27 single-stream blocks</b>: sd.cpp counts them from
     * the names. 49 tensors, 630,509,376 parameters (1.26 GB in F16; the real model has 7.3 billion). Load it with
     * {@code --diffusion-model} beside {@link #FLUX_VAE} ({@code --vae}) and {@link #QWEN3_1_7B_LLM} ({@code --llm}).
     */
    OVIS_IMAGE_DIT("ovis-image-dit", "Ovis-Image diffusion model, real widths, 1 of 6 double + 1 of 27 single blocks"),

    /**
     * An ERNIE-Image diffusion model as a standalone file, in the naming of Comfy-Org's
     * {@code ernie-image-turbo.safetensors} ({@code x_embedder.proj}, {@code text_proj}, {@code time_embedding},
     * {@code adaLN_modulation.1}, {@code layers.N} with {@code adaLN_sa_ln}, {@code self_attention},
     * {@code adaLN_mlp_ln}, {@code mlp}, then {@code final_norm}, {@code final_linear}), with the real model's widths
     * (hidden size 4096, 32 heads of 128, feed-forward 12288, 128 input channels: the FLUX.2 VAE's 32 latent channels
     * in 2x2 patches, a 3072-wide text input from Ministral 3 3B) but <b>truncated to 1 of the real 36 layers</b>:
     * sd.cpp counts the layers from the tensor names. sd.cpp detects it as "Ernie Image" from
     * {@code layers.0.adaLN_sa_ln.weight}. Load it with {@code --diffusion-model} beside {@link #FLUX2_VAE}
     * ({@code --vae}, the FLUX.2 autoencoder) and a Ministral 3 3B text encoder ({@code --llm}), which it needs: its DiT takes no empty
     * context.
     */
    ERNIE_IMAGE_DIT("ernie-image-dit", "ERNIE-Image diffusion model, real widths (4096), 1 of 36 layers"),

    /**
     * An Anima diffusion model as a standalone file, in the naming of {@code anima-preview.safetensors} (everything
     * under {@code net.}: {@code x_embedder}, {@code t_embedder}, {@code t_embedding_norm}, {@code blocks.N} with
     * self- and cross-attention and an MLP, each modulated by an adaLN-LoRA, {@code final_layer}, and
     * {@code llm_adapter}: a 32,128-token embedding, {@code blocks.0}-{@code blocks.5}, {@code out_proj},
     * {@code norm}). sd.cpp fixes every width (hidden size 2048, 16 heads of 128, text width 1024) and the adapter's
     * 6 blocks in code, and reads only the number of {@code net.blocks.N}: the synthetic one keeps <b>1 of the real
     * 28 blocks</b> and all 6 adapter blocks. sd.cpp detects it as "Anima" from
     * {@code llm_adapter.blocks.0.cross_attn.q_proj.weight}. Load it with {@code --diffusion-model} beside
     * {@link #WAN21_VAE} (Anima uses the Qwen-Image VAE, which is Wan 2.1's layout) with {@code --vae} and a Qwen3
     * 0.6B text encoder with {@code --llm}.
     */
    ANIMA_DIT("anima-dit", "Anima diffusion model, real widths (2048), 1 of 28 blocks, the full 6-block LLM adapter"),

    // ---- SD3 and the SDXL / SD 1.x UNet variants

    /**
     * A Stable Diffusion 3 Medium diffusion model (MMDiT) as a standalone file, in the naming of the diffusion model
     * inside {@code sd3_medium.safetensors} without its {@code model.diffusion_model.} prefix ({@code x_embedder},
     * {@code pos_embed}, {@code t_embedder}, {@code y_embedder}, {@code context_embedder}, {@code joint_blocks.N}
     * with a {@code context_block} and an {@code x_block}, {@code final_layer}): the real model's full size, 24
     * joint blocks of width 1536 (24 heads of 64, no q/k norms, no MMDiT-X {@code attn2}), because sd.cpp reads the
     * depth from the names but never goes below 24, and derives every width from it (hidden = 64 x depth). About
     * 2.03 billion parameters; write it as q8_0 GGUF. sd.cpp detects it as "SD3.x". Load it with
     * {@code --diffusion-model}, beside {@link #FLUX_VAE} ({@code --vae}), {@link #CLIP_L} ({@code --clip_l}) and
     * {@link #CLIP_G} ({@code --clip_g}); without a T5-XXL ({@code --t5xxl}) sd.cpp puts 77 tokens of zeros where
     * the T5 states would be.
     */
    SD3_MEDIUM_DIT("sd3-medium-dit", "SD3 Medium diffusion model (MMDiT, 24 joint blocks of width 1536: the smallest sd.cpp builds)"),

    /**
     * A Stable Diffusion 3.5 Medium diffusion model (MMDiT-X) as a standalone file, in the naming of
     * {@code sd3.5_medium.safetensors} without its {@code model.diffusion_model.} prefix: {@link #SD3_MEDIUM_DIT}'s
     * layout with RMS norms of queries and keys ({@code attn.ln_q}, {@code attn.ln_k}) in every attention, a second
     * self-attention ({@code x_block.attn2}, 9-way modulation) in joint blocks 0 to 12, and a position table of
     * 384 x 384 patches; the full 24 blocks for the same reason. About 2.47 billion parameters; write it as q8_0
     * GGUF. sd.cpp detects it as "SD3.x" with 13 MMDiT-X layers. Load it as {@link #SD3_MEDIUM_DIT}.
     */
    SD35_MEDIUM_DIT("sd3.5-medium-dit", "SD3.5 Medium diffusion model (MMDiT-X: 24 joint blocks, attn2 in the first 13, q/k RMS norms)"),

    /**
     * A Stable Diffusion 3.5 Large diffusion model as a standalone file, in the naming of
     * {@code sd3.5_large.safetensors} without its {@code model.diffusion_model.} prefix: {@link #SD3_MEDIUM_DIT}'s
     * layout with 38 joint blocks, so width 2432 and 38 heads (sd.cpp derives both from the depth), and RMS norms
     * of queries and keys; no MMDiT-X blocks. About 8.1 billion parameters; write it as q4_0 (4.6 GB) or q8_0 GGUF.
     * Load it as {@link #SD3_MEDIUM_DIT}.
     */
    SD35_LARGE_DIT("sd3.5-large-dit", "SD3.5 Large diffusion model (MMDiT: 38 joint blocks of width 2432, q/k RMS norms; 8.1 B)"),

    /**
     * The OpenCLIP ViT-bigG/14 text encoder as a standalone file, in the Hugging Face naming of
     * {@code clip_g.safetensors} ({@code text_model.embeddings.*}, {@code text_model.encoder.layers.N.*},
     * {@code text_model.final_layer_norm.*}, {@code text_projection.weight}): 32 layers of width 1280 (sd.cpp fixes
     * the size), about 695 million parameters (1.39 GB in F16). Pass it with {@code --clip_g} beside an SD3 or SDXL
     * diffusion model.
     */
    CLIP_G("clip-g", "OpenCLIP ViT-bigG/14 text encoder with its projection (clip_g.safetensors naming)"),

    /**
     * A single-file SDXL base checkpoint ({@code VERSION_SDXL}): the full SDXL UNet (transformer depths 1, 2, 10
     * and a 10-deep middle transformer, which sd.cpp fixes in code), CLIP ViT-L/14, OpenCLIP ViT-bigG/14 and the KL
     * autoencoder, in the naming of {@code sd_xl_base_1.0.safetensors} as for {@link #SDXL_VEGA}: about 3.47 billion
     * parameters; write it as q8_0 GGUF. Load it with {@code --model}.
     */
    SDXL("sdxl", "SDXL base checkpoint: full UNet (2.6 B) + CLIP-L + OpenCLIP bigG/14 + KL VAE"),

    /**
     * A single-file Segmind SSD-1B checkpoint ({@code VERSION_SDXL_SSD1B}): the SDXL layout without the middle
     * block's attention and with the shallower transformers sd.cpp fixes for SSD-1B (4 instead of 10 at the lowest
     * resolution in the encoder and the first two decoder blocks there, 1 in the last two decoder blocks of the
     * middle level), which sd.cpp tells from Vega by {@code output_blocks.3.1.transformer_blocks.1}; the text
     * encoders and VAE of {@link #SDXL}. About 2.2 billion parameters. Load it with {@code --model}.
     */
    SSD_1B("ssd-1b", "Segmind SSD-1B checkpoint: distilled SDXL UNet (1.3 B) + CLIP-L + OpenCLIP bigG/14 + KL VAE"),

    /**
     * As {@link #SD1} with the 9-channel UNet input of SD 1.x inpainting checkpoints ({@code sd-v1-5-inpainting}:
     * latent, mask, masked-image latent), which is what sd.cpp detects "SD 1.x Inpaint" by. Load it with
     * {@code --model} and give {@code -i} and {@code --mask}.
     */
    SD1_INPAINT("sd1-inpaint", "SD 1.x inpainting checkpoint (9-channel UNet input) + CLIP ViT-L/14 + KL VAE"),

    /**
     * As {@link #SD1} with the 8-channel UNet input of InstructPix2Pix ({@code instruct-pix2pix-00-22000}: latent
     * and input-image latent), which is what sd.cpp detects "Instruct-Pix2Pix" by. Load it with {@code --model} and
     * give the image to edit with {@code -i}.
     */
    SD1_PIX2PIX("sd1-pix2pix", "SD 1.x InstructPix2Pix checkpoint (8-channel UNet input) + CLIP ViT-L/14 + KL VAE"),

    /**
     * As {@link #SDXL} with the 9-channel UNet input of SDXL inpainting checkpoints
     * ({@code sd_xl_base_1.0_inpainting_0.1}), which sd.cpp detects as "SDXL Inpaint". Load it with {@code --model}
     * and give {@code -i} and {@code --mask}; write it as q8_0 GGUF.
     */
    SDXL_INPAINT("sdxl-inpaint", "SDXL inpainting checkpoint (9-channel UNet input) + CLIP-L + OpenCLIP bigG/14 + KL VAE"),

    /**
     * As {@link #SDXL} with the 8-channel UNet input of SDXL InstructPix2Pix checkpoints ({@code CosXL Edit}-style),
     * which sd.cpp detects as "SDXL Instruct-Pix2Pix". Load it with {@code --model} and give {@code -i}; write it as
     * q8_0 GGUF.
     */
    SDXL_PIX2PIX("sdxl-pix2pix", "SDXL InstructPix2Pix checkpoint (8-channel UNet input) + CLIP-L + OpenCLIP bigG/14 + KL VAE"),

    /**
     * A PhotoMaker v1 file in the naming of the safetensors conversion sd.cpp's docs point to (bssrdf/PhotoMaker),
     * which sd.cpp reads twice: once under {@code pmid.} as the ID encoder (pmid.hpp PhotoMakerIDEncoderBlock) and
     * once as a LoRA for the UNet. The ID encoder is written in full, because sd.cpp fixes it in code: the CLIP
     * ViT-L/14 vision tower ({@code vision_model.}: 14x14 patches of 224x224 images, 24 layers of width 1024, in
     * sd.cpp's names {@code pre_layernorm}/{@code post_layernorm}), {@code visual_projection} (1024 to 768),
     * {@code visual_projection_2} (1024 to 1280) and the {@code fuse_module} (two MLPs over the class word's
     * embedding and the image's 2048-wide one, and a layer norm). The LoRA part is small: rank 4 on the four
     * projections of the cross-attention of one UNet transformer block ({@code unet.down_blocks.1.attentions.0.},
     * which the SDXL Vega UNet has too), in the old diffusers attention-processor naming
     * ({@code attn2.processor.to_q_lora.down.weight}, no alpha, so its scale is 1). 415 tensors, 326,304,768
     * parameters (0.65 GB in F16). Pass it with {@code --photo-maker} next to an SDXL model, the ID images with
     * {@code --pm-id-images-dir} and the trigger word {@code img} after a class word in the prompt
     * ({@code "a man img"}). sd.cpp takes any file whose path contains {@code v2} for PhotoMaker v2.
     */
    PHOTOMAKER_V1("photomaker-v1", "PhotoMaker v1: CLIP ViT-L/14 ID encoder + fuse module + a small UNet LoRA (for SDXL)"),

    /**
     * As {@link #PHOTOMAKER_V1} with PhotoMaker v2's {@code qformer_perceiver} (pmid.hpp QFormerPerceiver, in the
     * file's naming: {@code token_proj.0}/{@code .2}, the perceiver resampler's feed-forward as {@code layers.N.1.1}
     * and {@code .3}): an MLP from the 512-wide insightface embedding of each ID image to two 2048-wide tokens and a
     * 4-layer perceiver resampler over the vision tower's last hidden state. 471 tensors, 543,427,584 parameters
     * (1.09 GB in F16). sd.cpp takes it for v2 because its path contains {@code v2}; besides the ID images it needs
     * {@code --pm-id-embed-path}, a tensor file of one 512-wide embedding per image (face_detect.py's
     * {@code id_embeds.bin}), and puts two tokens per image after the class word.
     */
    PHOTOMAKER_V2("photomaker-v2", "PhotoMaker v2: as v1 plus the Q-Former perceiver over face embeddings (for SDXL)");

    private final String fileStem;
    private final String description;
    private volatile List<TensorSpec> tensors;

    Architecture(String fileStem, String description) {
        this.fileStem = fileStem;
        this.description = description;
    }

    /** Returns a short lowercase name used in file names, e.g. {@code "sd1"}. */
    public String fileStem() {
        return fileStem;
    }

    /** Returns a one-line description. */
    public String description() {
        return description;
    }

    /** Returns the tensors of this architecture, in file order (unmodifiable, computed once). */
    public List<TensorSpec> tensors() {
        List<TensorSpec> t = tensors;
        if (t == null) {
            t = Tables.of(this);
            tensors = t;
        }
        return t;
    }

    /** Returns the number of tensors. */
    public int tensorCount() {
        return tensors().size();
    }

    /** Returns the number of parameters (elements over all tensors). */
    public long parameterCount() {
        long n = 0;
        for (TensorSpec t : tensors()) {
            n += t.elementCount();
        }
        return n;
    }
}
