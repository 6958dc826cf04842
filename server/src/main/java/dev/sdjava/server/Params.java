package dev.sdjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdjava.CacheParams;
import dev.sdjava.GenerationRequest;
import dev.sdjava.HiresFix;
import dev.sdjava.HiresUpscaler;
import dev.sdjava.Lora;
import dev.sdjava.PreviewMode;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;
import dev.sdjava.SdImage;
import dev.sdjava.SkipLayerGuidance;
import dev.sdjava.VaeTiling;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the request schemas (sdcpp's native one, sdapi's, OpenAI's JSON and its edit form) into a
 * {@link GenerationSpec}, with sd-server's defaults and field rules, and stricter checks: a field
 * of the wrong type, an unknown sampler or scheduler, a size out of range is a {@link BadRequest}
 * naming the field, where sd-server ignores the field or fails with a 500.
 */
final class Params {
    /** sd-server's {@code <sd_cpp_extra_args>...</sd_cpp_extra_args>} block inside a prompt (first one). */
    private static final Pattern EXTRA_ARGS = Pattern.compile("<sd_cpp_extra_args>(.*?)</sd_cpp_extra_args>", Pattern.DOTALL);
    /** OpenAI's {@code size}: WIDTHxHEIGHT. */
    private static final Pattern SIZE = Pattern.compile("(-?\\d{1,9})x(-?\\d{1,9})");

    /** sdapi's sampler names (WebUI style), mapped as sd-server's {@code get_sdapi_sample_method}. */
    private static final Map<String, SamplingMethod> WEBUI_SAMPLERS = Map.ofEntries(
            Map.entry("euler a", SamplingMethod.EULER_A), Map.entry("k_euler_a", SamplingMethod.EULER_A),
            Map.entry("euler", SamplingMethod.EULER), Map.entry("k_euler", SamplingMethod.EULER),
            Map.entry("heun", SamplingMethod.HEUN), Map.entry("k_heun", SamplingMethod.HEUN),
            Map.entry("dpm2", SamplingMethod.DPM2), Map.entry("k_dpm_2", SamplingMethod.DPM2),
            Map.entry("lcm", SamplingMethod.LCM), Map.entry("ddim", SamplingMethod.DDIM_TRAILING),
            Map.entry("dpm++ 2m", SamplingMethod.DPMPP_2M), Map.entry("k_dpmpp_2m", SamplingMethod.DPMPP_2M),
            Map.entry("res multistep", SamplingMethod.RES_MULTISTEP), Map.entry("k_res_multistep", SamplingMethod.RES_MULTISTEP),
            Map.entry("res 2s", SamplingMethod.RES_2S), Map.entry("k_res_2s", SamplingMethod.RES_2S));

    /** Server limits: sizes, batch and steps (sd-server clamps batch to 1..8 and steps to 1..100). */
    record Limits(int minSide, int maxSide, int maxBatch, int maxSteps) {
        static final Limits DEFAULT = new Limits(64, 4096, 8, 100);
    }

    private final Limits limits;
    private final Catalog catalog;

    // The request being built, with sd-server's defaults; null means "sd.cpp's default".
    String prompt = "";
    String negativePrompt = "";
    Integer width;
    Integer height;
    Integer steps;
    Float cfg;
    Float imgCfg;
    Float distilled;
    Float eta;
    Integer shiftedTimestep;
    Float flowShift;
    float[] customSigmas;
    int[] slgLayers = {7, 8, 9};
    float slgStart = 0.01f;
    float slgEnd = 0.2f;
    float slgScale = 0f;
    SamplingMethod sampler;
    Scheduler scheduler;
    Integer clipSkip;
    long seed = 42;
    int batch = 1;
    Float strength;
    Float controlStrength;
    Boolean autoResizeRef;
    Boolean increaseRefIndex;
    boolean embedMetadata = true;
    SdImage initImage;
    SdImage mask;
    SdImage controlImage;
    final List<SdImage> refImages = new ArrayList<>();
    final List<Lora> loras = new ArrayList<>();
    boolean hiresEnabled;
    String hiresUpscaler = "Latent";
    float hiresScale = 2f;
    int hiresWidth;
    int hiresHeight;
    int hiresSteps;
    float hiresDenoise = 0.7f;
    int hiresTile = 128;
    boolean tiling;
    int tileX;
    int tileY;
    float tileOverlap = 0.5f;
    float tileRelX;
    float tileRelY;
    String outputFormat = "png";
    int outputCompression = 100;
    PreviewMode previewMode;
    int previewInterval = 1;
    // sd-server's step-cache fields, in sd-cli's spelling ("" = not given).
    String cacheMode = "";
    String cacheOption = "";
    String scmMask = "";
    /** Pending image fields, decoded once the size is known. */
    private final List<Pending> images = new ArrayList<>();

    /**
     * An image field not decoded yet: base64 {@code text} (JSON schemas) or raw {@code bytes}
     * (multipart files), named {@code label} in errors.
     *
     * @param target  init_image, mask_image, control_image, ref_images, edit_image (init image and
     *                first reference, as sd-server's edits), or invert_mask (a marker)
     * @param anySize a reference image that may have its own size (sd.cpp resizes references)
     */
    private record Pending(String target, String label, String text, byte[] bytes, boolean anySize) {
        Pending(String target, String text) {
            this(target, target, text, null, false);
        }
    }

    private Params(Limits limits, Catalog catalog) {
        this.limits = limits;
        this.catalog = catalog;
    }

    // ---- the three schemas ----

    /** POST /sdcpp/v1/img_gen: the native schema ({@code SDGenerationParams::from_json_str}). */
    static GenerationSpec fromNative(ObjectNode j, Limits limits, Catalog catalog) {
        Params p = new Params(limits, catalog);
        p.applyNative(j, "");
        p.output(j);
        p.previewOption(j);
        return p.build();
    }

    /** POST /sdapi/v1/txt2img and img2img ({@code build_sdapi_img_gen_request}). */
    static GenerationSpec fromSdapi(ObjectNode j, boolean img2img, Limits limits, Catalog catalog) {
        Params p = new Params(limits, catalog);
        p.prompt = str(j, "prompt", "");
        p.negativePrompt = str(j, "negative_prompt", "");
        p.width = integer(j, "width");
        p.height = integer(j, "height");
        if ((p.width != null && p.width <= 0) || (p.height != null && p.height <= 0)) {
            throw new BadRequest("width and height must be positive");
        }
        p.steps = integer(j, "steps");
        p.cfg = number(j, "cfg_scale");
        Long seed = int64(j, "seed");
        p.seed = seed == null ? -1 : seed;
        Integer batch = integer(j, "batch_size");
        p.batch = batch == null ? 1 : batch;
        Integer clip = integer(j, "clip_skip");
        String samplerName = str(j, "sampler_name", "");
        String schedulerName = str(j, "scheduler", "");
        if (!img2img && Boolean.TRUE.equals(bool(j, "enable_hr"))) {
            p.hiresEnabled = true;
            p.hiresScale = orElse(number(j, "hr_scale"), p.hiresScale);
            p.hiresWidth = orElse(integer(j, "hr_resize_x"), p.hiresWidth);
            p.hiresHeight = orElse(integer(j, "hr_resize_y"), p.hiresHeight);
            p.hiresSteps = orElse(integer(j, "hr_steps"), p.hiresSteps);
            p.hiresDenoise = orElse(number(j, "denoising_strength"), p.hiresDenoise);
            p.hiresUpscaler = str(j, "hr_upscaler", p.hiresUpscaler);
        }
        if (p.prompt.isEmpty()) {
            throw new BadRequest("prompt required");
        }
        p.extraArgs();
        if (clip != null && clip > 0) {
            p.clipSkip = clip;
        }
        if (!samplerName.isEmpty() && !samplerName.equals("default")) {
            p.sampler = webuiSampler(samplerName);
        }
        if (!schedulerName.isEmpty() && !schedulerName.equals("default")) {
            p.scheduler = scheduler("scheduler", schedulerName);
        }
        p.loraList(j);
        if (img2img) {
            JsonNode init = j.get("init_images");
            if (init != null && !init.isNull()) {
                if (!init.isArray()) {
                    throw new BadRequest("init_images must be an array of base64 images");
                }
                if (!init.isEmpty()) {
                    p.images.add(new Pending("init_image", text(init.get(0), "init_images[0]")));
                }
            }
            String mask = str(j, "mask", null);
            if (mask != null) {
                p.images.add(new Pending("mask_image", mask));
                JsonNode inv = j.get("inpainting_mask_invert");
                if (inv != null && !inv.isNull()) {
                    boolean invert = inv.isBoolean() ? inv.booleanValue()
                            : inv.isIntegralNumber() ? inv.longValue() != 0 : fail("inpainting_mask_invert must be an integer or a boolean");
                    if (invert) {
                        p.images.add(new Pending("invert_mask", ""));
                    }
                }
            }
            Float ds = number(j, "denoising_strength");
            if (ds != null && ds >= 0) {
                p.strength = Math.min(ds, 1f);
            }
        }
        JsonNode extra = j.get("extra_images");
        if (extra != null && extra.isArray()) {
            for (JsonNode e : extra) {
                if (e.isTextual()) {
                    p.images.add(new Pending("ref_images", e.textValue()));
                }
            }
        }
        return p.build();
    }

    /** POST /v1/images/generations ({@code build_openai_generation_request}). */
    static GenerationSpec fromOpenAi(ObjectNode j, Limits limits, Catalog catalog) {
        Params p = new Params(limits, catalog);
        p.prompt = str(j, "prompt", "");
        Integer n = integer(j, "n");
        p.batch = Math.max(1, n == null ? 1 : n);
        String size = str(j, "size", "");
        p.outputFormat = str(j, "output_format", "png");
        Integer oc = integer(j, "output_compression");
        p.outputCompression = oc == null ? 100 : oc;
        p.width = 512;
        p.height = 512;
        if (!size.isEmpty() && !size.equals("auto")) {
            int[] wh = size(size);
            p.width = wh[0];
            p.height = wh[1];
        }
        if (p.prompt.isEmpty()) {
            throw new BadRequest("prompt required");
        }
        p.outputOptions();
        p.extraArgs();
        return p.build();
    }

    /** Most images in one edit request (OpenAI's documented limit for image[]). */
    static final int MAX_EDIT_IMAGES = 16;

    /**
     * POST /v1/images/edits, a multipart form ({@code build_openai_edit_request}): the files
     * {@code image[]} (or one {@code image}) and {@code mask}, the fields {@code prompt}, {@code n},
     * {@code size}, {@code output_format}, {@code output_compression}. As sd-server: every image is
     * a reference image and the first is also the init image (img2img at the default strength, 0.75,
     * unless {@code <sd_cpp_extra_args>} says otherwise); without {@code size} the first image sets
     * the size; {@code mask} (grey; white repaints) makes it an inpainting. Stricter: a file that
     * is not an image, a field that is not a number, a size of another image than the request's is
     * a 400 (sd-server skips the file, ignores the field, resizes the image).
     */
    static GenerationSpec fromOpenAiEdit(FormData form, Limits limits, Catalog catalog) {
        Params p = new Params(limits, catalog);
        p.prompt = orElse(form.field("prompt"), "");
        if (p.prompt.isEmpty()) {
            throw new BadRequest("prompt required");
        }
        List<byte[]> files = form.files("image[]");
        String name = "image[]";
        if (files.isEmpty() && !form.files("image").isEmpty()) {
            files = List.of(form.files("image").getFirst());
            name = "image";
        }
        if (files.isEmpty()) {
            throw new BadRequest("at least one image[] required");
        }
        if (files.size() > MAX_EDIT_IMAGES) {
            throw new BadRequest("at most " + MAX_EDIT_IMAGES + " image[] files, got " + files.size());
        }
        Integer n = formInt(form, "n");
        p.batch = Math.max(1, n == null ? 1 : n);
        String size = orElse(form.field("size"), "");
        boolean sized = !size.isEmpty() && !size.equals("auto");
        if (sized) {
            int[] wh = size(size);
            p.width = wh[0];
            p.height = wh[1];
        }
        p.outputFormat = orElse(form.field("output_format"), "png");
        Integer oc = formInt(form, "output_compression");
        p.outputCompression = oc == null ? 100 : oc;
        p.outputOptions();
        for (int i = 0; i < files.size(); i++) {
            String label = name.equals("image") ? "image" : "image[" + i + "]";
            p.images.add(new Pending(i == 0 ? "edit_image" : "ref_images", label, null, files.get(i), i > 0 && !sized));
        }
        List<byte[]> mask = form.files("mask");
        if (!mask.isEmpty()) {
            p.images.add(new Pending("mask_image", "mask", null, mask.getFirst(), false));
        }
        p.extraArgs();
        return p.build();
    }

    /** An integer form field, null when absent or empty; a 400 naming it when it is not an integer. */
    private static Integer formInt(FormData form, String key) {
        String v = form.field(key);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new BadRequest(key + " must be an integer, got '" + (v.length() > 32 ? v.substring(0, 32) + "..." : v) + "'");
        }
    }

    /** OpenAI's {@code size}, "WIDTHxHEIGHT", both positive. */
    private static int[] size(String size) {
        Matcher m = SIZE.matcher(size);
        if (!m.matches()) {
            throw new BadRequest("size must be WIDTHxHEIGHT, e.g. 512x512, got '" + size + "'");
        }
        int w = Integer.parseInt(m.group(1));
        int h = Integer.parseInt(m.group(2));
        if (w <= 0 || h <= 0) {
            throw new BadRequest("size must be positive, got '" + size + "'");
        }
        return new int[] {w, h};
    }

    // ---- the native schema, shared by img_gen and <sd_cpp_extra_args> ----

    private void extraArgs() {
        Matcher m = EXTRA_ARGS.matcher(prompt);
        if (m.find()) {
            String json = m.group(1);
            prompt = EXTRA_ARGS.matcher(prompt).replaceAll("");
            JsonNode node;
            try {
                node = Json.parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (BadRequest e) {
                throw new BadRequest("invalid sd_cpp_extra_args", e.detail);
            }
            if (!(node instanceof ObjectNode o)) {
                throw new BadRequest("invalid sd_cpp_extra_args: must be a JSON object");
            }
            applyNative(o, "sd_cpp_extra_args.");
        }
    }

    private void applyNative(ObjectNode j, String where) {
        prompt = str(j, "prompt", prompt);
        negativePrompt = str(j, "negative_prompt", negativePrompt);
        cacheMode = str(j, "cache_mode", cacheMode);
        cacheOption = str(j, "cache_option", cacheOption);
        scmMask = str(j, "scm_mask", scmMask);
        cache(where); // a bad value is refused naming its field and where it was
        clipSkip = orElse(integer(j, "clip_skip"), clipSkip);
        width = orElse(integer(j, "width"), width);
        height = orElse(integer(j, "height"), height);
        batch = orElse(integer(j, "batch_count"), batch);
        Long s = int64(j, "seed");
        if (s != null) {
            seed = s;
        }
        strength = orElse(number(j, "strength"), strength);
        controlStrength = orElse(number(j, "control_strength"), controlStrength);
        autoResizeRef = orElse(bool(j, "auto_resize_ref_image"), autoResizeRef);
        increaseRefIndex = orElse(bool(j, "increase_ref_index"), increaseRefIndex);
        embedMetadata = orElse(bool(j, "embed_image_metadata"), embedMetadata);
        ObjectNode hires = object(j, "hires");
        if (hires != null) {
            hiresEnabled = orElse(bool(hires, "enabled"), hiresEnabled);
            hiresUpscaler = str(hires, "upscaler", hiresUpscaler);
            hiresScale = orElse(number(hires, "scale"), hiresScale);
            hiresWidth = orElse(integer(hires, "target_width"), hiresWidth);
            hiresHeight = orElse(integer(hires, "target_height"), hiresHeight);
            hiresSteps = orElse(integer(hires, "steps"), hiresSteps);
            hiresDenoise = orElse(number(hires, "denoising_strength"), hiresDenoise);
            hiresTile = orElse(integer(hires, "upscale_tile_size"), hiresTile);
        }
        ObjectNode sp = object(j, "sample_params");
        if (sp != null) {
            steps = orElse(integer(sp, "sample_steps"), steps);
            eta = orElse(number(sp, "eta"), eta);
            shiftedTimestep = orElse(integer(sp, "shifted_timestep"), shiftedTimestep);
            flowShift = orElse(number(sp, "flow_shift"), flowShift);
            JsonNode sig = sp.get("custom_sigmas");
            if (sig != null && !sig.isNull()) {
                float[] f = floats(sig, "sample_params.custom_sigmas");
                customSigmas = f.length == 0 ? null : f;
            }
            String m = str(sp, "sample_method", null);
            if (m != null && !m.isEmpty() && !m.equals("default")) {
                sampler = sampler("sample_params.sample_method", m);
            }
            String sc = str(sp, "scheduler", null);
            if (sc != null && !sc.isEmpty() && !sc.equals("default")) {
                scheduler = scheduler("sample_params.scheduler", sc);
            }
            ObjectNode g = object(sp, "guidance");
            if (g != null) {
                cfg = orElse(number(g, "txt_cfg"), cfg);
                imgCfg = orElse(number(g, "img_cfg"), imgCfg);
                distilled = orElse(number(g, "distilled_guidance"), distilled);
                ObjectNode slg = object(g, "slg");
                if (slg != null) {
                    JsonNode layers = slg.get("layers");
                    if (layers != null && !layers.isNull()) {
                        float[] f = floats(layers, "slg.layers");
                        slgLayers = new int[f.length];
                        for (int i = 0; i < f.length; i++) {
                            slgLayers[i] = (int) f[i];
                        }
                    }
                    slgStart = orElse(number(slg, "layer_start"), slgStart);
                    slgEnd = orElse(number(slg, "layer_end"), slgEnd);
                    slgScale = orElse(number(slg, "scale"), slgScale);
                }
            }
        }
        ObjectNode vt = object(j, "vae_tiling_params");
        if (vt != null) {
            tiling = orElse(bool(vt, "enabled"), tiling);
            tileX = orElse(integer(vt, "tile_size_x"), tileX);
            tileY = orElse(integer(vt, "tile_size_y"), tileY);
            tileOverlap = orElse(number(vt, "target_overlap"), tileOverlap);
            tileRelX = orElse(number(vt, "rel_size_x"), tileRelX);
            tileRelY = orElse(number(vt, "rel_size_y"), tileRelY);
        }
        loraList(j);
        for (String f : List.of("init_image", "mask_image", "control_image")) {
            String v = str(j, f, null);
            if (v != null && !v.isEmpty()) {
                images.add(new Pending(f, v));
            }
        }
        JsonNode refs = j.get("ref_images");
        if (refs != null) {
            // sd-server's from_json_str replaces the reference list (edits' images stay the init image only)
            images.removeIf(im -> im.target().equals("ref_images"));
            images.replaceAll(im -> im.target().equals("edit_image")
                    ? new Pending("init_image", im.label(), im.text(), im.bytes(), false) : im);
        }
        if (refs != null && !refs.isNull()) {
            if (!refs.isArray()) {
                throw new BadRequest("ref_images must be an array of base64 images");
            }
            int i = 0;
            for (JsonNode r : refs) {
                images.add(new Pending("ref_images", text(r, "ref_images[" + i++ + "]")));
            }
        }
    }

    /**
     * The step cache these fields give, as sd-server reads them (sd-cli's --cache-mode,
     * --cache-option, --scm-mask; scm_policy_dynamic is the server's own setting upstream, not a
     * request field), or null when none is given.
     */
    private CacheParams cache(String where) {
        if (cacheMode.isEmpty() && cacheOption.isEmpty() && scmMask.isEmpty()) {
            return null;
        }
        CacheParams.Builder c = CacheParams.builder();
        String field = "cache_mode";
        try {
            if (!cacheMode.isEmpty()) {
                c.mode(CacheParams.modeOf(cacheMode));
            }
            field = "scm_mask";
            if (!scmMask.isEmpty()) {
                CacheParams.builder().scmMask(scmMask).build();
                c.scmMask(scmMask);
            }
            field = "cache_option";
            return c.sdOptions(cacheOption).build();
        } catch (IllegalArgumentException e) {
            throw new BadRequest("invalid " + where + field + ": " + e.getMessage());
        }
    }

    private void loraList(ObjectNode j) {
        JsonNode arr = j.get("lora");
        if (arr == null || arr.isNull()) {
            return;
        }
        if (!arr.isArray()) {
            throw new BadRequest("lora must be an array of {path, multiplier, is_high_noise}");
        }
        loras.clear();
        for (JsonNode item : arr) {
            if (!(item instanceof ObjectNode o)) {
                continue;
            }
            String path = str(o, "path", "");
            if (path.isEmpty()) {
                throw new BadRequest("lora.path required");
            }
            Path file = catalog.lora(path);
            if (file == null) {
                throw new BadRequest("invalid lora path: " + path);
            }
            loras.add(new Lora(file, orElse(number(o, "multiplier"), 1f), orElse(bool(o, "is_high_noise"), false)));
        }
    }

    private void output(ObjectNode j) {
        outputFormat = str(j, "output_format", "png");
        Integer oc = integer(j, "output_compression");
        outputCompression = oc == null ? 100 : oc;
        outputOptions();
    }

    private void outputOptions() {
        outputFormat = outputFormat.toLowerCase(Locale.ROOT);
        outputCompression = Math.clamp(outputCompression, 0, 100);
        if (!outputFormat.equals("png") && !outputFormat.equals("jpeg")) {
            throw new BadRequest("invalid output_format, must be one of [png, jpeg]");
        }
    }

    /** sdjava's extension of the native schema: {@code "preview": {"mode": "proj", "interval": 1}} streams previews as events. */
    private void previewOption(ObjectNode j) {
        ObjectNode pv = object(j, "preview");
        if (pv == null) {
            return;
        }
        String mode = str(pv, "mode", "proj");
        try {
            previewMode = PreviewMode.fromSdName(mode);
        } catch (IllegalArgumentException e) {
            throw new BadRequest("preview.mode: " + e.getMessage());
        }
        if (previewMode == PreviewMode.NONE) {
            previewMode = null;
        }
        previewInterval = Math.clamp(orElse(integer(pv, "interval"), 1), 1, 1000);
    }

    // ---- building and checking ----

    private GenerationSpec build() {
        if (width != null && width <= 0) {
            width = null;
        }
        if (height != null && height <= 0) {
            height = null;
        }
        decodeImages();
        int w = width == null ? 512 : width;
        int h = height == null ? 512 : height;
        side("width", w);
        side("height", h);
        batch = Math.clamp(batch, 1, limits.maxBatch());
        GenerationRequest.Builder b = GenerationRequest.builder(prompt).negativePrompt(negativePrompt);
        try {
            b.width(w).height(h);
            if (steps != null) {
                b.steps(Math.clamp(steps, 1, limits.maxSteps()));
            }
            if (cfg != null) {
                b.cfgScale(cfg);
            }
            if (imgCfg != null) {
                b.imageCfgScale(imgCfg);
            }
            if (distilled != null) {
                b.distilledGuidance(distilled);
            }
            if (eta != null) {
                b.eta(eta);
            }
            if (shiftedTimestep != null) {
                b.shiftedTimestep(shiftedTimestep);
            }
            if (flowShift != null) {
                b.flowShift(flowShift);
            }
            if (customSigmas != null) {
                b.customSigmas(customSigmas);
            }
            if (slgScale != 0 && slgLayers.length > 0) {
                b.skipLayerGuidance(new SkipLayerGuidance(slgLayers, slgStart, slgEnd, slgScale));
            }
            if (sampler != null) {
                b.samplingMethod(sampler);
            }
            if (scheduler != null) {
                b.scheduler(scheduler);
            }
            if (clipSkip != null && clipSkip != -1 && clipSkip != 0) {
                b.clipSkip(clipSkip);
            }
            if (seed < 0) {
                seed = new java.security.SecureRandom().nextInt(Integer.MAX_VALUE);
            }
            b.seed(seed).batchCount(batch);
            if (strength != null) {
                b.strength(strength);
            }
            if (controlStrength != null) {
                b.controlStrength(controlStrength);
            }
            if (initImage != null) {
                b.initImage(initImage);
            }
            if (mask != null && initImage != null) {
                b.mask(mask);
            }
            if (controlImage != null) {
                b.controlImage(controlImage);
            }
            if (!refImages.isEmpty()) {
                b.referenceImages(refImages).autoResizeReferenceImages(autoResizeRef == null || autoResizeRef);
            }
            if (increaseRefIndex != null) {
                b.increaseReferenceIndex(increaseRefIndex);
            }
            b.loras(loras);
            if (tiling) {
                b.vaeTiling(new VaeTiling(tileX, tileY, tileOverlap, tileRelX, tileRelY));
            }
            if (hiresEnabled) {
                hires(b);
            }
            CacheParams cache = cache("");
            if (cache != null) {
                b.cache(cache);
            }
            return new GenerationSpec(b.build(), outputFormat, outputCompression, embedMetadata, previewMode, previewInterval);
        } catch (IllegalArgumentException e) {
            throw new BadRequest("invalid generation parameters: " + e.getMessage());
        }
    }

    private void hires(GenerationRequest.Builder b) {
        HiresUpscaler up;
        Path model = null;
        try {
            up = HiresUpscaler.fromSdName(hiresUpscaler);
        } catch (IllegalArgumentException e) {
            model = catalog.upscaler(hiresUpscaler);
            if (model == null) {
                throw new BadRequest("hires upscaler '" + hiresUpscaler + "' is neither built in nor a model in the upscaler directory");
            }
            up = HiresUpscaler.MODEL;
        }
        if (up == HiresUpscaler.NONE) {
            return;
        }
        b.hires(new HiresFix(up, model, hiresScale, hiresWidth, hiresHeight, hiresSteps, hiresDenoise, hiresTile));
    }

    private void side(String what, int v) {
        if (v < limits.minSide() || v > limits.maxSide()) {
            throw new BadRequest(what + " must be " + limits.minSide() + ".." + limits.maxSide() + ", got " + v);
        }
        if (v % 8 != 0) {
            throw new BadRequest(what + " must be a multiple of 8, got " + v);
        }
    }

    /** Decodes the image fields; the first image sets the size when the request gives none (as sd-server). */
    private void decodeImages() {
        boolean invert = false;
        for (Pending f : images) {
            if (f.target().equals("invert_mask")) {
                invert = true;
                continue;
            }
            int channels = f.target().equals("mask_image") ? 1 : 3;
            SdImage im = f.bytes() != null ? Codecs.decodeImage(f.label(), f.bytes(), channels, limits.maxSide())
                    : Codecs.decodeImage(f.label(), f.text(), channels, limits.maxSide());
            if (width == null || height == null) {
                width = im.width();
                height = im.height();
            }
            if (!f.anySize() && (im.width() != width || im.height() != height)) {
                throw new BadRequest(f.label() + " is " + im.width() + "x" + im.height() + " but the request is "
                        + width + "x" + height + "; they must match (this server does not resize)");
            }
            switch (f.target()) {
                case "init_image" -> initImage = im;
                case "mask_image" -> mask = im;
                case "control_image" -> controlImage = im;
                case "edit_image" -> {
                    initImage = im;
                    refImages.add(im);
                }
                default -> refImages.add(im);
            }
        }
        if (invert && mask != null) {
            byte[] px = mask.pixels();
            for (int i = 0; i < px.length; i++) {
                px[i] = (byte) (255 - (px[i] & 0xff));
            }
            mask = new SdImage(mask.width(), mask.height(), 1, px);
        }
    }

    private static SamplingMethod sampler(String field, String name) {
        try {
            return SamplingMethod.fromSdName(name);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(field + ": unknown sampler '" + name + "'; known: default, "
                    + String.join(", ", Arrays.stream(SamplingMethod.values()).map(SamplingMethod::sdName).toList()));
        }
    }

    private static SamplingMethod webuiSampler(String name) {
        for (SamplingMethod m : SamplingMethod.values()) {
            if (m.sdName().equals(name)) {
                return m;
            }
        }
        SamplingMethod m = WEBUI_SAMPLERS.get(name.toLowerCase(Locale.ROOT));
        if (m == null) {
            throw new BadRequest("sampler_name: unknown sampler '" + name + "'; known: default, "
                    + String.join(", ", Arrays.stream(SamplingMethod.values()).map(SamplingMethod::sdName).toList())
                    + ", or a WebUI name such as 'Euler a', 'DPM++ 2M'");
        }
        return m;
    }

    private static Scheduler scheduler(String field, String name) {
        try {
            return Scheduler.fromSdName(name);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(field + ": unknown scheduler '" + name + "'; known: default, "
                    + String.join(", ", Arrays.stream(Scheduler.values()).map(Scheduler::sdName).toList()));
        }
    }

    // ---- typed field access: a present field of the wrong type is a 400 naming it ----

    private static <T> T orElse(T v, T def) {
        return v != null ? v : def;
    }

    private static boolean fail(String message) {
        throw new BadRequest(message);
    }

    static String str(JsonNode o, String key, String def) {
        return typed(o, key, def, JsonNode::isTextual, v -> "a string" + got(v), JsonNode::textValue);
    }

    private static String text(JsonNode v, String what) {
        if (v == null || !v.isTextual()) {
            throw new BadRequest(what + " must be a string");
        }
        return v.textValue();
    }

    static Integer integer(JsonNode o, String key) {
        return typed(o, key, null, v -> v.isIntegralNumber() && v.canConvertToInt(),
                v -> "an integer" + (v.isIntegralNumber() ? " in 32-bit range" : got(v)), JsonNode::intValue);
    }

    private static Long int64(JsonNode o, String key) {
        return typed(o, key, null, v -> v.isIntegralNumber() && v.canConvertToLong(), v -> "an integer" + got(v), JsonNode::longValue);
    }

    private static Float number(JsonNode o, String key) {
        return typed(o, key, null, v -> v.isNumber() && Float.isFinite(v.floatValue()), v -> "a finite number" + got(v),
                JsonNode::floatValue);
    }

    private static Boolean bool(JsonNode o, String key) {
        return typed(o, key, null, JsonNode::isBoolean, v -> "true or false" + got(v), JsonNode::booleanValue);
    }

    private static ObjectNode object(JsonNode o, String key) {
        return typed(o, key, null, v -> v instanceof ObjectNode, v -> "an object", v -> (ObjectNode) v);
    }

    /**
     * Field {@code key} of {@code o}: {@code def} when absent or null, its value when {@code ok},
     * else a 400 "KEY must be EXPECTED".
     */
    private static <T> T typed(JsonNode o, String key, T def, Predicate<JsonNode> ok, Function<JsonNode, String> expected,
                               Function<JsonNode, T> value) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!ok.test(v)) {
            throw new BadRequest(key + " must be " + expected.apply(v));
        }
        return value.apply(v);
    }

    /** ", got 2.5" for a number, ", got string" for anything else: what the client sent. */
    private static String got(JsonNode v) {
        return ", got " + (v.isNumber() ? v.asText() : v.getNodeType().name().toLowerCase(Locale.ROOT));
    }

    private static float[] floats(JsonNode v, String what) {
        if (!v.isArray() || v.size() > 1001) {
            throw new BadRequest(what + " must be an array of at most 1001 numbers");
        }
        float[] f = new float[v.size()];
        for (int i = 0; i < f.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isNumber() || !Float.isFinite(e.floatValue())) {
                throw new BadRequest(what + "[" + i + "] must be a finite number");
            }
            f[i] = e.floatValue();
        }
        return f;
    }
}
