package dev.sdjava.cli;

import dev.sdjava.CacheMode;
import dev.sdjava.CacheParams;
import dev.sdjava.GenerationRequest;
import dev.sdjava.HiresFix;
import dev.sdjava.HiresUpscaler;
import dev.sdjava.LoraApplyMode;
import dev.sdjava.ModelConfig;
import dev.sdjava.Prediction;
import dev.sdjava.PreviewMode;
import dev.sdjava.RngType;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;
import dev.sdjava.SkipLayerGuidance;
import dev.sdjava.VaeTiling;
import dev.sdjava.VideoRequest;
import dev.sdjava.WeightType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * {@code sdj generate}'s options, one class per section of its {@code --help}, with upstream
 * sd-cli's names and defaults. Each section puts what it was given into the model configuration
 * or the request; an option not given keeps sd.cpp's default, as upstream.
 */
final class GenerateOptions {
    private GenerateOptions() {
    }

    /** The model files, and how their weights are typed. */
    static final class Models {
        @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "Full model (.safetensors, .ckpt, .gguf).") Path model;
        @Option(names = "--diffusion-model", paramLabel = "FILE", description = "Standalone diffusion model (UNet/DiT), instead of -m.") Path diffusionModel;
        @Option(names = "--high-noise-diffusion-model", paramLabel = "FILE",
                description = "Standalone high-noise diffusion model (Wan 2.2).") Path highNoiseDiffusionModel;
        @Option(names = "--clip_l", paramLabel = "FILE", description = "CLIP-L text encoder.") Path clipL;
        @Option(names = "--clip_g", paramLabel = "FILE", description = "CLIP-G text encoder.") Path clipG;
        @Option(names = "--clip_vision", paramLabel = "FILE", description = "CLIP vision encoder.") Path clipVision;
        @Option(names = "--t5xxl", paramLabel = "FILE", description = "T5-XXL text encoder.") Path t5xxl;
        @Option(names = {"--llm", "--qwen2vl"}, paramLabel = "FILE", description = "LLM text encoder (Qwen-Image, Flux 2...).") Path llm;
        @Option(names = {"--llm_vision", "--qwen2vl_vision"}, paramLabel = "FILE", description = "The LLM's vision part.") Path llmVision;
        @Option(names = "--vae", paramLabel = "FILE", description = "Standalone VAE.") Path vae;
        @Option(names = {"--taesd", "--tae"}, paramLabel = "FILE", description = "Tiny autoencoder for fast decoding (lower quality).") Path taesd;
        @Option(names = "--embd-dir", paramLabel = "DIR",
                description = "Embeddings directory: each .safetensors/.gguf/.pt is usable in the prompt by its file name.") Path embdDir;
        @Option(names = "--type", paramLabel = "TYPE", converter = SdNames.WeightTypes.class, completionCandidates = SdNames.WeightTypes.class,
                description = "Convert weights to this type while loading, one of [${COMPLETION-CANDIDATES}] (default: as stored).") WeightType type;
        @Option(names = "--tensor-type-rules", paramLabel = "RULES",
                description = "Weight type per tensor pattern, e.g. \"^vae\\.=f16,model\\.=q8_0\".") String tensorTypeRules;
        @Option(names = "--prediction", paramLabel = "TYPE", converter = SdNames.Predictions.class, completionCandidates = SdNames.Predictions.class,
                description = "Prediction type override, one of [${COMPLETION-CANDIDATES}].") Prediction prediction;

        /** The model that names the run in messages: -m, else --diffusion-model. */
        Path main() {
            return model != null ? model : diffusionModel;
        }

        /** {@link #main()}, a usage error when neither -m nor --diffusion-model is given. */
        Path required() {
            if (main() == null) {
                throw new Failure(Failure.USAGE, "no model: give -m/--model FILE (or --diffusion-model FILE)");
            }
            return main();
        }

        /** The context these options and {@code threads} describe (the model is {@link #required()}). */
        ModelConfig config(Mixins.Threads threads) {
            required();
            ModelConfig.Builder b = ModelConfig.builder();
            applyTo(b);
            if (threads.given() != null) {
                b.threads(threads.given());
            }
            return b.build();
        }

        /** The files, in upstream's order, for the readability check. */
        List<Path> files() {
            return Arrays.asList(model, diffusionModel, highNoiseDiffusionModel, clipL, clipG, clipVision, t5xxl,
                    llm, llmVision, vae, taesd);
        }

        void applyTo(ModelConfig.Builder b) {
            set(model, b::model);
            set(diffusionModel, b::diffusionModel);
            set(highNoiseDiffusionModel, b::highNoiseDiffusionModel);
            set(clipL, b::clipL);
            set(clipG, b::clipG);
            set(clipVision, b::clipVision);
            set(t5xxl, b::t5xxl);
            set(llm, b::llm);
            set(llmVision, b::llmVision);
            set(vae, b::vae);
            set(taesd, b::taesd);
            if (embdDir != null) {
                addEmbeddings(b);
            }
            set(tensorTypeRules, b::tensorTypeRules);
            set(type, b::weightType);
            set(prediction, b::prediction);
        }

        private void addEmbeddings(ModelConfig.Builder b) {
            try (Stream<Path> files = Files.list(embdDir)) {
                files.filter(Files::isRegularFile).sorted().forEach(f -> {
                    String name = f.getFileName().toString();
                    String ext = Io.extension(name);
                    if (ext.equals(".gguf") || ext.equals(".safetensors") || ext.equals(".pt")) {
                        b.embedding(name.substring(0, name.length() - ext.length()), f);
                    }
                });
            } catch (IOException e) {
                throw new Failure(Failure.INPUT, "could not list --embd-dir " + embdDir + ": " + e.getMessage(), e);
            }
        }
    }

    /** The prompt, the size, the seed and the number of images. */
    static final class Prompt {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", defaultValue = "", description = "The prompt.") String prompt;
        @Option(names = {"-n", "--negative-prompt"}, paramLabel = "TEXT", defaultValue = "",
                description = "The negative prompt (default: \"\").") String negativePrompt;
        @Option(names = {"-W", "--width"}, paramLabel = "N", description = "Width in pixels (default: 512, or the init image's).") Integer width;
        @Option(names = {"-H", "--height"}, paramLabel = "N", description = "Height in pixels (default: 512, or the init image's).") Integer height;
        @Option(names = {"-s", "--seed"}, paramLabel = "N", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}; < 0: random).") long seed;
        @Option(names = {"-b", "--batch-count"}, paramLabel = "N", description = "Images to generate (seeds s, s+1, ...).") Integer batchCount;

        /** Whether both -W and -H are given (else an init image sets the size, as upstream). */
        boolean sizeSet() {
            return width != null && width > 0 && height != null && height > 0;
        }

        int batch() {
            return batchCount == null ? 1 : batchCount;
        }

        void applyTo(GenerationRequest.Builder rb) {
            rb.negativePrompt(negativePrompt);
            if (width != null && width > 0) rb.width(width);
            if (height != null && height > 0) rb.height(height);
            if (seed >= 0) rb.seed(seed);
            set(batchCount, rb::batchCount);
        }

        void applyTo(VideoRequest.Builder vb) {
            if (batchCount != null && batchCount != 1) {
                throw new Failure(Failure.USAGE, "-b/--batch-count makes images; a video is one result (use --video-frames)");
            }
            vb.negativePrompt(negativePrompt);
            if (width != null && width > 0) vb.width(width);
            if (height != null && height > 0) vb.height(height);
            if (seed >= 0) vb.seed(seed);
        }
    }

    /** Images that go in: image-to-image, inpainting, reference images. */
    static final class Images {
        @Option(names = {"-i", "--init-img"}, paramLabel = "IMAGE", description = "Init image (image-to-image).") Path initImg;
        @Option(names = "--strength", paramLabel = "X", description = "Image-to-image strength in [0,1] (default: 0.75).") Float strength;
        @Option(names = "--mask", paramLabel = "IMAGE", description = "Inpainting mask (white: repaint); needs -i.") Path mask;
        @Option(names = {"-r", "--ref-image"}, paramLabel = "IMAGE",
                description = "Reference image (Flux Kontext, Qwen-Image-Edit); repeatable.") List<Path> refImages = new ArrayList<>();
        @Option(names = "--increase-ref-index", description = "Number reference images from 1 in the order given.") boolean increaseRefIndex;
        @Option(names = "--disable-auto-resize-ref-image", description = "Do not resize reference images.") boolean disableAutoResizeRefImage;
    }

    /** The sampler, its schedule and its noise. */
    static final class Sampling {
        @Option(names = "--steps", paramLabel = "N", description = "Sampling steps (default: 20).") Integer steps;
        @Option(names = "--sampling-method", paramLabel = "NAME", converter = SdNames.Samplers.class, completionCandidates = SdNames.Samplers.class,
                description = "Sampler, one of [${COMPLETION-CANDIDATES}] (default: the model's, euler_a for SD1.x).") SamplingMethod samplingMethod;
        @Option(names = "--scheduler", paramLabel = "NAME", converter = SdNames.Schedulers.class, completionCandidates = SdNames.Schedulers.class,
                description = "Scheduler, one of [${COMPLETION-CANDIDATES}] (default: the model's).") Scheduler scheduler;
        @Option(names = "--sigmas", paramLabel = "LIST", converter = Values.Numbers.Floats.class,
                description = "Custom sigmas, comma-separated, e.g. \"14.61,7.8,3.5,0.0\".") Values.Numbers sigmas;
        @Option(names = "--eta", paramLabel = "X", description = "Noise multiplier of ancestral/DDIM-like samplers.") Float eta;
        @Option(names = "--flow-shift", paramLabel = "X", description = "Flow shift (SD3, Wan; default: auto).") Float flowShift;
        @Option(names = "--timestep-shift", paramLabel = "N", description = "Shifted timestep (NitroFusion models).") Integer timestepShift;
        @Option(names = "--clip-skip", paramLabel = "N", description = "CLIP layers to skip; <= 0: the model's default.") Integer clipSkip;
        @Option(names = "--rng", paramLabel = "RNG", converter = SdNames.Rngs.class, completionCandidates = SdNames.Rngs.class,
                description = "Noise RNG, one of [${COMPLETION-CANDIDATES}] (default: cuda).") RngType rng;
        @Option(names = "--sampler-rng", paramLabel = "RNG", converter = SdNames.Rngs.class, completionCandidates = SdNames.Rngs.class,
                description = "Sampler RNG, one of [${COMPLETION-CANDIDATES}] (default: as --rng).") RngType samplerRng;

        /** The steps sampling is expected to take (for the progress bar). */
        int expectedSteps() {
            return steps == null ? 20 : steps;
        }

        void applyTo(GenerationRequest.Builder rb) {
            set(steps, rb::steps);
            set(samplingMethod, rb::samplingMethod);
            set(scheduler, rb::scheduler);
            if (sigmas != null) rb.customSigmas(sigmas.floats());
            set(eta, rb::eta);
            set(flowShift, rb::flowShift);
            set(timestepShift, rb::shiftedTimestep);
            if (clipSkip != null && clipSkip > 0) rb.clipSkip(clipSkip);
        }

        void applyTo(VideoRequest.Builder vb) {
            if (sigmas != null || timestepShift != null) {
                throw new Failure(Failure.USAGE, (sigmas != null ? "--sigmas" : "--timestep-shift")
                        + " is not available for videos in sdj yet");
            }
            set(steps, vb::steps);
            set(samplingMethod, vb::samplingMethod);
            set(scheduler, vb::scheduler);
            set(eta, vb::eta);
            set(flowShift, vb::flowShift);
            if (clipSkip != null && clipSkip > 0) vb.clipSkip(clipSkip);
        }

        void applyTo(ModelConfig.Builder b) {
            set(rng, b::rng);
            set(samplerRng, b::samplerRng);
        }
    }

    /** How strongly the prompt steers. */
    static final class Guidance {
        @Option(names = "--cfg-scale", paramLabel = "X", description = "Classifier-free guidance scale (default: 7.0).") Float cfgScale;
        @Option(names = "--img-cfg-scale", paramLabel = "X",
                description = "Image guidance scale (inpaint / instruct-pix2pix; default: as --cfg-scale).") Float imgCfgScale;
        @Option(names = "--guidance", paramLabel = "X", description = "Distilled guidance (Flux; default: 3.5).") Float guidance;
        @Option(names = "--slg-scale", paramLabel = "X", description = "Skip-layer guidance scale, DiT models (default: 0, off).") Float slgScale;
        @Option(names = "--skip-layer-start", paramLabel = "X", description = "SLG start (default: 0.01).") Float skipLayerStart;
        @Option(names = "--skip-layer-end", paramLabel = "X", description = "SLG end (default: 0.2).") Float skipLayerEnd;
        @Option(names = "--skip-layers", paramLabel = "LIST", converter = Values.Numbers.Ints.class,
                description = "Layers SLG skips, e.g. [7,8,9] (default).") Values.Numbers skipLayers;

        void applyTo(GenerationRequest.Builder rb) {
            set(cfgScale, rb::cfgScale);
            set(imgCfgScale, rb::imageCfgScale);
            set(guidance, rb::distilledGuidance);
            if (slgScale != null || skipLayerStart != null || skipLayerEnd != null || skipLayers != null) {
                rb.skipLayerGuidance(new SkipLayerGuidance(skipLayers == null ? new int[] {7, 8, 9} : skipLayers.ints(),
                        skipLayerStart == null ? 0.01f : skipLayerStart, skipLayerEnd == null ? 0.2f : skipLayerEnd,
                        slgScale == null ? 0f : slgScale));
            }
        }
    }

    /** Models that adapt or steer the main one. */
    static final class Adapters {
        @Option(names = "--lora", paramLabel = "PATH[:WEIGHT]",
                description = "A LoRA file and its weight (default 1); repeatable. (sdj only)") List<String> lora = new ArrayList<>();
        @Option(names = "--lora-model-dir", paramLabel = "DIR", description = "LoRA directory for <lora:NAME:WEIGHT> tags in the prompt.") Path loraModelDir;
        @Option(names = "--lora-apply-mode", paramLabel = "MODE", converter = SdNames.LoraModes.class, completionCandidates = SdNames.LoraModes.class,
                description = "How LoRAs are applied, one of [${COMPLETION-CANDIDATES}] (default: auto).") LoraApplyMode loraApplyMode;
        @Option(names = "--control-net", paramLabel = "FILE", description = "ControlNet model.") Path controlNet;
        @Option(names = "--control-image", paramLabel = "IMAGE", description = "ControlNet image.") Path controlImage;
        @Option(names = "--canny", description = "Apply the Canny edge preprocessor to the control image.") boolean canny;
        @Option(names = "--control-strength", paramLabel = "X", description = "ControlNet strength (default: 0.9).") Float controlStrength;
        @Option(names = "--photo-maker", paramLabel = "FILE", description = "PhotoMaker model.") Path photoMakerModel;
        @Option(names = "--pm-id-images-dir", paramLabel = "DIR", description = "PhotoMaker: directory of id images.") Path pmIdImagesDir;
        @Option(names = "--pm-id-embed-path", paramLabel = "FILE", description = "PhotoMaker v2: id embedding.") Path pmIdEmbedPath;
        @Option(names = "--pm-style-strength", paramLabel = "X", defaultValue = "20",
                description = "PhotoMaker style strength (default: ${DEFAULT-VALUE}).") float pmStyleStrength;

        void applyTo(ModelConfig.Builder b) {
            set(controlNet, b::controlNet);
            set(photoMakerModel, b::photoMaker);
            set(loraApplyMode, b::loraApplyMode);
        }
    }

    /** A second, larger pass, and ESRGAN on the results. */
    static final class Hires {
        @Option(names = "--hires", description = "High-resolution fix: second pass at a larger size.") boolean hires;
        @Option(names = "--hires-upscaler", paramLabel = "NAME", completionCandidates = SdNames.HiresUpscalers.class,
                description = "Hires upscaler: ${COMPLETION-CANDIDATES}, or a model name in --hires-upscalers-dir (default: Latent).") String hiresUpscaler;
        @Option(names = "--hires-upscalers-dir", paramLabel = "DIR", description = "Directory of hires upscaler models.") Path hiresUpscalersDir;
        @Option(names = "--hires-scale", paramLabel = "X", defaultValue = "2.0", description = "Hires scale (default: ${DEFAULT-VALUE}).") float hiresScale;
        @Option(names = "--hires-width", paramLabel = "N", defaultValue = "0", description = "Hires target width (0: use --hires-scale).") int hiresWidth;
        @Option(names = "--hires-height", paramLabel = "N", defaultValue = "0", description = "Hires target height (0: use --hires-scale).") int hiresHeight;
        @Option(names = "--hires-steps", paramLabel = "N", defaultValue = "0", description = "Hires second-pass steps (0: --steps).") int hiresSteps;
        @Option(names = "--hires-denoising-strength", paramLabel = "X", defaultValue = "0.7",
                description = "Hires denoising strength (default: ${DEFAULT-VALUE}).") float hiresDenoisingStrength;
        @Option(names = "--hires-upscale-tile-size", paramLabel = "N", defaultValue = "128",
                description = "Hires model upscaler tile size (default: ${DEFAULT-VALUE}).") int hiresUpscaleTileSize;
        @ArgGroup(validate = false) Mixins.Upscaling upscaling = new Mixins.Upscaling();

        /**
         * The hires fix asked for, or null: a built-in upscaler by sd.cpp's name, else a model
         * file of that name (with or without extension) in --hires-upscalers-dir.
         */
        HiresFix fix() {
            if (!hires) {
                return null;
            }
            String name = hiresUpscaler == null || hiresUpscaler.isBlank() ? "Latent" : hiresUpscaler;
            HiresUpscaler u;
            Path modelFile = null;
            try {
                u = HiresUpscaler.fromSdName(name);
            } catch (IllegalArgumentException e) {
                modelFile = upscalerModel(name);
                u = HiresUpscaler.MODEL;
            }
            if (u == HiresUpscaler.NONE) {
                return null;
            }
            return new HiresFix(u, modelFile, hiresScale, hiresWidth, hiresHeight, hiresSteps, hiresDenoisingStrength, hiresUpscaleTileSize);
        }

        private Path upscalerModel(String name) {
            if (hiresUpscalersDir == null) {
                throw new Failure(Failure.USAGE, "--hires-upscaler " + name + " is no built-in upscaler and no --hires-upscalers-dir is given");
            }
            for (String ext : List.of("", ".gguf", ".safetensors", ".pt", ".pth")) {
                Path p = hiresUpscalersDir.resolve(name + ext);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
            throw new Failure(Failure.INPUT, "hires upscaler " + name + " not found in " + hiresUpscalersDir);
        }

        /** Whether the fix enlarges pixels (so the VAE encoder must stay loaded). */
        static boolean inPixels(HiresFix fix) {
            HiresUpscaler u = fix.upscaler();
            return u == HiresUpscaler.MODEL || u == HiresUpscaler.LANCZOS || u == HiresUpscaler.NEAREST;
        }
    }

    /** Where the work runs and how much memory it takes. */
    static final class Performance {
        @ArgGroup(validate = false) Mixins.Threads threads = new Mixins.Threads();
        @Option(names = "--offload-to-cpu", description = "Keep weights in RAM, move them to VRAM when needed.") boolean offloadToCpu;
        @Option(names = "--isolated", description = "Run sd.cpp in a supervised child JVM: a native abort or crash there "
                + "ends the command with exit code 5 and one line instead of killing sdj, and Ctrl-C stops sampling at once.") boolean isolated;
        @Option(names = "--mmap", description = "Memory-map the model.") boolean mmap;
        @Option(names = "--clip-on-cpu", description = "Keep the text encoder on the CPU.") boolean clipOnCpu;
        @Option(names = "--control-net-cpu", description = "Keep the ControlNet on the CPU.") boolean controlNetCpu;
        @Option(names = "--vae-on-cpu", description = "Keep the VAE on the CPU.") boolean vaeOnCpu;
        @Option(names = "--fa", description = "Flash attention.") boolean flashAttention;
        @Option(names = "--diffusion-fa", negatable = true, description = "Flash attention in the diffusion model only "
                + "(default: the choice of 'sdj calibrate' for this machine and model, else off).") Boolean diffusionFa;
        @Option(names = "--diffusion-conv-direct", description = "ggml_conv2d_direct in the diffusion model.") boolean diffusionConvDirect;
        @Option(names = "--vae-conv-direct", description = "ggml_conv2d_direct in the VAE.") boolean vaeConvDirect;
        @Option(names = "--max-vram", paramLabel = "GIB", description = "VRAM budget in GiB for graph splitting (0: off).") Float maxVram;
        @Option(names = "--vae-tiling", description = "Decode the VAE in tiles (less memory).") boolean vaeTiling;
        @Option(names = "--vae-tile-size", paramLabel = "XxY", converter = Values.Pair.Ints.class,
                description = "VAE tile size in latent pixels (default: sd.cpp's).") Values.Pair vaeTileSize;
        @Option(names = "--vae-relative-tile-size", paramLabel = "XxY", converter = Values.Pair.Floats.class,
                description = "VAE tile size relative to the image (overrides --vae-tile-size).") Values.Pair vaeRelativeTileSize;
        @Option(names = "--vae-tile-overlap", paramLabel = "X", defaultValue = "0.5",
                description = "VAE tile overlap (default: ${DEFAULT-VALUE}).") float vaeTileOverlap;
        @ArgGroup(validate = false) Mixins.Calibrated calibrated = new Mixins.Calibrated();

        /** Whether the user chose flash attention either way (then no calibration applies). */
        boolean faGiven() {
            return flashAttention || diffusionFa != null;
        }
        @Option(names = "--max-memory", paramLabel = "SIZE", converter = Values.Bytes.class,
                description = "Peak memory budget, e.g. 2G or 1.5G (K/M/G/T = 1024^n bytes): sdj picks diffusion flash attention, "
                        + "VAE tiling, q8_0/q4_0 weights (converted once next to the model) and, with --max-memory-taesd, TAESD, "
                        + "until its estimate fits, and prints what it chose. Options given here are kept. (sdj only)") Long maxMemory;
        @Option(names = {"--max-memory-taesd", "--max-memory-allow-taesd"}, paramLabel = "FILE",
                description = "A TAESD the budget may decode with when nothing else fits (lower quality). (sdj only)") Path maxMemoryTaesd;

        void applyTo(ModelConfig.Builder b) {
            set(threads.given(), b::threads);
            enable(offloadToCpu, b::offloadParamsToCpu);
            enable(mmap, b::mmap);
            enable(clipOnCpu, b::keepClipOnCpu);
            enable(controlNetCpu, b::keepControlNetOnCpu);
            enable(vaeOnCpu, b::keepVaeOnCpu);
            enable(flashAttention, b::flashAttention);
            set(diffusionFa, b::diffusionFlashAttention);
            enable(diffusionConvDirect, b::diffusionConvDirect);
            enable(vaeConvDirect, b::vaeConvDirect);
            set(maxVram, b::maxVram);
            set(maxMemory, b::maxMemory);
            set(maxMemoryTaesd, b::maxMemoryTaesd);
        }

        void applyTo(GenerationRequest.Builder rb) {
            set(tiling(), rb::vaeTiling);
        }

        /** The VAE tiling asked for, or null. */
        VaeTiling tiling() {
            if (!vaeTiling) {
                return null;
            }
            Values.Pair tile = vaeTileSize == null ? new Values.Pair(0, 0) : vaeTileSize;
            Values.Pair rel = vaeRelativeTileSize == null ? new Values.Pair(0, 0) : vaeRelativeTileSize;
            return new VaeTiling(tile.x().intValue(), tile.y().intValue(), vaeTileOverlap,
                    rel.x().floatValue(), rel.y().floatValue());
        }
    }

    /**
     * Step caches: sd-cli's four flags, read by {@link CacheParams} with upstream's meaning (the
     * keys and their per-mode fields are spelled there, once).
     */
    static final class Cache {
        @Option(names = "--cache-mode", paramLabel = "MODE", converter = SdNames.CacheModes.class, completionCandidates = SdNames.CacheModes.class,
                description = "Step cache, one of [${COMPLETION-CANDIDATES}]: ucache and spectrum for UNet models (SD 1.x, 2.x, XL), "
                        + "easycache, dbcache, taylorseer, cache-dit for DiT models (others log a warning and run uncached).") CacheMode mode;
        @Option(names = "--cache-option", paramLabel = "K=V,...",
                description = "Cache settings, comma-separated key=value. easycache/ucache: threshold, start, end, decay, relative, reset; "
                        + "dbcache/taylorseer/cache-dit: Fn, Bn, threshold, warmup; spectrum: w, m, lam, window, flex, warmup, stop. "
                        + "E.g. \"threshold=0.25\" or \"threshold=1.5,reset=0\".") String option;
        @Option(names = "--scm-mask", paramLabel = "MASK",
                description = "Steps mask of the DiT block caches: one 1 (compute) or 0 (may cache) per step, comma-separated, "
                        + "e.g. \"1,1,1,0,0,1,0,0,1,0\".") String scmMask;
        @Option(names = "--scm-policy", arity = "1", paramLabel = "POLICY", converter = ScmPolicy.class, completionCandidates = ScmPolicy.class,
                description = "SCM policy, one of [${COMPLETION-CANDIDATES}] (default: dynamic).") Boolean scmPolicyDynamic;

        /** The settings given, or null when no cache flag is: the request keeps sd.cpp's defaults. */
        CacheParams params() {
            if (mode == null && option == null && scmMask == null && scmPolicyDynamic == null) {
                return null;
            }
            if (scmMask != null) {
                usage("--scm-mask", () -> CacheParams.builder().scmMask(scmMask).build());
            }
            CacheParams.Builder b = CacheParams.builder();
            set(mode, b::mode);
            set(scmMask, b::scmMask);
            // sd-cli passes the policy to the block caches only (initialize_cache_params).
            if (scmPolicyDynamic != null && (mode == CacheMode.DBCACHE || mode == CacheMode.TAYLORSEER || mode == CacheMode.CACHE_DIT)) {
                b.scmPolicyDynamic(scmPolicyDynamic);
            }
            return usage("--cache-option", () -> b.sdOptions(option == null ? "" : option).build());
        }

        void applyTo(GenerationRequest.Builder rb) {
            set(params(), rb::cache);
        }

        /** What {@code make} returns; its IllegalArgumentException as a usage error naming {@code flag}. */
        private static <T> T usage(String flag, Supplier<T> make) {
            try {
                return make.get();
            } catch (IllegalArgumentException e) {
                throw new Failure(Failure.USAGE, flag + ": " + e.getMessage());
            }
        }

        /** {@code --scm-policy dynamic|static}, as sd-cli. */
        static final class ScmPolicy implements ITypeConverter<Boolean>, Iterable<String> {
            @Override
            public Boolean convert(String v) {
                return switch (v) {
                    case "dynamic" -> true;
                    case "static" -> false;
                    default -> throw new TypeConversionException("must be dynamic or static, got " + v);
                };
            }

            @Override
            public Iterator<String> iterator() {
                return List.of("dynamic", "static").iterator();
            }
        }
    }

    /** Switches that only some architectures know. */
    static final class ModelSpecific {
        @Option(names = "--circular", description = "Circular padding on both axes (seamless tiles).") boolean circular;
        @Option(names = "--circularx", description = "Circular padding on x only.") boolean circularX;
        @Option(names = "--circulary", description = "Circular padding on y only.") boolean circularY;
        @Option(names = "--force-sdxl-vae-conv-scale", description = "Force the SDXL VAE convolution scale.") boolean forceSdxlVaeConvScale;
        @Option(names = "--chroma-disable-dit-mask", description = "Chroma: no DiT mask.") boolean chromaDisableDitMask;
        @Option(names = "--chroma-enable-t5-mask", description = "Chroma: T5 mask.") boolean chromaEnableT5Mask;
        @Option(names = "--chroma-t5-mask-pad", paramLabel = "N", description = "Chroma: T5 mask padding.") Integer chromaT5MaskPad;
        @Option(names = "--qwen-image-zero-cond-t", description = "Qwen-Image: zero_cond_t.") boolean qwenImageZeroCondT;

        void applyTo(ModelConfig.Builder b) {
            enable(circular || circularX, b::circularX);
            enable(circular || circularY, b::circularY);
            enable(forceSdxlVaeConvScale, b::forceSdxlVaeConvScale);
            if (chromaDisableDitMask) b.chromaUseDitMask(false);
            enable(chromaEnableT5Mask, b::chromaUseT5Mask);
            set(chromaT5MaskPad, b::chromaT5MaskPad);
            enable(qwenImageZeroCondT, b::qwenImageZeroCondT);
        }
    }

    /** Pictures of the sampling as it goes. */
    static final class Preview {
        @Option(names = "--preview", paramLabel = "MODE", converter = SdNames.Previews.class, completionCandidates = SdNames.Previews.class,
                description = "Write previews while sampling, one of [${COMPLETION-CANDIDATES}] (default: none).") PreviewMode preview;
        @Option(names = "--preview-path", paramLabel = "FILE", defaultValue = "preview.png",
                description = "Preview file (default: ${DEFAULT-VALUE}).") Path previewPath;
        @Option(names = "--preview-interval", paramLabel = "N", defaultValue = "1",
                description = "Steps between previews (default: ${DEFAULT-VALUE}).") int previewInterval;
        @Option(names = "--preview-noisy", description = "Preview the noisy inputs instead of the denoised outputs.") boolean previewNoisy;
        @Option(names = "--taesd-preview-only", description = "Use TAESD for previews only, the VAE for results.") boolean taesdPreviewOnly;

        void applyTo(ModelConfig.Builder b) {
            enable(taesdPreviewOnly, b::taePreviewOnly);
        }

        void applyTo(GenerationRequest.Builder rb) {
            if (preview != null && preview != PreviewMode.NONE) {
                Path file = previewPath;
                rb.preview(preview, previewInterval, previewNoisy, (step, frames, noisy) -> {
                    if (!frames.isEmpty()) {
                        Io.write(frames.getFirst(), file);
                    }
                });
            }
        }
    }

    /** The files written and what is printed. */
    static final class Output {
        @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "output.png",
                description = "Output file (default: ${DEFAULT-VALUE}); batches: NAME_0.png, NAME_1.png...; "
                        + "%%d in the name numbers them instead. .png or .jpg.") String output;
        @Option(names = "--output-begin-idx", paramLabel = "N", defaultValue = "0",
                description = "First index in batch file names (default: ${DEFAULT-VALUE}).") int outputBeginIdx;
        @Option(names = "--disable-image-metadata", description = "Do not embed the generation parameters in the PNG.") boolean disableImageMetadata;
        @ArgGroup(validate = false) Mixins.JsonOutput json = new Mixins.JsonOutput();

        void check() {
            if (output.isBlank()) {
                throw new Failure(Failure.USAGE, "-o/--output must not be empty");
            }
            if (outputBeginIdx < 0) {
                throw new Failure(Failure.USAGE, "--output-begin-idx must be >= 0, got " + outputBeginIdx);
            }
            if (Io.extension(output).equalsIgnoreCase(".webp")) {
                throw new Failure(Failure.USAGE, "sdj writes PNG or JPEG, not WebP: use a .png or .jpg name for -o");
            }
        }
    }

    /** Sets a value that was given; one not given (null) keeps sd.cpp's default. */
    private static <T> void set(T value, Consumer<T> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }

    /** Turns on a switch that was given; one not given keeps sd.cpp's default. */
    private static void enable(boolean given, Consumer<Boolean> setter) {
        if (given) {
            setter.accept(true);
        }
    }
}
