package dev.sdjava.cli;

import dev.sdjava.ModelFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code sdj info MODEL}: what a model file is, from its header alone (read in Java by
 * {@link ModelFile}; no weights are loaded and sd.cpp is not involved): format, tensors, types,
 * parameters, size, the architecture its tensor names reveal, and what {@code generate} needs
 * beside it.
 */
@Command(name = "info", description = "Describe a model file (GGUF, safetensors, .ckpt) from its header, without loading weights: "
                + "format, tensor count, tensor types, parameters, detected architecture, and what 'sdj generate' "
                + "needs beside it.")
final class Info extends Subcommand {
    @Parameters(paramLabel = "MODEL", description = "The model file.") Path file;
    @Option(names = "--tensors", description = "Also list every tensor (name, type, shape).") boolean listTensors;
    @Mixin Mixins.JsonOutput json;

    @Override
    public Integer call() {
        PrintWriter out = out();
        Io.input(file, "model file");
        long t0 = System.nanoTime();
        ModelFile f = ModelFile.read(file);
        Detected d = detect(f);
        double readMs = (System.nanoTime() - t0) / 1e6;
        String types = typeHistogram(f);
        Map<String, Object> o = Json.object("path", file.toString(), "format", f.format().name().toLowerCase(Locale.ROOT));
        if (f.version() > 0) {
            o.put("gguf_version", f.version());
        }
        o.putAll(Json.object("bytes", f.fileSize(), "tensors", f.tensors().size(), "parameters", f.parameterCount(),
                "types", new LinkedHashMap<>(f.tensorTypeCounts()), "summary", d.summary(), "architecture", d.architecture, "kind", d.kind,
                "contains", d.contains, "needs", d.needs, "usage", d.usage, "metadata_keys", f.metadata().size(),
                "read_ms", Math.round(readMs * 10) / 10.0));
        if (listTensors) {
            o.put("tensor_list", f.tensors().stream().<Object>map(t -> Json.object("name", t.name(), "type", t.type(),
                    "shape", t.shape())).toList());
        }
        if (json.print(out, o)) {
            return 0;
        }
        out.println("file:          " + file);
        out.println("format:        " + f.format().name().toLowerCase(Locale.ROOT) + (f.version() > 0 ? " v" + f.version() : ""));
        out.println("size:          " + Units.bytes(f.fileSize()) + String.format(Locale.ROOT, " (%,d bytes)", f.fileSize()));
        out.println("tensors:       " + (f.tensors().isEmpty() && f.format().name().startsWith("TORCH")
                ? "(not listed: PyTorch pickles are not interpreted)" : f.tensors().size()));
        out.println("parameters:    " + String.format(Locale.ROOT, "%,d", f.parameterCount()) + " (" + Units.count(f.parameterCount()) + ")");
        out.println("types:         " + (types.isEmpty() ? "-" : types));
        out.println("summary:       " + d.summary());
        out.println("architecture:  " + d.architecture);
        out.println("kind:          " + d.kind);
        if (!d.contains.isEmpty()) {
            out.println("contains:      " + String.join(", ", d.contains));
        }
        out.println("needs:         " + (d.needs.isEmpty() ? "nothing else" : String.join("; ", d.needs)));
        out.println("usage:         " + d.usage);
        if (!f.metadata().isEmpty()) {
            out.println("metadata:      " + f.metadata().size() + " keys" + (root.verbosity() > 0 ? "" : " (-v lists them)"));
            if (root.verbosity() > 0) {
                f.metadata().forEach((k, v) -> out.println("  " + k + " = " + abbreviate(String.valueOf(v))));
            }
        }
        if (listTensors) {
            for (ModelFile.Tensor t : f.tensors()) {
                out.println("  " + t.name() + "  " + t.type() + "  " + t.shape());
            }
        }
        term().note(String.format(Locale.ROOT, "header read in %.1f ms", readMs));
        return 0;
    }

    private static String abbreviate(String s) {
        String one = s.replace("\n", "\\n");
        return one.length() > 120 ? one.substring(0, 117) + "..." : one;
    }

    static String typeHistogram(ModelFile f) {
        List<String> parts = new ArrayList<>();
        f.tensorTypeCounts().entrySet().stream()
                .sorted((a, b) -> b.getValue() - a.getValue())
                .forEach(e -> parts.add(e.getKey() + " " + e.getValue()));
        return String.join(", ", parts);
    }

    /** What the tensor names say. */
    /** The block counts of a FLUX.1-style DiT as sd.cpp reads them from the names (the real one: 19 double, 38 single). */
    private static String fluxBlocks(Names n) {
        return n.blocks("double_blocks.") + " double + " + n.blocks("single_blocks.") + " single blocks";
    }

    record Detected(String architecture, String kind, List<String> contains, List<String> needs, String usage) {
        /**
         * One line: the architecture, the kind of file and what it still needs beside it, e.g.
         * {@code "FLUX.1 [schnell], diffusion model (needs other files): also needs --vae (ae.safetensors), --clip_l, --t5xxl"}.
         */
        String summary() {
            return architecture + ", " + kind + ": " + (needs.isEmpty() ? "needs nothing else" : "also needs " + String.join(", ", needs));
        }
    }

    /** Tensor-name patterns after the ones sd.cpp's {@code get_sd_version} uses, independent of prefixes. */
    static Detected detect(ModelFile f) {
        Names n = new Names(f);
        String file = f.path().getFileName().toString();
        if (f.tensors().isEmpty()) {
            return new Detected("unknown (no tensor list)", f.format().name().startsWith("TORCH")
                    ? "PyTorch checkpoint" : "empty", List.of(), List.of(),
                    "sdj generate -m " + file + " -p \"...\" (sd.cpp reads the pickle itself)");
        }
        // Adapters and helper models first: their names overlap the big models' ones.
        if (n.any("visual_projection_2.weight") && n.any("fuse_module.")) {
            // PhotoMaker's UNet LoRA (unet.down_blocks...to_q_lora) would read as a UNet below. sd.cpp takes v2 by
            // the file's path containing "v2"; the qformer_perceiver says it here.
            boolean v2 = n.any("qformer_perceiver.");
            List<String> needs = new ArrayList<>(List.of("an SDXL model", "--pm-id-images-dir"));
            if (v2) {
                needs.add("--pm-id-embed-path (id_embeds of face_detect.py)");
            }
            return new Detected("PhotoMaker " + (v2 ? "v2" : "v1"), "ID encoder + UNet LoRA", List.of("ID encoder", "UNet LoRA"),
                    needs, "sdj generate -m SDXL --photo-maker " + file + " --pm-id-images-dir DIR -p \"a man img, ...\""
                            + (v2 ? " --pm-id-embed-path DIR/id_embeds.bin" : " (a path with v2 in it is taken for v2)"));
        }
        if (n.any("lora_down", "lora_up", ".lora_A.", ".lora_B.", "lora_unet_", "lora_te")) {
            String target = n.any("lora_te2_", "lora_te1_") ? "SDXL"
                    : n.any("double_blocks", "single_blocks", "single_transformer_blocks") ? "Flux"
                    : n.any("lora_unet_") ? "SD 1.x / 2.x" : "a diffusion model";
            return new Detected("LoRA for " + target, "LoRA adapter", List.of(),
                    List.of("a base model (" + target + ")"),
                    "sdj generate -m BASE --lora " + file + ":1.0 ...   or   --lora-model-dir DIR with <lora:"
                            + stem(file) + ":1.0> in the prompt");
        }
        if (n.any("control_model.", "input_hint_block.", "controlnet_cond_embedding")) {
            String base = unetFamily(n, f, "control_model.");
            return new Detected("ControlNet (" + base + ")", "ControlNet", List.of("ControlNet"),
                    List.of("a base model (" + base + ")", "a control image"),
                    "sdj generate -m BASE --control-net " + file + " --control-image IMAGE [--canny] ...");
        }
        if (n.any("conv_first.weight") && n.any("body.") || n.any("model.1.sub.0.RDB1.conv1.0.weight")) {
            int ups = n.count("conv_up");
            return new Detected("ESRGAN (RRDBNet" + (ups > 0 ? ", " + (1 << ups) + "x" : "") + ")", "upscaler", List.of("upscaler"),
                    List.of("an image to enlarge"), "sdj upscale --upscale-model " + file + " -i IMAGE -o OUT.png");
        }
        boolean unet = n.any("input_blocks.", "down_blocks.");
        boolean dit = n.any("double_blocks.", "joint_blocks.", "transformer_blocks.0.img_mod.1.weight",
                "double_stream_modulation_img.lin.weight", "cap_embedder.0.weight", "layers.0.adaLN_sa_ln.weight",
                "blocks.0.cross_attn.norm_k.weight", "nerf_final_layer_conv.", "llm_adapter.blocks.0.cross_attn.q_proj.weight");
        boolean vae = n.any("first_stage_model.", "vae.") || n.starts("encoder.down.", "decoder.up.", "decoder.up_blocks.",
                "encoder.down_blocks.", "decoder.conv_in.");
        boolean tae = n.starts("decoder.layers.", "encoder.layers.", "first_stage_model.decoder.layers.", "first_stage_model.encoder.layers.");
        boolean clip = n.any("cond_stage_model.", "conditioner.embedders.", "text_encoders.", "te.")
                || n.starts("text_model.", "transformer.text_model.");
        boolean t5 = n.any("SelfAttention.q.weight");
        boolean llm = n.any("self_attn.q_proj.weight") && !clip;
        if (!unet && !dit) {
            if (tae) {
                return new Detected("TAESD (tiny autoencoder)", "VAE (tiny)", List.of("tiny autoencoder"),
                        List.of("a diffusion model"), "sdj generate -m MODEL --taesd " + file + " ...");
            }
            if (n.any("decoder.upsamples.0.upsamples.0.residual.0.gamma")) {
                // Wan 2.2's VAE groups each level's blocks (Up_ResidualBlock); sd.cpp uses it for TI2V 5B only.
                return new Detected("Wan 2.2 VAE (video, causal 3D, 48 latent channels)", "VAE", List.of("VAE"),
                        List.of("a Wan 2.2 TI2V 5B diffusion model"), "sdj video --diffusion-model MODEL --vae " + file + " ...");
            }
            if (n.any("decoder.middle.0.residual.0.gamma")) {
                // sd.cpp decodes Qwen-Image's latents with this same Wan 2.1 VAE (qwen_image_vae.safetensors).
                return new Detected("Wan VAE (video, causal 3D)", "VAE", List.of("VAE"),
                        List.of("a Wan or Qwen-Image diffusion model"), "sdj video --diffusion-model MODEL --vae " + file + " ...");
            }
            if (n.any("merger.ln_q.weight", "v.patch_embd.weight") && !llm) {
                // Qwen2.5-VL's vision tower alone (HF naming without "visual.", or llama.cpp's mmproj naming); with
                // the language model in the same file (Comfy-Org's qwen_2.5_vl_7b) it is an LLM text encoder below.
                return new Detected("Qwen2.5-VL vision encoder", "vision encoder", List.of("vision encoder"),
                        List.of("a Qwen-Image-Edit diffusion model", "--llm (Qwen2.5-VL 7B)"),
                        "sdj generate --diffusion-model MODEL --llm LLM --llm_vision " + file + " -r IMAGE ...");
            }
            if (vae) {
                long z = n.ne("decoder.conv_in.weight", 2);
                String fam = z == 4 ? "SD 1.x/2.x/SDXL" : z == 16 ? "SD3/FLUX.1" : z == 32 ? "FLUX.2" : "?";
                return new Detected("VAE (" + z + " latent channels: " + fam + ")", "VAE", List.of("VAE"),
                        List.of("a diffusion model (" + fam + ")"), (z == 4 ? "sdj generate -m MODEL" : "sdj generate --diffusion-model MODEL")
                                + " --vae " + file + " ...");
            }
            if (t5 && n.any("block.1.layer.0.SelfAttention.relative_attention_bias.")) { // umt5: a bias in every block
                return new Detected("umt5-xxl text encoder (Wan)", "text encoder", List.of("umt5"), List.of("a Wan diffusion model"),
                        "sdj video --diffusion-model MODEL --t5xxl " + file + " ...");
            }
            if (t5) {
                return new Detected("T5 text encoder", "text encoder", List.of("T5"), List.of("a diffusion model"),
                        "sdj generate --diffusion-model MODEL --t5xxl " + file + " ...");
            }
            if (clip || n.any("text_model.encoder.layers.")) {
                long dim = n.neEnd("token_embedding.weight", 0);
                String which = dim == 1280 ? "CLIP-G" : dim == 768 ? "CLIP-L" : "CLIP";
                String opt = dim == 1280 ? "--clip_g" : "--clip_l";
                String forWhat = dim == 1280 ? " (SD3 or SDXL)" : dim == 768 ? " (FLUX.1, SD3 or SDXL)" : "";
                return new Detected(which + " text encoder", "text encoder", List.of(which), List.of("a diffusion model" + forWhat),
                        "sdj generate --diffusion-model MODEL " + opt + " " + file + " ...");
            }
            if (llm) {
                return llmEncoder(n, file);
            }
            if (n.any("emb_params", "string_to_param", "clip_l", "clip_g") && f.tensors().size() <= 4) {
                return new Detected("textual inversion embedding", "embedding", List.of(), List.of("a base model"),
                        "put it in --embd-dir DIR and write " + stem(file) + " in the prompt");
            }
            return new Detected("unknown", "unknown", List.of(), List.of(), "no pattern matched; try sdj generate -m " + file);
        }

        List<String> contains = new ArrayList<>();
        String arch;
        List<String> needs = new ArrayList<>();
        String hint = "";
        if (n.any("joint_blocks.")) {
            arch = "SD3 / SD3.5 (MMDiT)";
            // sd.cpp's MMDiT counts the joint blocks (never fewer than 24) and the MMDiT-X ones (with attn2, SD3.5 Medium).
            contains.add("diffusion model (MMDiT, " + Math.max(24, n.blocks("joint_blocks.")) + " joint blocks, "
                    + n.blocksWith("joint_blocks.", ".x_block.attn2.") + " MMDiT-X)");
            addEncoders(n, contains);
            if (!n.any("text_encoders.clip_l.")) needs.add("--clip_l");
            if (!n.any("text_encoders.clip_g.")) needs.add("--clip_g");
            // SD3CLIPEmbedder feeds 77 tokens of zeros in place of the T5 states when there is no T5.
            if (!n.any("text_encoders.t5xxl.")) needs.add("--t5xxl (optional: zeros without it)");
            if (!vae) needs.add("--vae");
            hint = " --cfg-scale 4.5 --sampling-method euler";
        } else if (n.any("llm_adapter.blocks.0.cross_attn.q_proj.weight")) {
            // Before Wan: sd.cpp returns Anima as soon as it sees the adapter, whatever other blocks the file has.
            arch = "Anima";
            // sd.cpp's AnimaRunner counts net.blocks.N (the real model has 28); the adapter's 6 blocks are fixed.
            contains.add(n.any("net.blocks.") ? "diffusion model (DiT, " + n.blocks("net.blocks.") + " blocks)" : "diffusion model (DiT)");
            needs.addAll(List.of("--vae (Qwen-Image VAE)", "--llm (Qwen3 0.6B)"));
            hint = " --cfg-scale 6.0 --sampling-method euler";
        } else if (n.any("nerf_final_layer_conv.")) {
            arch = "Chroma Radiance";
            // Pixel space: sd.cpp decodes with a pass-through "FakeVAE", so no --vae; T5-XXL is its only text encoder.
            contains.add("diffusion model (DiT in pixel space, no VAE, " + fluxBlocks(n) + ")");
            needs.add("--t5xxl");
            hint = " --cfg-scale 4.0 --sampling-method euler";
        } else if (n.any("transformer_blocks.0.img_mod.1.weight")) {
            // Qwen-Image-Edit and Edit-2509 have Qwen-Image's layout; only Edit-2511 marks itself (zero_cond_t).
            arch = n.any("__index_timestep_zero__") ? "Qwen-Image-Edit-2511" : "Qwen-Image / Qwen-Image-Edit";
            contains.add("diffusion model (MMDiT)");
            needs.addAll(List.of("--vae (Qwen-Image VAE)", "--llm (Qwen2.5-VL 7B)"));
            hint = " --cfg-scale 2.5 --sampling-method euler";
        } else if (n.any("double_stream_modulation_img.lin.weight")) {
            // sd.cpp's get_sd_version tells dev from klein only by single_blocks.47; its FluxRunner counts the blocks
            // from the names and reads the text width from txt_in: three hidden states of the LLM concatenated
            // (3 x 5120 of Mistral Small 3.2 for dev, 3 x 2560 of Qwen3 4B or 3 x 4096 of Qwen3 8B for klein 4B / 9B).
            boolean dev = n.any("single_blocks.47.linear1.weight");
            long context = n.ne("txt_in.weight", 0);
            String klein = context == 7680 ? " 4B" : context == 12288 ? " 9B" : "";
            arch = dev ? "FLUX.2 [dev]" : "FLUX.2 [klein]" + klein;
            contains.add("diffusion model (DiT, " + n.blocks("double_blocks.") + " double + " + n.blocks("single_blocks.")
                    + " single blocks)");
            if (!vae) needs.add("--vae (FLUX.2 VAE)");
            needs.add("--llm (" + (dev ? "Mistral Small 3.2 24B" : klein.equals(" 4B") ? "Qwen3 4B"
                    : klein.equals(" 9B") ? "Qwen3 8B" : "Qwen3 4B or 8B") + ")");
            hint = " --cfg-scale 1.0 --sampling-method euler" + (dev ? "" : " --steps 4");
        } else if (n.any("double_blocks.0.img_mlp.gate_proj.weight")) {
            arch = "Ovis-Image";
            // A FLUX.1-style DiT: sd.cpp counts the blocks from the names (the real Ovis-Image has 6 and 27).
            contains.add("diffusion model (DiT, " + n.blocks("double_blocks.") + " double + " + n.blocks("single_blocks.")
                    + " single blocks)");
            needs.addAll(List.of("--vae (ae.safetensors)", "--llm (Qwen3 1.7B, of Ovis 2.5)"));
        } else if (n.any("double_blocks.")) {
            long in = n.ne("img_in.weight", 0);
            boolean chroma = n.any("distilled_guidance_layer.");
            // sd.cpp's FluxRunner: guidance_in is what tells FLUX.1 dev (guidance-distilled) from schnell.
            boolean dev = n.any("guidance_in.in_layer.weight");
            arch = chroma ? "Chroma" : in == 384 ? "Flux Fill" : in == 128 ? "Flux Controls" : in == 196 ? "Flex.2"
                    : dev ? "FLUX.1 [dev]" : "FLUX.1 [schnell]";
            // sd.cpp counts the blocks from the names (the real FLUX.1 has 19 double and 38 single ones).
            // FLUX.1 Kontext [dev] has dev's layout: nothing in the file tells it apart; it is dev run with -r.
            contains.add("diffusion model (DiT, " + fluxBlocks(n) + (dev && !chroma ? "; Kontext [dev] has this layout too" : "") + ")");
            addEncoders(n, contains);
            if (!vae) needs.add("--vae (ae.safetensors)");
            if (!chroma && !n.any("text_encoders.clip_l.")) needs.add("--clip_l");
            if (!n.any("text_encoders.t5xxl.")) needs.add("--t5xxl");
            // docs/chroma.md runs Chroma with --cfg-scale 4.0; FLUX.1 is guidance-distilled (1.0), schnell in 4 steps.
            hint = chroma ? " --cfg-scale 4.0 --sampling-method euler"
                    : " --cfg-scale 1.0 --sampling-method euler" + (dev ? "" : " --steps 4");
        } else if (n.any("cap_embedder.0.weight")) {
            arch = "Z-Image";
            contains.add("diffusion model (DiT)");
            needs.addAll(List.of("--vae (ae.safetensors)", "--llm (Qwen3 4B)"));
            hint = " --cfg-scale 1.0";
        } else if (n.any("layers.0.adaLN_sa_ln.weight")) {
            arch = "ERNIE-Image";
            // sd.cpp's ErnieImageRunner counts layers.N (the real model has 36).
            contains.add("diffusion model (DiT, " + n.blocks("layers.") + " layers)");
            needs.addAll(List.of("--vae (FLUX.2 VAE)", "--llm (Ministral 3 3B)"));
            hint = " --cfg-scale 1.0 --steps 8";
        } else if (n.any("blocks.0.cross_attn.norm_k.weight")) {
            // get_sd_version: a 1x2x2 patch kernel of 3072 x 48 (ne[3] = 147456) and no image embedding is Wan 2.2
            // TI2V 5B, which sd.cpp pairs with the Wan 2.2 VAE (48 latent channels).
            boolean ti2v = n.elements("patch_embedding.weight") == 147456L * 4 && !n.any("img_emb");
            // 40 blocks (width 5120) is Wan 2.1 14B's layout, which each expert of Wan 2.2 A14B has too.
            boolean big = n.blocks("blocks.") == 40;
            arch = ti2v ? "Wan 2.2 TI2V 5B (video)" : big ? "Wan 14B (video: Wan 2.1 14B, or a Wan 2.2 A14B expert)" : "Wan (video)";
            contains.add(ti2v ? "diffusion model (DiT, " + n.blocks("blocks.") + " blocks, 48 latent channels)"
                    : big ? "diffusion model (DiT, 40 blocks)" : "diffusion model (DiT)");
            needs.addAll(List.of(ti2v ? "--vae (Wan 2.2 VAE)" : "--vae (Wan VAE)", "--t5xxl (umt5-xxl)"));
            if (big) {
                needs.add("--high-noise-diffusion-model (for Wan 2.2 A14B: its other expert)");
            }
            hint = " --video-frames 33 --cfg-scale 6.0 --sampling-method euler --flow-shift 3.0";
        } else if (n.any("input_blocks.8.0.time_mixer.mix_factor")) {
            arch = "Stable Video Diffusion";
            contains.add("diffusion model (UNet)");
            needs.add("video generation, which sdj does not do");
        } else {
            arch = unetFamily(n, f, "");
            contains.add("diffusion model (UNet)");
            addEncoders(n, contains);
            boolean xl = arch.startsWith("SDXL");
            if (!clip) {
                needs.add(xl ? "--clip_l and --clip_g (text encoders)" : "--clip_l (text encoder)");
            }
            if (!vae && !arch.startsWith("SDXS")) {
                needs.add("--vae");
            }
            if (xl && vae) {
                hint = "   (an fp16-fixed SDXL VAE via --vae avoids NaNs in f16)";
            }
            if (arch.endsWith("Inpaint")) {
                hint = " -i IMAGE --mask MASK";
            } else if (arch.endsWith("Pix2Pix")) {
                hint = " -i IMAGE";
            }
        }
        if (vae && !contains.contains("VAE")) {
            contains.add(tae ? "tiny autoencoder" : "VAE");
        }
        boolean complete = needs.isEmpty();
        String flag = complete || arch.startsWith("SD") && !arch.startsWith("SD3") ? "-m" : "--diffusion-model";
        String kind = complete ? "full checkpoint" : "diffusion model (needs other files)";
        return new Detected(arch, kind, contains, needs,
                (arch.startsWith("Wan") ? "sdj video " : "sdj generate ") + flag + " " + file + (needs.isEmpty() ? "" : " " + String.join(" ", needs.stream()
                        .filter(s -> s.startsWith("--")).map(s -> s.contains("(optional")
                                ? "[" + s.replaceAll(" .*", "") + " FILE]" : s.replaceAll(" .*", "") + " FILE").toList()))
                        + " -p \"...\"" + hint);
    }

    private static void addEncoders(Names n, List<String> contains) {
        if (n.any("text_encoders.clip_l.", "cond_stage_model.transformer.", "conditioner.embedders.0.transformer.")
                || n.starts("text_model.", "te.")) {
            contains.add("text encoder (CLIP-L)");
        }
        if (n.any("cond_stage_model.model.", "conditioner.embedders.0.model.")) {
            contains.add("text encoder (OpenCLIP-H)");
        }
        if (n.any("text_encoders.clip_g.", "conditioner.embedders.1.")) {
            contains.add("text encoder (CLIP-G)");
        }
        if (n.any("text_encoders.t5xxl.")) {
            contains.add("text encoder (T5-XXL)");
        }
    }

    /** SD 1.x / 2.x / SDXL and their variants, as sd.cpp tells them apart. */
    private static String unetFamily(Names n, ModelFile f, String prefix) {
        boolean multipleEncoders = n.any("conditioner.embedders.1", "cond_stage_model.1", "te.1");
        long context = n.neEnd(prefix.isEmpty() ? "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"
                : prefix + "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", 0);
        if (context <= 0) {
            context = n.neEnd("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight", 0);
        }
        long token = n.neEnd("token_embedding.weight", 0);
        boolean xl = multipleEncoders || n.any("label_emb.") || context == 2048;
        long inCh = n.ne("input_blocks.0.0.weight", 2);
        if (inCh <= 0) {
            inCh = n.ne("conv_in.weight", 2);
        }
        boolean inpaint = inCh == 9;
        boolean pix2pix = inCh == 8;
        boolean middle1 = n.any("middle_block.1.", "mid_block.resnets.1.");
        if (!prefix.isEmpty()) {
            return xl ? "SDXL" : context == 1024 ? "SD 2.x" : "SD 1.x";
        }
        if (xl) {
            if (inpaint) return "SDXL Inpaint";
            if (pix2pix) return "SDXL Instruct-Pix2Pix";
            if (!middle1) return n.any("output_blocks.3.1.transformer_blocks.1", "up_blocks.1.attentions.0.transformer_blocks.1")
                    ? "SDXL (SSD-1B)" : "SDXL (Vega)";
            return "SDXL";
        }
        boolean sd2 = token == 1024 || token <= 0 && context == 1024;
        if (sd2) {
            if (inpaint) return "SD 2.x Inpaint";
            if (!middle1) return "SD 2.x Tiny UNet / SDXS-0.9";
            return "SD 2.x";
        }
        if (inpaint) return "SD 1.x Inpaint";
        if (pix2pix) return "SD 1.x Instruct-Pix2Pix";
        if (!middle1) {
            return n.any("output_blocks.7.1", "up_blocks.2.attentions.1") ? "SD 1.x Tiny UNet" : "SDXS (512-DS)";
        }
        return "SD 1.x";
    }

    private static String stem(String file) {
        String ext = Io.extension(file);
        return file.substring(0, file.length() - ext.length());
    }

    /** Tensor-name queries; one pass over the names per query (a few thousand names: microseconds). */
    /**
     * An LLM text encoder of sd.cpp's llm.hpp (passed with {@code --llm}), told apart by what sd.cpp itself reads:
     * the width and vocabulary of {@code embed_tokens}, the RMS norms of queries and keys (Qwen3 only) and the layer
     * count from the names; with the diffusion models its docs/*.md pair it with.
     */
    private static Detected llmEncoder(Names n, String file) {
        long hidden = n.ne("embed_tokens.weight", 0);
        long vocab = n.ne("embed_tokens.weight", 1);
        int layers = n.blocks("layers.");
        boolean qwen3 = n.any("self_attn.q_norm.weight");
        String name;
        String forWhat;
        if (vocab == 131072 && hidden == 5120) {
            name = "Mistral Small 3.2 24B";
            forWhat = "FLUX.2 [dev] (which reads layers 10, 20 and 30)";
        } else if (vocab == 131072 && hidden == 3072) {
            name = "Ministral 3 3B";
            forWhat = "ERNIE-Image";
        } else if (!qwen3 && hidden == 3584) {
            name = "Qwen2.5-VL 7B";
            forWhat = "Qwen-Image";
        } else if (qwen3 && hidden == 2560) {
            name = "Qwen3 4B";
            forWhat = "Z-Image or FLUX.2 [klein] 4B (which reads layers 9, 18 and 27)";
        } else if (qwen3 && hidden == 4096) {
            name = "Qwen3 8B";
            forWhat = "FLUX.2 [klein] 9B (which reads layers 9, 18 and 27)";
        } else if (qwen3 && hidden == 2048) {
            name = "Qwen3 1.7B";
            forWhat = "Ovis-Image";
        } else if (qwen3 && hidden == 1024) {
            name = "Qwen3 0.6B";
            forWhat = "Anima";
        } else {
            name = qwen3 ? "Qwen3" : "LLM";
            forWhat = "";
        }
        String arch = name + " text encoder (" + layers + (layers == 1 ? " layer)" : " layers)");
        return new Detected(arch, "text encoder", List.of("LLM (" + name + ")"),
                List.of(forWhat.isEmpty() ? "a diffusion model" : "a diffusion model: " + forWhat),
                "sdj generate --diffusion-model MODEL --vae VAE --llm " + file + " ...");
    }

    private static final class Names {
        private final ModelFile f;
        private final boolean gguf;

        Names(ModelFile f) {
            this.f = f;
            this.gguf = f.format() == ModelFile.Format.GGUF;
        }

        boolean any(String... parts) {
            return exists(name -> List.of(parts).stream().anyMatch(name::contains));
        }

        boolean starts(String... prefixes) {
            return exists(name -> List.of(prefixes).stream().anyMatch(name::startsWith));
        }

        private boolean exists(Predicate<String> name) {
            return f.tensors().stream().anyMatch(t -> name.test(t.name()));
        }

        int count(String part) {
            int c = 0;
            for (ModelFile.Tensor t : f.tensors()) {
                if (t.name().contains(part) && t.name().endsWith(".weight")) {
                    c++;
                }
            }
            return c;
        }

        /** ggml's ne[i] (innermost first) of the first tensor whose name ends with {@code suffix}, or -1. */
        long ne(String suffix, int i) {
            for (ModelFile.Tensor t : f.tensors()) {
                if (t.name().endsWith(suffix)) {
                    List<Long> s = t.shape();
                    int idx = gguf ? i : s.size() - 1 - i;
                    return idx >= 0 && idx < s.size() ? s.get(idx) : -1;
                }
            }
            return -1;
        }

        /**
         * The number of blocks named {@code prefix + N + "."} as sd.cpp counts them: the highest N plus one (0 when
         * there are none).
         */
        int blocks(String prefix) {
            return blocksWith(prefix, "");
        }

        /** As {@link #blocks}, counting only the blocks that have a tensor whose name also contains {@code part}. */
        int blocksWith(String prefix, String part) {
            int max = -1;
            for (ModelFile.Tensor t : f.tensors()) {
                int at = t.name().indexOf(prefix);
                if (at < 0 || !t.name().contains(part)) {
                    continue;
                }
                int start = at + prefix.length();
                int end = start;
                while (end < t.name().length() && Character.isDigit(t.name().charAt(end))) {
                    end++;
                }
                if (end > start) {
                    max = Math.max(max, Integer.parseInt(t.name().substring(start, Math.min(end, start + 9))));
                }
            }
            return max + 1;
        }

        /** The element count of the first tensor whose name ends with {@code suffix}, or -1 (the same in either format). */
        long elements(String suffix) {
            return f.tensors().stream().filter(t -> t.name().endsWith(suffix)).findFirst()
                    .map(ModelFile.Tensor::elementCount).orElse(-1L);
        }

        /** As {@link #ne}, for names containing {@code part} anywhere. */
        long neEnd(String part, int i) {
            return ne(part, i);
        }
    }
}
