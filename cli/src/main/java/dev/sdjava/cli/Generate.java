package dev.sdjava.cli;

import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.HiresFix;
import dev.sdjava.HiresUpscaler;
import dev.sdjava.LoraApplyMode;
import dev.sdjava.ModelConfig;
import dev.sdjava.PhotoMaker;
import dev.sdjava.Prediction;
import dev.sdjava.PreviewMode;
import dev.sdjava.RngType;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;
import dev.sdjava.SdImage;
import dev.sdjava.SkipLayerGuidance;
import dev.sdjava.StableDiffusion;
import dev.sdjava.StableDiffusionException;
import dev.sdjava.Upscaler;
import dev.sdjava.VaeTiling;
import dev.sdjava.WeightType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code sdj generate}: text-to-image, image-to-image, inpainting, ControlNet, with upstream
 * {@code sd-cli}'s option names. Unset options keep sd.cpp's defaults, as upstream.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = Sdj.Version.class, aliases = "img_gen", sortOptions = false, usageHelpAutoWidth = true,
        description = {"Generate images: text-to-image, image-to-image (-i), inpainting (--mask), ControlNet "
                + "(--control-net, --control-image), with LoRAs, embeddings, TAESD, hires fix.",
                "Option names and defaults are those of upstream's sd-cli."})
final class Generate implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    Sdj root;

    // ---- models (sd_ctx_params) ----
    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "Full model (.safetensors, .ckpt, .gguf).")
    Path model;
    @Option(names = "--diffusion-model", paramLabel = "FILE", description = "Standalone diffusion model (UNet/DiT), instead of -m.")
    Path diffusionModel;
    @Option(names = "--high-noise-diffusion-model", paramLabel = "FILE", description = "Standalone high-noise diffusion model (Wan 2.2).")
    Path highNoiseDiffusionModel;
    @Option(names = "--clip_l", paramLabel = "FILE", description = "CLIP-L text encoder.")
    Path clipL;
    @Option(names = "--clip_g", paramLabel = "FILE", description = "CLIP-G text encoder.")
    Path clipG;
    @Option(names = "--clip_vision", paramLabel = "FILE", description = "CLIP vision encoder.")
    Path clipVision;
    @Option(names = "--t5xxl", paramLabel = "FILE", description = "T5-XXL text encoder.")
    Path t5xxl;
    @Option(names = {"--llm", "--qwen2vl"}, paramLabel = "FILE", description = "LLM text encoder (Qwen-Image, Flux 2...).")
    Path llm;
    @Option(names = {"--llm_vision", "--qwen2vl_vision"}, paramLabel = "FILE", description = "The LLM's vision part.")
    Path llmVision;
    @Option(names = "--vae", paramLabel = "FILE", description = "Standalone VAE.")
    Path vae;
    @Option(names = {"--taesd", "--tae"}, paramLabel = "FILE", description = "Tiny autoencoder for fast decoding (lower quality).")
    Path taesd;
    @Option(names = "--control-net", paramLabel = "FILE", description = "ControlNet model.")
    Path controlNet;
    @Option(names = "--photo-maker", paramLabel = "FILE", description = "PhotoMaker model.")
    Path photoMakerModel;
    @Option(names = "--embd-dir", paramLabel = "DIR", description = "Embeddings directory: each .safetensors/.gguf/.pt is usable in the prompt by its file name.")
    Path embdDir;
    @Option(names = "--lora-model-dir", paramLabel = "DIR", description = "LoRA directory for <lora:NAME:WEIGHT> tags in the prompt.")
    Path loraModelDir;
    @Option(names = "--lora", paramLabel = "PATH[:WEIGHT]", description = "A LoRA file and its weight (default 1); repeatable. (sdj only)")
    List<String> lora = new ArrayList<>();
    @Option(names = "--tensor-type-rules", paramLabel = "RULES", description = "Weight type per tensor pattern, e.g. \"^vae\\.=f16,model\\.=q8_0\".")
    String tensorTypeRules;
    @Option(names = "--upscale-model", paramLabel = "FILE", description = "ESRGAN model: upscale the results after generation.")
    Path upscaleModel;
    @Option(names = "--upscale-repeats", paramLabel = "N", defaultValue = "1", description = "Run the upscaler N times (default: ${DEFAULT-VALUE}).")
    int upscaleRepeats;
    @Option(names = "--upscale-tile-size", paramLabel = "N", defaultValue = "128", description = "ESRGAN tile size (default: ${DEFAULT-VALUE}).")
    int upscaleTileSize;

    // ---- context switches ----
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads; <= 0: the number of physical cores (default).")
    Integer threads;
    @Option(names = "--type", paramLabel = "TYPE", converter = Names.Type.class, completionCandidates = Names.None.class,
            description = "Convert weights to this type while loading: f32, f16, q8_0, q5_0, q5_1, q4_0, q4_1, q4_K... (default: as stored).")
    WeightType type;
    @Option(names = "--rng", paramLabel = "RNG", converter = Names.Rng.class, completionCandidates = Names.None.class,
            description = "Noise RNG, one of [" + Names.RNGS + "] (default: cuda).")
    RngType rng;
    @Option(names = "--sampler-rng", paramLabel = "RNG", converter = Names.Rng.class, completionCandidates = Names.None.class,
            description = "Sampler RNG, one of [" + Names.RNGS + "] (default: as --rng).")
    RngType samplerRng;
    @Option(names = "--prediction", paramLabel = "TYPE", converter = Names.Pred.class, completionCandidates = Names.None.class,
            description = "Prediction type override, one of [" + Names.PREDICTIONS + "].")
    Prediction prediction;
    @Option(names = "--lora-apply-mode", paramLabel = "MODE", converter = Names.LoraMode.class, completionCandidates = Names.None.class,
            description = "How LoRAs are applied, one of [" + Names.LORA_MODES + "] (default: auto).")
    LoraApplyMode loraApplyMode;
    @Option(names = "--offload-to-cpu", description = "Keep weights in RAM, move them to VRAM when needed.")
    boolean offloadToCpu;
    @Option(names = "--isolated", description = "Run sd.cpp in a supervised child JVM: a native abort or crash there "
            + "ends the command with exit code 5 and one line instead of killing sdj, and Ctrl-C stops sampling at once.")
    boolean isolated;
    @Option(names = "--mmap", description = "Memory-map the model.")
    boolean mmap;
    @Option(names = "--clip-on-cpu", description = "Keep the text encoder on the CPU.")
    boolean clipOnCpu;
    @Option(names = "--control-net-cpu", description = "Keep the ControlNet on the CPU.")
    boolean controlNetCpu;
    @Option(names = "--vae-on-cpu", description = "Keep the VAE on the CPU.")
    boolean vaeOnCpu;
    @Option(names = "--fa", description = "Flash attention.")
    boolean flashAttention;
    @Option(names = "--diffusion-fa", description = "Flash attention in the diffusion model only.")
    boolean diffusionFa;
    @Option(names = "--diffusion-conv-direct", description = "ggml_conv2d_direct in the diffusion model.")
    boolean diffusionConvDirect;
    @Option(names = "--vae-conv-direct", description = "ggml_conv2d_direct in the VAE.")
    boolean vaeConvDirect;
    @Option(names = "--circular", description = "Circular padding on both axes (seamless tiles).")
    boolean circular;
    @Option(names = "--circularx", description = "Circular padding on x only.")
    boolean circularX;
    @Option(names = "--circulary", description = "Circular padding on y only.")
    boolean circularY;
    @Option(names = "--force-sdxl-vae-conv-scale", description = "Force the SDXL VAE convolution scale.")
    boolean forceSdxlVaeConvScale;
    @Option(names = "--chroma-disable-dit-mask", description = "Chroma: no DiT mask.")
    boolean chromaDisableDitMask;
    @Option(names = "--chroma-enable-t5-mask", description = "Chroma: T5 mask.")
    boolean chromaEnableT5Mask;
    @Option(names = "--chroma-t5-mask-pad", paramLabel = "N", description = "Chroma: T5 mask padding.")
    Integer chromaT5MaskPad;
    @Option(names = "--qwen-image-zero-cond-t", description = "Qwen-Image: zero_cond_t.")
    boolean qwenImageZeroCondT;
    @Option(names = "--max-vram", paramLabel = "GIB", description = "VRAM budget in GiB for graph splitting (0: off).")
    Float maxVram;

    // ---- generation ----
    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", defaultValue = "", description = "The prompt.")
    String prompt;
    @Option(names = {"-n", "--negative-prompt"}, paramLabel = "TEXT", defaultValue = "", description = "The negative prompt (default: \"\").")
    String negativePrompt;
    @Option(names = {"-i", "--init-img"}, paramLabel = "IMAGE", description = "Init image (image-to-image).")
    Path initImg;
    @Option(names = "--mask", paramLabel = "IMAGE", description = "Inpainting mask (white: repaint); needs -i.")
    Path mask;
    @Option(names = "--control-image", paramLabel = "IMAGE", description = "ControlNet image.")
    Path controlImage;
    @Option(names = "--canny", description = "Apply the Canny edge preprocessor to the control image.")
    boolean canny;
    @Option(names = {"-r", "--ref-image"}, paramLabel = "IMAGE", description = "Reference image (Flux Kontext, Qwen-Image-Edit); repeatable.")
    List<Path> refImages = new ArrayList<>();
    @Option(names = "--increase-ref-index", description = "Number reference images from 1 in the order given.")
    boolean increaseRefIndex;
    @Option(names = "--disable-auto-resize-ref-image", description = "Do not resize reference images.")
    boolean disableAutoResizeRefImage;
    @Option(names = "--pm-id-images-dir", paramLabel = "DIR", description = "PhotoMaker: directory of id images.")
    Path pmIdImagesDir;
    @Option(names = "--pm-id-embed-path", paramLabel = "FILE", description = "PhotoMaker v2: id embedding.")
    Path pmIdEmbedPath;
    @Option(names = "--pm-style-strength", paramLabel = "X", defaultValue = "20", description = "PhotoMaker style strength (default: ${DEFAULT-VALUE}).")
    float pmStyleStrength;
    @Option(names = {"-W", "--width"}, paramLabel = "N", description = "Width in pixels (default: 512, or the init image's).")
    Integer width;
    @Option(names = {"-H", "--height"}, paramLabel = "N", description = "Height in pixels (default: 512, or the init image's).")
    Integer height;
    @Option(names = "--steps", paramLabel = "N", description = "Sampling steps (default: 20).")
    Integer steps;
    @Option(names = "--clip-skip", paramLabel = "N", description = "CLIP layers to skip; <= 0: the model's default.")
    Integer clipSkip;
    @Option(names = {"-b", "--batch-count"}, paramLabel = "N", description = "Images to generate (seeds s, s+1, ...).")
    Integer batchCount;
    @Option(names = "--timestep-shift", paramLabel = "N", description = "Shifted timestep (NitroFusion models).")
    Integer timestepShift;
    @Option(names = "--cfg-scale", paramLabel = "X", description = "Classifier-free guidance scale (default: 7.0).")
    Float cfgScale;
    @Option(names = "--img-cfg-scale", paramLabel = "X", description = "Image guidance scale (inpaint / instruct-pix2pix; default: as --cfg-scale).")
    Float imgCfgScale;
    @Option(names = "--guidance", paramLabel = "X", description = "Distilled guidance (Flux; default: 3.5).")
    Float guidance;
    @Option(names = "--slg-scale", paramLabel = "X", description = "Skip-layer guidance scale, DiT models (default: 0, off).")
    Float slgScale;
    @Option(names = "--skip-layer-start", paramLabel = "X", description = "SLG start (default: 0.01).")
    Float skipLayerStart;
    @Option(names = "--skip-layer-end", paramLabel = "X", description = "SLG end (default: 0.2).")
    Float skipLayerEnd;
    @Option(names = "--skip-layers", paramLabel = "LIST", description = "Layers SLG skips, e.g. [7,8,9] (default).")
    String skipLayers;
    @Option(names = "--eta", paramLabel = "X", description = "Noise multiplier of ancestral/DDIM-like samplers.")
    Float eta;
    @Option(names = "--flow-shift", paramLabel = "X", description = "Flow shift (SD3, Wan; default: auto).")
    Float flowShift;
    @Option(names = "--strength", paramLabel = "X", description = "Image-to-image strength in [0,1] (default: 0.75).")
    Float strength;
    @Option(names = "--control-strength", paramLabel = "X", description = "ControlNet strength (default: 0.9).")
    Float controlStrength;
    @Option(names = {"-s", "--seed"}, paramLabel = "N", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}; < 0: random).")
    long seed;
    @Option(names = "--sampling-method", paramLabel = "NAME", converter = Names.Sampler.class, completionCandidates = Names.None.class,
            description = "Sampler, one of [" + Names.SAMPLERS + "] (default: the model's, euler_a for SD1.x).")
    SamplingMethod samplingMethod;
    @Option(names = "--scheduler", paramLabel = "NAME", converter = Names.Sched.class, completionCandidates = Names.None.class,
            description = "Scheduler, one of [" + Names.SCHEDULERS + "] (default: the model's).")
    Scheduler scheduler;
    @Option(names = "--sigmas", paramLabel = "LIST", description = "Custom sigmas, comma-separated, e.g. \"14.61,7.8,3.5,0.0\".")
    String sigmas;
    @Option(names = "--vae-tiling", description = "Decode the VAE in tiles (less memory).")
    boolean vaeTiling;
    @Option(names = "--vae-tile-size", paramLabel = "XxY", description = "VAE tile size in latent pixels (default: sd.cpp's).")
    String vaeTileSize;
    @Option(names = "--vae-relative-tile-size", paramLabel = "XxY", description = "VAE tile size relative to the image (overrides --vae-tile-size).")
    String vaeRelativeTileSize;
    @Option(names = "--vae-tile-overlap", paramLabel = "X", defaultValue = "0.5", description = "VAE tile overlap (default: ${DEFAULT-VALUE}).")
    float vaeTileOverlap;
    @Option(names = "--hires", description = "High-resolution fix: second pass at a larger size.")
    boolean hires;
    @Option(names = "--hires-upscaler", paramLabel = "NAME",
            description = "Hires upscaler: Latent, Latent (nearest), Latent (nearest-exact), Latent (antialiased), Latent (bicubic), "
                    + "Latent (bicubic antialiased), Lanczos, Nearest, or a model name in --hires-upscalers-dir (default: Latent).")
    String hiresUpscaler;
    @Option(names = "--hires-upscalers-dir", paramLabel = "DIR", description = "Directory of hires upscaler models.")
    Path hiresUpscalersDir;
    @Option(names = "--hires-scale", paramLabel = "X", defaultValue = "2.0", description = "Hires scale (default: ${DEFAULT-VALUE}).")
    float hiresScale;
    @Option(names = "--hires-width", paramLabel = "N", defaultValue = "0", description = "Hires target width (0: use --hires-scale).")
    int hiresWidth;
    @Option(names = "--hires-height", paramLabel = "N", defaultValue = "0", description = "Hires target height (0: use --hires-scale).")
    int hiresHeight;
    @Option(names = "--hires-steps", paramLabel = "N", defaultValue = "0", description = "Hires second-pass steps (0: --steps).")
    int hiresSteps;
    @Option(names = "--hires-denoising-strength", paramLabel = "X", defaultValue = "0.7", description = "Hires denoising strength (default: ${DEFAULT-VALUE}).")
    float hiresDenoisingStrength;
    @Option(names = "--hires-upscale-tile-size", paramLabel = "N", defaultValue = "128", description = "Hires model upscaler tile size (default: ${DEFAULT-VALUE}).")
    int hiresUpscaleTileSize;
    @Option(names = "--preview", paramLabel = "MODE", converter = Names.Preview.class, completionCandidates = Names.None.class,
            description = "Write previews while sampling, one of [" + Names.PREVIEWS + "] (default: none).")
    PreviewMode preview;
    @Option(names = "--preview-path", paramLabel = "FILE", defaultValue = "preview.png", description = "Preview file (default: ${DEFAULT-VALUE}).")
    Path previewPath;
    @Option(names = "--preview-interval", paramLabel = "N", defaultValue = "1", description = "Steps between previews (default: ${DEFAULT-VALUE}).")
    int previewInterval;
    @Option(names = "--preview-noisy", description = "Preview the noisy inputs instead of the denoised outputs.")
    boolean previewNoisy;
    @Option(names = "--taesd-preview-only", description = "Use TAESD for previews only, the VAE for results.")
    boolean taesdPreviewOnly;

    // ---- output ----
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "output.png",
            description = "Output file (default: ${DEFAULT-VALUE}); batches: NAME_0.png, NAME_1.png...; %%d in the name numbers them instead. .png or .jpg.")
    String output;
    @Option(names = "--output-begin-idx", paramLabel = "N", defaultValue = "0", description = "First index in batch file names (default: ${DEFAULT-VALUE}).")
    int outputBeginIdx;
    @Option(names = "--disable-image-metadata", description = "Do not embed the generation parameters in the PNG.")
    boolean disableImageMetadata;
    @Option(names = "--json", description = "Print the results as one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() {
        Term term = root.term();
        PrintWriter out = spec.commandLine().getOut();
        if (model == null && diffusionModel == null) {
            throw new Failure(Failure.USAGE, "no model: give -m/--model FILE (or --diffusion-model FILE)");
        }
        if (output.isBlank()) {
            throw new Failure(Failure.USAGE, "-o/--output must not be empty");
        }
        if (outputBeginIdx < 0) {
            throw new Failure(Failure.USAGE, "--output-begin-idx must be >= 0, got " + outputBeginIdx);
        }
        if (Io.extension(output).equalsIgnoreCase(".webp")) {
            throw new Failure(Failure.USAGE, "sdj writes PNG or JPEG, not WebP: use a .png or .jpg name for -o");
        }
        for (Path p : new Path[] {model, diffusionModel, highNoiseDiffusionModel, clipL, clipG, clipVision, t5xxl, llm,
                llmVision, vae, taesd, controlNet, photoMakerModel, upscaleModel, pmIdEmbedPath}) {
            Io.input(p, "model file");
        }
        Io.inputDir(embdDir, "--embd-dir");
        Io.inputDir(loraModelDir, "--lora-model-dir");
        Io.inputDir(hiresUpscalersDir, "--hires-upscalers-dir");
        Io.inputDir(pmIdImagesDir, "--pm-id-images-dir");

        // Images first: an init image sets the size when -W/-H are not both given (as upstream).
        boolean sizeSet = width != null && width > 0 && height != null && height > 0;
        SdImage init = null;
        if (initImg != null) {
            init = Io.image(initImg, "init image", 3, sizeSet ? width : 0, sizeSet ? height : 0);
            if (!sizeSet) {
                width = init.width();
                height = init.height();
            }
        }
        int w = width != null && width > 0 ? width : 512;
        int h = height != null && height > 0 ? height : 512;
        SdImage maskImage = mask == null ? null : Io.image(mask, "mask", 1, w, h);
        SdImage control = null;
        if (controlImage != null) {
            control = Io.image(controlImage, "control image", 3, w, h);
            if (canny) {
                control = StableDiffusion.canny(control, 0.08f, 0.08f, 0.8f, 1.0f, false);
            }
        }
        List<SdImage> refs = new ArrayList<>();
        for (Path r : refImages) {
            refs.add(Io.image(r, "reference image", 3, 0, 0));
        }
        Loras loras = Loras.parse(prompt, loraModelDir, lora);
        if (loraModelDir == null && Loras.TAG.matcher(prompt).find()) {
            term.note("note: the prompt has <lora:...> tags but no --lora-model-dir: they stay in the prompt as text (as upstream)");
        }
        HiresFix hiresFix = hiresFix();

        ModelConfig config = config(init != null || !refs.isEmpty()
                || hiresFix != null && isPixelUpscaler(hiresFix.upscaler()));
        GenerationRequest.Builder rb = GenerationRequest.builder(loras.prompt()).negativePrompt(negativePrompt);
        if (width != null && width > 0) rb.width(width);
        if (height != null && height > 0) rb.height(height);
        if (steps != null) rb.steps(steps);
        if (cfgScale != null) rb.cfgScale(cfgScale);
        if (imgCfgScale != null) rb.imageCfgScale(imgCfgScale);
        if (guidance != null) rb.distilledGuidance(guidance);
        if (eta != null) rb.eta(eta);
        if (flowShift != null) rb.flowShift(flowShift);
        if (timestepShift != null) rb.shiftedTimestep(timestepShift);
        if (clipSkip != null && clipSkip > 0) rb.clipSkip(clipSkip);
        if (samplingMethod != null) rb.samplingMethod(samplingMethod);
        if (scheduler != null) rb.scheduler(scheduler);
        if (sigmas != null) rb.customSigmas(floats(sigmas, "--sigmas"));
        if (slgScale != null || skipLayerStart != null || skipLayerEnd != null || skipLayers != null) {
            rb.skipLayerGuidance(new SkipLayerGuidance(skipLayers == null ? new int[] {7, 8, 9} : ints(skipLayers, "--skip-layers"),
                    skipLayerStart == null ? 0.01f : skipLayerStart, skipLayerEnd == null ? 0.2f : skipLayerEnd,
                    slgScale == null ? 0f : slgScale));
        }
        if (seed >= 0) rb.seed(seed);
        if (batchCount != null) rb.batchCount(batchCount);
        if (init != null) rb.initImage(init);
        if (strength != null) rb.strength(strength);
        if (maskImage != null) rb.mask(maskImage);
        if (control != null) rb.controlImage(control);
        if (controlStrength != null) rb.controlStrength(controlStrength);
        refs.forEach(rb::referenceImage);
        if (!refs.isEmpty()) {
            rb.autoResizeReferenceImages(!disableAutoResizeRefImage);
            rb.increaseReferenceIndex(increaseRefIndex);
        }
        loras.loras().forEach(rb::lora);
        if (pmIdImagesDir != null || pmIdEmbedPath != null) {
            rb.photoMaker(new PhotoMaker(pmIdImagesDir == null ? List.of() : imagesIn(pmIdImagesDir), pmIdEmbedPath, pmStyleStrength));
        }
        if (vaeTiling) {
            int[] tile = vaeTileSize == null ? new int[] {0, 0} : pair(vaeTileSize, "--vae-tile-size");
            float[] rel = vaeRelativeTileSize == null ? new float[] {0, 0} : floatPair(vaeRelativeTileSize, "--vae-relative-tile-size");
            rb.vaeTiling(new VaeTiling(tile[0], tile[1], vaeTileOverlap, rel[0], rel[1]));
        }
        if (hiresFix != null) rb.hires(hiresFix);
        int batch = batchCount == null ? 1 : batchCount;
        int expectedSteps = steps == null ? 20 : steps;
        Progress sampling = new Progress(term, "sampling", "steps", expectedSteps, batch);
        rb.progress(sampling);
        if (preview != null && preview != PreviewMode.NONE) {
            Path previewFile = previewPath;
            rb.preview(preview, previewInterval, previewNoisy, (step, frames, noisy) -> {
                if (!frames.isEmpty()) {
                    Io.write(frames.getFirst(), previewFile);
                }
            });
        }
        GenerationRequest request = rb.build();
        List<Path> names = Io.outputNames(output, batch, outputBeginIdx);

        long t0 = System.nanoTime();
        Progress loading = new Progress(term, "loading", "tensors", 0, 1);
        StableDiffusion sd = load(config, isolated, loading, model != null ? model : diffusionModel);
        double loadS = seconds(t0);
        List<GeneratedImage> images;
        long t1 = System.nanoTime();
        try (sd) {
            images = Interrupts.nativeCall(() -> sd.generate(request));
        } catch (StableDiffusionException e) {
            if (e.kind() == StableDiffusionException.Kind.GENERATION_FAILED) {
                throw new Failure(Failure.GENERATION, "sd.cpp produced no image" + Sdj.sdCppSaid(e), e);
            }
            throw e;
        } finally {
            sampling.finish();
        }
        double genS = seconds(t1);
        double upscaleS = 0;
        if (upscaleModel != null && upscaleRepeats > 0) {
            long t2 = System.nanoTime();
            images = upscale(images);
            upscaleS = seconds(t2);
        }
        long t3 = System.nanoTime();
        List<Map<String, Object>> written = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            GeneratedImage g = images.get(i);
            Path file = names.get(i);
            Io.write(g, file, !disableImageMetadata);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("path", file.toString());
            m.put("width", g.width());
            m.put("height", g.height());
            m.put("seed", g.seed());
            m.put("parameters", g.parameters());
            written.add(m);
        }
        double saveS = seconds(t3);
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("images", written);
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("load_s", round(loadS));
            t.put("generate_s", round(genS));
            if (upscaleModel != null) {
                t.put("upscale_s", round(upscaleS));
            }
            t.put("save_s", round(saveS));
            o.put("timings", t);
            out.println(Json.write(o));
        } else {
            for (Map<String, Object> m : written) {
                out.println(m.get("path") + "  " + m.get("width") + "x" + m.get("height") + "  seed " + m.get("seed"));
            }
        }
        term.note(String.format(Locale.ROOT, "loaded in %.1f s, generated %d image%s in %.1f s%s, saved in %.2f s",
                loadS, images.size(), images.size() == 1 ? "" : "s", genS,
                upscaleModel != null ? String.format(Locale.ROOT, ", upscaled in %.1f s", upscaleS) : "", saveS));
        return 0;
    }

    /** Loads the models, turning sd.cpp's refusal into exit code 4 with the model's name. */
    static StableDiffusion load(ModelConfig config, boolean isolated, Progress progress, Path what) {
        try {
            return Interrupts.nativeCall(() -> isolated ? StableDiffusion.loadIsolated(config, progress)
                    : StableDiffusion.load(config, progress));
        } catch (StableDiffusionException e) {
            if (e.kind() == StableDiffusionException.Kind.MODEL_LOAD_FAILED) {
                throw new Failure(Failure.MODEL_LOAD, "sd.cpp could not load " + what + Sdj.sdCppSaid(e), e);
            }
            throw e;
        } finally {
            progress.finish();
        }
    }

    private ModelConfig config(boolean needsEncoder) {
        ModelConfig.Builder b = ModelConfig.builder();
        if (model != null) b.model(model);
        if (diffusionModel != null) b.diffusionModel(diffusionModel);
        if (highNoiseDiffusionModel != null) b.highNoiseDiffusionModel(highNoiseDiffusionModel);
        if (clipL != null) b.clipL(clipL);
        if (clipG != null) b.clipG(clipG);
        if (clipVision != null) b.clipVision(clipVision);
        if (t5xxl != null) b.t5xxl(t5xxl);
        if (llm != null) b.llm(llm);
        if (llmVision != null) b.llmVision(llmVision);
        if (vae != null) b.vae(vae);
        if (taesd != null) b.taesd(taesd);
        if (controlNet != null) b.controlNet(controlNet);
        if (photoMakerModel != null) b.photoMaker(photoMakerModel);
        if (embdDir != null) {
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
        if (tensorTypeRules != null) b.tensorTypeRules(tensorTypeRules);
        if (threads != null && threads > 0) b.threads(threads);
        if (type != null) b.weightType(type);
        if (rng != null) b.rng(rng);
        if (samplerRng != null) b.samplerRng(samplerRng);
        if (prediction != null) b.prediction(prediction);
        if (loraApplyMode != null) b.loraApplyMode(loraApplyMode);
        if (offloadToCpu) b.offloadParamsToCpu(true);
        if (mmap) b.mmap(true);
        if (clipOnCpu) b.keepClipOnCpu(true);
        if (controlNetCpu) b.keepControlNetOnCpu(true);
        if (vaeOnCpu) b.keepVaeOnCpu(true);
        if (flashAttention) b.flashAttention(true);
        if (diffusionFa) b.diffusionFlashAttention(true);
        if (diffusionConvDirect) b.diffusionConvDirect(true);
        if (vaeConvDirect) b.vaeConvDirect(true);
        if (circular || circularX) b.circularX(true);
        if (circular || circularY) b.circularY(true);
        if (forceSdxlVaeConvScale) b.forceSdxlVaeConvScale(true);
        if (chromaDisableDitMask) b.chromaUseDitMask(false);
        if (chromaEnableT5Mask) b.chromaUseT5Mask(true);
        if (chromaT5MaskPad != null) b.chromaT5MaskPad(chromaT5MaskPad);
        if (qwenImageZeroCondT) b.qwenImageZeroCondT(true);
        if (maxVram != null) b.maxVram(maxVram);
        if (taesdPreviewOnly) b.taePreviewOnly(true);
        // As upstream's CLI: without an image to encode only the VAE decoder is kept, and the
        // weights are freed after the one generation this process makes.
        b.vaeDecodeOnly(!needsEncoder);
        b.freeParamsImmediately(true);
        return b.build();
    }

    private static boolean isPixelUpscaler(HiresUpscaler u) {
        return u == HiresUpscaler.MODEL || u == HiresUpscaler.LANCZOS || u == HiresUpscaler.NEAREST;
    }

    private HiresFix hiresFix() {
        if (!hires) {
            return null;
        }
        String name = hiresUpscaler == null || hiresUpscaler.isBlank() ? "Latent" : hiresUpscaler;
        HiresUpscaler u;
        Path modelFile = null;
        try {
            u = HiresUpscaler.fromSdName(name);
        } catch (IllegalArgumentException e) {
            if (hiresUpscalersDir == null) {
                throw new Failure(Failure.USAGE, "--hires-upscaler " + name + " is no built-in upscaler and no --hires-upscalers-dir is given");
            }
            for (String ext : List.of("", ".gguf", ".safetensors", ".pt", ".pth")) {
                Path p = hiresUpscalersDir.resolve(name + ext);
                if (Files.isRegularFile(p)) {
                    modelFile = p;
                    break;
                }
            }
            if (modelFile == null) {
                throw new Failure(Failure.INPUT, "hires upscaler " + name + " not found in " + hiresUpscalersDir);
            }
            u = HiresUpscaler.MODEL;
        }
        if (u == HiresUpscaler.NONE) {
            return null;
        }
        return new HiresFix(u, modelFile, hiresScale, hiresWidth, hiresHeight, hiresSteps, hiresDenoisingStrength, hiresUpscaleTileSize);
    }

    private List<GeneratedImage> upscale(List<GeneratedImage> images) {
        int n = threads != null && threads > 0 ? threads : StableDiffusion.physicalCores();
        Upscaler up;
        try {
            up = Interrupts.nativeCall(() -> Upscaler.load(upscaleModel, n, upscaleTileSize, offloadToCpu, diffusionConvDirect));
        } catch (StableDiffusionException e) {
            throw new Failure(Failure.MODEL_LOAD, "sd.cpp could not load the upscaler " + upscaleModel + Sdj.sdCppSaid(e), e);
        }
        try (up) {
            List<GeneratedImage> out = new ArrayList<>();
            for (GeneratedImage g : images) {
                SdImage img = g.image();
                for (int r = 0; r < upscaleRepeats; r++) {
                    SdImage in = img;
                    img = Interrupts.nativeCall(() -> up.upscale(in));
                }
                out.add(new GeneratedImage(img, g.seed(), g.index(), g.request(), g.parameters()));
            }
            return out;
        }
    }

    private static List<SdImage> imagesIn(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            List<SdImage> out = new ArrayList<>();
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String ext = Io.extension(f.toString()).toLowerCase(Locale.ROOT);
                if (List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif").contains(ext)) {
                    out.add(Io.image(f, "PhotoMaker id image", 3, 0, 0));
                }
            }
            return out;
        } catch (IOException e) {
            throw new Failure(Failure.INPUT, "could not list " + dir + ": " + e.getMessage(), e);
        }
    }

    static float[] floats(String list, String option) {
        String[] parts = list.replace("[", "").replace("]", "").split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Float.parseFloat(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new Failure(Failure.USAGE, option + ": '" + parts[i].strip() + "' is not a number");
            }
        }
        return out;
    }

    static int[] ints(String list, String option) {
        String body = list.replace("[", "").replace("]", "").strip();
        if (body.isEmpty()) {
            return new int[0];
        }
        String[] parts = body.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new Failure(Failure.USAGE, option + ": '" + parts[i].strip() + "' is not an integer");
            }
        }
        return out;
    }

    private static int[] pair(String v, String option) {
        String[] p = v.split("x", -1);
        try {
            return p.length == 1 ? new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[0])}
                    : new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
        } catch (NumberFormatException e) {
            throw new Failure(Failure.USAGE, option + " must be N or XxY, got " + v);
        }
    }

    private static float[] floatPair(String v, String option) {
        String[] p = v.split("x", -1);
        try {
            return p.length == 1 ? new float[] {Float.parseFloat(p[0]), Float.parseFloat(p[0])}
                    : new float[] {Float.parseFloat(p[0]), Float.parseFloat(p[1])};
        } catch (NumberFormatException e) {
            throw new Failure(Failure.USAGE, option + " must be X or XxY, got " + v);
        }
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    static double round(double s) {
        return Math.round(s * 1000) / 1000.0;
    }
}
