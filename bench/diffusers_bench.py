#!/usr/bin/env python3
"""diffusers on PyTorch (CPU, fp32) running the synthetic SD1 checkpoint that sdjava runs.

Builds a StableDiffusionPipeline from the LDM single-file checkpoint entirely offline: the UNet,
VAE and CLIP text encoder weights are converted with diffusers' own single-file converters
(diffusers.loaders.single_file_utils), their configs come from the standard SD1.x
v1-inference.yaml written below, and the CLIP tokenizer is made from the BPE merges that sd.cpp
itself bundles (src/tokenizers/vocab/clip_t5.hpp), so no hub download is involved and both
runtimes do the same math on the same weights.

Prints one line: RESULT load_s=.. cond_s=.. sampling_s=.. step_s=.. decode_s=.. step_cpu_s=.. decode_cpu_s=..
Run by dev.sdjava.bench.Compare (bench/compare.sh) under /usr/bin/time for peak RSS.
"""
import argparse
import json
import os
import re
import sys
import time

# SD1.x's v1-inference.yaml, the parts the converters read.
V1_INFERENCE = {
    "model": {
        "target": "ldm.models.diffusion.ddpm.LatentDiffusion",
        "params": {
            "linear_start": 0.00085, "linear_end": 0.0120, "num_timesteps_cond": 1, "timesteps": 1000,
            "image_size": 64, "channels": 4, "cond_stage_trainable": False, "conditioning_key": "crossattn",
            "scale_factor": 0.18215, "use_ema": False,
            "unet_config": {
                "target": "ldm.modules.diffusionmodules.openaimodel.UNetModel",
                "params": {
                    "image_size": 32, "in_channels": 4, "out_channels": 4, "model_channels": 320,
                    "attention_resolutions": [4, 2, 1], "num_res_blocks": 2, "channel_mult": [1, 2, 4, 4],
                    "num_heads": 8, "use_spatial_transformer": True, "transformer_depth": 1,
                    "context_dim": 768, "use_checkpoint": True, "legacy": False,
                },
            },
            "first_stage_config": {
                "target": "ldm.models.autoencoder.AutoencoderKL",
                "params": {
                    "embed_dim": 4,
                    "ddconfig": {
                        "double_z": True, "z_channels": 4, "resolution": 256, "in_channels": 3, "out_ch": 3,
                        "ch": 128, "ch_mult": [1, 2, 4, 4], "num_res_blocks": 2, "attn_resolutions": [],
                        "dropout": 0.0,
                    },
                },
            },
            "cond_stage_config": {"target": "ldm.modules.encoders.modules.FrozenCLIPEmbedder"},
        },
    }
}


def bytes_to_unicode():
    """CLIP's byte-to-unicode table (the same as GPT-2's)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def make_tokenizer(sdcpp, work):
    """Writes vocab.json and merges.txt from sd.cpp's bundled CLIP merges; returns the directory."""
    out = os.path.join(work, "clip-tokenizer")
    if os.path.isfile(os.path.join(out, "vocab.json")):
        return out
    header = os.path.join(sdcpp, "src", "tokenizers", "vocab", "clip_t5.hpp")
    text = open(header, encoding="utf-8").read()
    start = text.index("clip_merges_utf8_c_str[]")
    body = text[text.index("{", start) + 1:text.index("};", start)]
    data = bytes(int(h, 16) for h in re.findall(r"0x([0-9a-fA-F]{2})", body)).decode("utf-8")
    lines = data.split("\n")
    merges = lines[1:48894 + 1]  # CLIP uses the first 49152-256-2 merges, as sd.cpp does
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m.split(" ")) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
    with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt", default="a lighthouse at dusk, oil painting")
    ap.add_argument("--cfg", type=float, default=7.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--sdcpp", required=True, help="sd.cpp source tree (for the CLIP merges)")
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    os.environ["HF_HUB_OFFLINE"] = "1"

    import torch
    torch.set_num_threads(a.threads)
    from safetensors.torch import load_file
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from diffusers.loaders import single_file_utils as sfu

    tok_dir = make_tokenizer(a.sdcpp, a.work)
    t0 = time.perf_counter()
    # The file is f16; the models are built in fp32 (PyTorch's CPU path has no fast fp16 kernels)
    # and load_state_dict casts each tensor as it copies it in.
    ckpt = load_file(a.model)

    unet_cfg = sfu.create_unet_diffusers_config_from_ldm(V1_INFERENCE, ckpt)
    unet = UNet2DConditionModel(**unet_cfg)
    missing, unexpected = unet.load_state_dict(sfu.convert_ldm_unet_checkpoint(ckpt, unet_cfg), strict=False)
    report = {"unet_missing": len(missing), "unet_unexpected": len(unexpected)}

    vae_cfg = sfu.create_vae_diffusers_config_from_ldm(V1_INFERENCE, ckpt)
    vae = AutoencoderKL(**vae_cfg)
    missing, unexpected = vae.load_state_dict(sfu.convert_ldm_vae_checkpoint(ckpt, vae_cfg), strict=False)
    report.update(vae_missing=len(missing), vae_unexpected=len(unexpected))

    clip_cfg = CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                              num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu",
                              projection_dim=768)
    text_encoder = CLIPTextModel(clip_cfg)
    clip_sd = sfu.convert_ldm_clip_checkpoint(ckpt)
    if not any(k.startswith("text_model.") for k in text_encoder.state_dict()):
        # transformers 5 dropped the text_model. level of CLIPTextModel's keys
        clip_sd = {k[len("text_model."):] if k.startswith("text_model.") else k: v for k, v in clip_sd.items()}
    missing, unexpected = text_encoder.load_state_dict(clip_sd, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    report.update(clip_missing=len(missing), clip_unexpected=len(unexpected))
    del ckpt
    bad = {k: v for k, v in report.items() if k.endswith("missing") and v}
    if bad:
        print("weights not loaded: %s" % bad, file=sys.stderr)
        sys.exit(3)

    tokenizer = CLIPTokenizer(os.path.join(tok_dir, "vocab.json"), os.path.join(tok_dir, "merges.txt"),
                              model_max_length=77, pad_token="<|endoftext|>")
    # sd.cpp's Euler with its default "discrete" schedule for SD1.x.
    scheduler = EulerDiscreteScheduler(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012,
                                       beta_schedule="scaled_linear", timestep_spacing="trailing",
                                       steps_offset=1)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    load_s = time.perf_counter() - t0

    marks = {}

    def first_unet_call(module, args):
        if "unet_start" not in marks:
            marks["unet_start"] = time.perf_counter()
            marks["unet_start_cpu"] = time.process_time()

    unet.register_forward_pre_hook(first_unet_call)

    def on_step_end(p, i, t, kw):
        marks["last_step_end"] = time.perf_counter()
        marks["last_step_end_cpu"] = time.process_time()
        return kw

    with torch.inference_mode():
        g = torch.Generator().manual_seed(a.seed)
        t1 = time.perf_counter()
        latents = pipe(a.prompt, height=a.size, width=a.size, num_inference_steps=a.steps, guidance_scale=a.cfg,
                       generator=g, output_type="latent", callback_on_step_end=on_step_end).images
        t2 = time.perf_counter()
        c2 = time.process_time()
        image = vae.decode(latents / vae.config.scaling_factor, return_dict=False)[0]
        t3 = time.perf_counter()
        c3 = time.process_time()
    if not torch.isfinite(image).all():
        print("non-finite output", file=sys.stderr)
        sys.exit(4)
    sampling_s = marks["last_step_end"] - marks["unet_start"]
    fields = dict(load_s=load_s, cond_s=marks["unet_start"] - t1, sampling_s=sampling_s,
                  step_s=sampling_s / a.steps, decode_s=t3 - t2, gen_wall_s=t3 - t1,
                  # process CPU time (all threads), which a loaded machine does not inflate by waiting
                  step_cpu_s=(marks["last_step_end_cpu"] - marks["unet_start_cpu"]) / a.steps, decode_cpu_s=c3 - c2,
                  torch=torch.__version__.replace(" ", ""), diffusers=__import__("diffusers").__version__)
    print("RESULT " + " ".join("%s=%s" % (k, ("%.4f" % v) if isinstance(v, float) else v) for k, v in fields.items()))


if __name__ == "__main__":
    main()
