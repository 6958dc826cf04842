package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.bindings.sd_ctx_params_t;
import dev.sdjava.internal.bindings.sd_embedding_t;
import dev.sdjava.internal.bindings.sd_image_t;
import dev.sdjava.internal.bindings.sd_guidance_params_t;
import dev.sdjava.internal.bindings.sd_hires_params_t;
import dev.sdjava.internal.bindings.sd_lora_t;
import dev.sdjava.internal.bindings.sd_pm_params_t;
import dev.sdjava.internal.bindings.sd_sample_params_t;
import dev.sdjava.internal.bindings.sd_slg_params_t;
import dev.sdjava.internal.bindings.sd_tiling_params_t;
import dev.sdjava.internal.options.GenerationRequestOptions;
import java.lang.foreign.ValueLayout;
import dev.sdjava.internal.bindings.sd_img_gen_params_t;
import dev.sdjava.internal.bindings.sd_vid_gen_params_t;
import dev.sdjava.internal.options.VideoRequestOptions;
import dev.sdjava.internal.natives.Callbacks;
import dev.sdjava.internal.natives.Images;
import dev.sdjava.internal.natives.Native;
import dev.sdjava.internal.natives.NativeStack;
import dev.sdjava.internal.options.ModelConfigOptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * sd.cpp in this JVM: the whole life of one native {@code sd_ctx_t}. It is created by
 * {@code new_sd_ctx}, owned by this engine's arena with {@code free_sd_ctx} as the arena's
 * cleanup, and used only on the engine's big-stack thread ({@link NativeStack}: sd.cpp's prompt
 * parser needs native stack in proportion to the prompt). Per-call structures live in confined
 * arenas; result pixels are copied into Java and sd.cpp's buffers freed before a call returns.
 */
final class InProcessEngine implements Engine {
    private static final SecureRandom SEEDS = new SecureRandom();
    private static final AtomicLong CONTEXTS = new AtomicLong();
    /** Open engines, for {@link #awaitNativeCallsOnShutdown()}. */
    private static final Set<InProcessEngine> OPEN = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean SHUTDOWN_HOOK = new AtomicBoolean();

    private final ModelConfig config;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment ctx;
    private final NativeStack nativeStack;
    /** Held while sd.cpp runs a call, so that JVM shutdown can wait for it. */
    private final ReentrantLock running = new ReentrantLock();
    /** Set (under this engine's monitor) before the context is freed; {@link #cancelNative} checks it. */
    private boolean freed;
    /** The generation running now, for the shutdown hook's cancel. */
    private volatile Cancellation current;
    /** The noise RNG the context was made with (the config's, or sd.cpp's default), for the PNG parameters. */
    private final RngType rng;

    InProcessEngine(ModelConfig config, ProgressListener progress) {
        this.config = config;
        MemorySegment raw;
        RngType resolvedRng;
        List<String> problems;
        // On a JVM's first load, the library and the upcalls are set up on another thread while
        // this one checks the model files (see Callbacks.installInBackground).
        Callbacks.installInBackground();
        try (Arena call = Arena.ofConfined()) {
            config.checkFiles();
            MemorySegment params = sd_ctx_params_t.allocate(call);
            try (var c = Callbacks.begin(progress, null)) {
                SdCpp.sd_ctx_params_init(params);
                fill(params, config, call);
                resolvedRng = CEnums.of(RngType.values(), RngType::value, sd_ctx_params_t.rng_type(params));
                raw = SdCpp.new_sd_ctx(params);
                problems = c.problems();
                try {
                    c.rethrowListenerFailure();
                } catch (RuntimeException | Error e) {
                    if (!raw.equals(MemorySegment.NULL)) {
                        SdCpp.free_sd_ctx(raw);
                    }
                    throw e;
                }
            }
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        if (raw.equals(MemorySegment.NULL)) {
            arena.close();
            throw new StableDiffusionException(StableDiffusionException.Kind.MODEL_LOAD_FAILED,
                    "sd.cpp could not load " + config, problems, null);
        }
        rng = resolvedRng;
        ctx = raw.reinterpret(arena, SdCpp::free_sd_ctx);
        nativeStack = new NativeStack("sdjava-context-" + CONTEXTS.incrementAndGet());
        if (SHUTDOWN_HOOK.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("sdjava-shutdown")
                    .unstarted(InProcessEngine::awaitNativeCallsOnShutdown));
        }
        OPEN.add(this);
    }

    /** Fills an {@code sd_ctx_params_t} (initialised by {@code sd_ctx_params_init}) with {@code config}. */
    static void fill(MemorySegment p, ModelConfig config, Arena arena) {
        Structs.fill(p, sd_ctx_params_t.layout(), config, ModelConfigOptions.ALL, arena);
        if (!config.embeddings().isEmpty()) {
            MemorySegment arr = sd_embedding_t.allocateArray(config.embeddings().size(), arena);
            int i = 0;
            for (var e : config.embeddings().entrySet()) {
                MemorySegment item = sd_embedding_t.asSlice(arr, i++);
                sd_embedding_t.name(item, Native.cString(arena, e.getKey(), "embedding name"));
                sd_embedding_t.path(item, Native.cPath(arena, e.getValue(), "embedding " + e.getKey()));
            }
            sd_ctx_params_t.embeddings(p, arr);
            sd_ctx_params_t.embedding_count(p, config.embeddings().size());
        }
    }

    /** Tests only: runs on the generating thread right before {@code generate_image} (the cancel race). */
    static volatile Runnable beforeGenerateImageForTests;

    @Override
    public List<GeneratedImage> generate(GenerationRequest request, Cancellation cancel) {
        return exclusivelyOnNativeStack(() -> generateOnNativeStack(request, cancel), cancel);
    }

    /**
     * Runs one generation on the engine's big-stack thread, one at a time per context, with {@code cancel} as the
     * current cancellation; an interrupt of the waiting caller cancels it.
     */
    private <T> T exclusivelyOnNativeStack(Callable<T> work, Cancellation cancel) {
        running.lock();
        current = cancel;
        try {
            return nativeStack.call(work, () -> cancel.request(Cancellation.Mode.ALL));
        } finally {
            current = null;
            running.unlock();
        }
    }

    /**
     * Passes a cancel to sd.cpp ({@code sd_cancel_generation}, from any thread). Synchronized with
     * {@link #close()}: the context is never freed under it.
     */
    private synchronized void cancelNative(Cancellation.Mode mode) {
        if (!freed) {
            SdCpp.sd_cancel_generation(ctx, mode == Cancellation.Mode.ALL ? SdCpp.SD_CANCEL_ALL() : SdCpp.SD_CANCEL_NEW_LATENTS());
        }
    }

    private List<GeneratedImage> generateOnNativeStack(GenerationRequest request, Cancellation cancel) {
        long seed = request.seed() != null ? request.seed() : SEEDS.nextLong(0, 1L << 53);
        SamplingMethod sampler = request.samplingMethod() != null ? request.samplingMethod() : defaultSamplingMethod();
        Scheduler scheduler = request.scheduler() != null ? request.scheduler() : defaultScheduler(sampler);
        boolean previews = request.previewListener() != null && request.previewMode() != null
                && request.previewMode() != PreviewMode.NONE;
        List<SdImage> images = new ArrayList<>();
        List<String> problems;
        String[] parameters;
        int n;
        if (previews) {
            Callbacks.PREVIEW_LOCK.lock();
        }
        try (Arena call = Arena.ofConfined();
             var c = Callbacks.begin(request.progress(), request.previewListener())) {
            MemorySegment params = sd_img_gen_params_t.allocate(call);
            SdCpp.sd_img_gen_params_init(params);
            fill(params, request, seed, sampler, scheduler, call);
            // What runs is what the struct now holds: the request's options over sd.cpp's defaults.
            request.checkSizes(sd_img_gen_params_t.width(params), sd_img_gen_params_t.height(params));
            n = sd_img_gen_params_t.batch_count(params);
            parameters = new String[n];
            for (int i = 0; i < n; i++) {
                parameters[i] = parameters(request, params, seed + i, sampler, scheduler);
            }
            if (previews) {
                Callbacks.enablePreview(request.previewMode().value(),
                        request.previewInterval() != null ? request.previewInterval() : 1, true,
                        request.previewNoisy() != null && request.previewNoisy());
            }
            // generate_image clears sd.cpp's cancel flag when it starts, so a cancel sent just before
            // would be lost: every upcall re-sends a pending one (its first log line comes right after).
            c.onEveryUpcall(() -> {
                Cancellation.Mode m = cancel.mode();
                if (m != null) {
                    cancelNative(m);
                }
            });
            cancel.attach(this::cancelNative);
            MemorySegment result;
            try {
                Runnable hook = beforeGenerateImageForTests;
                if (hook != null) {
                    hook.run();
                }
                result = SdCpp.generate_image(ctx, params);
            } finally {
                cancel.attach(null);
            }
            problems = c.problems();
            if (!result.equals(MemorySegment.NULL)) {
                // Copy every image out, then free each buffer and the array exactly once. A batch
                // cut short (SD_CANCEL_NEW_LATENTS) has its finished images first, then empty ones.
                MemorySegment all = result.reinterpret(sd_image_t.sizeof() * n);
                try {
                    for (int i = 0; i < n; i++) {
                        images.add(Images.fromNative(sd_image_t.asSlice(all, i)));
                    }
                } finally {
                    for (int i = 0; i < n; i++) {
                        Native.free(sd_image_t.data(sd_image_t.asSlice(all, i)));
                    }
                    Native.free(result);
                }
            }
            c.rethrowListenerFailure();
        } finally {
            if (previews) {
                Callbacks.disablePreview();
                Callbacks.PREVIEW_LOCK.unlock();
            }
        }
        if (cancel.mode() == Cancellation.Mode.NEW_LATENTS) {
            int finished = images.indexOf(null);
            if (finished > 0) {
                images = new ArrayList<>(images.subList(0, finished));
            }
        }
        if (images.isEmpty() || images.contains(null)) {
            if (cancel.cancelled()) {
                throw new CancellationException("generation cancelled");
            }
            throw new StableDiffusionException(StableDiffusionException.Kind.GENERATION_FAILED,
                    "sd.cpp produced no image for " + request, problems, null);
        }
        List<GeneratedImage> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            SdImage img = images.get(i);
            out.add(new GeneratedImage(img, seed + i, i, request,
                    parameters[i].replace(SIZE_PLACEHOLDER, img.width() + "x" + img.height())));
        }
        return List.copyOf(out);
    }

    /**
     * Fills an {@code sd_img_gen_params_t} (initialised by {@code sd_img_gen_params_init}) with the
     * request, the resolved seed, sampler and scheduler; all memory comes from {@code arena}.
     * Options with a C field go through the option table; the rest (arrays, images, nested
     * settings) are written here.
     */
    static void fill(MemorySegment p, GenerationRequest r, long seed, SamplingMethod sampler, Scheduler sched, Arena arena) {
        Structs.fill(p, sd_img_gen_params_t.layout(), r, GenerationRequestOptions.ALL, arena);
        if (!r.loras().isEmpty()) {
            sd_img_gen_params_t.loras(p, loras(r.loras(), arena));
            sd_img_gen_params_t.lora_count(p, r.loras().size());
        }
        if (r.initImage() != null) Images.toNative(r.initImage(), sd_img_gen_params_t.init_image(p), arena);
        if (!r.referenceImages().isEmpty()) {
            sd_img_gen_params_t.ref_images(p, Images.array(r.referenceImages(), arena));
            sd_img_gen_params_t.ref_images_count(p, r.referenceImages().size());
        }
        if (r.mask() != null) Images.toNative(r.mask().withChannels(1), sd_img_gen_params_t.mask_image(p), arena);
        if (r.controlImage() != null) Images.toNative(r.controlImage().withChannels(3), sd_img_gen_params_t.control_image(p), arena);
        MemorySegment s = sd_img_gen_params_t.sample_params(p);
        if (r.skipLayerGuidance() != null) {
            SkipLayerGuidance g = r.skipLayerGuidance();
            MemorySegment slg = sd_guidance_params_t.slg(sd_sample_params_t.guidance(s));
            int[] layers = g.layers();
            sd_slg_params_t.layers(slg, layers.length == 0 ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_INT, layers));
            sd_slg_params_t.layer_count(slg, layers.length);
            sd_slg_params_t.layer_start(slg, g.layerStart());
            sd_slg_params_t.layer_end(slg, g.layerEnd());
            sd_slg_params_t.scale(slg, g.scale());
        }
        sd_sample_params_t.scheduler(s, sched.value());
        sd_sample_params_t.sample_method(s, sampler.value());
        float[] sigmas = r.customSigmas();
        if (sigmas != null) {
            sd_sample_params_t.custom_sigmas(s, arena.allocateFrom(ValueLayout.JAVA_FLOAT, sigmas));
            sd_sample_params_t.custom_sigmas_count(s, sigmas.length);
        }
        sd_img_gen_params_t.seed(p, seed);
        if (r.photoMaker() != null) {
            PhotoMaker pmk = r.photoMaker();
            MemorySegment pm = sd_img_gen_params_t.pm_params(p);
            if (!pmk.idImages().isEmpty()) {
                sd_pm_params_t.id_images(pm, Images.array(pmk.idImages(), arena));
                sd_pm_params_t.id_images_count(pm, pmk.idImages().size());
            }
            sd_pm_params_t.id_embed_path(pm, Native.cPath(arena, pmk.idEmbedding(), "PhotoMaker id embedding"));
            sd_pm_params_t.style_strength(pm, pmk.styleStrength());
        }
        if (r.vaeTiling() != null) tiling(r.vaeTiling(), sd_img_gen_params_t.vae_tiling_params(p));
        if (r.cache() != null) r.cache().toNative(sd_img_gen_params_t.cache(p), arena);
        if (r.hires() != null) {
            HiresFix hf = r.hires();
            MemorySegment h = sd_img_gen_params_t.hires(p);
            sd_hires_params_t.enabled(h, true);
            sd_hires_params_t.upscaler(h, hf.upscaler().value());
            sd_hires_params_t.model_path(h, Native.cPath(arena, hf.model(), "hires model"));
            sd_hires_params_t.scale(h, hf.scale());
            sd_hires_params_t.target_width(h, hf.targetWidth());
            sd_hires_params_t.target_height(h, hf.targetHeight());
            sd_hires_params_t.steps(h, hf.steps());
            sd_hires_params_t.denoising_strength(h, hf.denoisingStrength());
            sd_hires_params_t.upscale_tile_size(h, hf.upscaleTileSize());
        }
    }

    /** An {@code sd_lora_t} array of {@code loras}, in {@code arena}. */
    private static MemorySegment loras(List<Lora> loras, Arena arena) {
        MemorySegment arr = sd_lora_t.allocateArray(loras.size(), arena);
        for (int i = 0; i < loras.size(); i++) {
            Lora l = loras.get(i);
            MemorySegment item = sd_lora_t.asSlice(arr, i);
            sd_lora_t.is_high_noise(item, l.highNoise());
            sd_lora_t.multiplier(item, l.multiplier());
            sd_lora_t.path(item, Native.cPath(arena, l.path(), "LoRA path"));
        }
        return arr;
    }

    /** Turns VAE tiling on in {@code t} (an {@code sd_tiling_params_t}) with {@code v}'s settings. */
    private static void tiling(VaeTiling v, MemorySegment t) {
        sd_tiling_params_t.enabled(t, true);
        sd_tiling_params_t.tile_size_x(t, v.tileSizeX());
        sd_tiling_params_t.tile_size_y(t, v.tileSizeY());
        sd_tiling_params_t.target_overlap(t, v.targetOverlap());
        sd_tiling_params_t.rel_size_x(t, v.relSizeX());
        sd_tiling_params_t.rel_size_y(t, v.relSizeY());
    }

    @Override
    public GeneratedVideo generateVideo(VideoRequest request, Cancellation cancel) {
        return exclusivelyOnNativeStack(() -> generateVideoOnNativeStack(request, cancel), cancel);
    }

    private GeneratedVideo generateVideoOnNativeStack(VideoRequest request, Cancellation cancel) {
        // generate_video on a model without a video pipeline runs image models on 5-D latents and aborts.
        if (!SdCpp.sd_ctx_supports_video_generation(ctx)) {
            throw new UnsupportedOperationException("the loaded models cannot make videos (" + config
                    + "); load a video model, e.g. Wan 2.1 with diffusionModel, vae and t5xxl");
        }
        long seed = request.seed() != null ? request.seed() : SEEDS.nextLong(0, 1L << 53);
        SamplingMethod sampler = request.samplingMethod() != null ? request.samplingMethod() : defaultSamplingMethod();
        // As sd-cli: the scheduler follows the main sampler; the high-noise sampler defaults like the main one.
        Scheduler scheduler = request.scheduler() != null ? request.scheduler() : defaultScheduler(sampler);
        SamplingMethod highNoiseSampler = request.highNoiseSamplingMethod() != null
                ? request.highNoiseSamplingMethod() : defaultSamplingMethod();
        List<SdImage> frames = new ArrayList<>();
        List<String> problems;
        try (Arena call = Arena.ofConfined();
             var c = Callbacks.begin(request.progress(), null)) {
            MemorySegment p = sd_vid_gen_params_t.allocate(call);
            SdCpp.sd_vid_gen_params_init(p);
            Structs.fill(p, sd_vid_gen_params_t.layout(), request, VideoRequestOptions.ALL, call);
            if (!request.loras().isEmpty()) {
                sd_vid_gen_params_t.loras(p, loras(request.loras(), call));
                sd_vid_gen_params_t.lora_count(p, request.loras().size());
            }
            if (request.initImage() != null) Images.toNative(request.initImage().withChannels(3), sd_vid_gen_params_t.init_image(p), call);
            if (request.endImage() != null) Images.toNative(request.endImage().withChannels(3), sd_vid_gen_params_t.end_image(p), call);
            if (!request.controlFrames().isEmpty()) {
                sd_vid_gen_params_t.control_frames(p, Images.array(
                        request.controlFrames().stream().map(f -> f.withChannels(3)).toList(), call));
                sd_vid_gen_params_t.control_frames_size(p, request.controlFrames().size());
            }
            MemorySegment s = sd_vid_gen_params_t.sample_params(p);
            sd_sample_params_t.sample_method(s, sampler.value());
            sd_sample_params_t.scheduler(s, scheduler.value());
            sd_sample_params_t.sample_method(sd_vid_gen_params_t.high_noise_sample_params(p), highNoiseSampler.value());
            sd_vid_gen_params_t.seed(p, seed);
            if (request.vaeTiling() != null) tiling(request.vaeTiling(), sd_vid_gen_params_t.vae_tiling_params(p));
            if (request.cache() != null) request.cache().toNative(sd_vid_gen_params_t.cache(p), call);
            request.checkSizes(sd_vid_gen_params_t.width(p), sd_vid_gen_params_t.height(p));
            int expected = (sd_vid_gen_params_t.video_frames(p) - 1) / 4 * 4 + 1;
            // The patched tree resets sd.cpp's cancel flag in generate_image only: a cancelled video
            // would leave it set and stop the next one at its first step.
            SdCpp.sd_cancel_generation(ctx, SdCpp.SD_CANCEL_RESET());
            // A video is one latent, so cancelAfterCurrentImage (NEW_LATENTS) leaves it alone.
            c.onEveryUpcall(() -> {
                if (cancel.cancelled()) {
                    cancelNative(Cancellation.Mode.ALL);
                }
            });
            cancel.attach(m -> {
                if (m == Cancellation.Mode.ALL) {
                    cancelNative(m);
                }
            });
            MemorySegment count = call.allocate(ValueLayout.JAVA_INT);
            MemorySegment result;
            try {
                result = SdCpp.generate_video(ctx, p, count);
            } finally {
                cancel.attach(null);
            }
            problems = c.problems();
            if (!result.equals(MemorySegment.NULL)) {
                int n = count.get(ValueLayout.JAVA_INT, 0);
                MemorySegment all = result.reinterpret(sd_image_t.sizeof() * Math.max(n, 0));
                try {
                    for (int i = 0; i < n; i++) {
                        frames.add(Images.fromNative(sd_image_t.asSlice(all, i)));
                    }
                } finally {
                    for (int i = 0; i < n; i++) {
                        Native.free(sd_image_t.data(sd_image_t.asSlice(all, i)));
                    }
                    Native.free(result);
                }
                if (n != expected) {
                    problems = new ArrayList<>(problems);
                    problems.add("sd.cpp returned " + n + " frames, " + expected + " were asked for");
                }
            }
            c.rethrowListenerFailure();
        }
        if (frames.isEmpty() || frames.contains(null)) {
            if (cancel.cancelled()) {
                throw new CancellationException("video generation cancelled");
            }
            throw new StableDiffusionException(StableDiffusionException.Kind.GENERATION_FAILED,
                    "sd.cpp produced no video for " + request, problems, null);
        }
        return new GeneratedVideo(frames, seed, request);
    }

    @Override
    public SamplingMethod defaultSamplingMethod() {
        return CEnums.of(SamplingMethod.values(), SamplingMethod::value, SdCpp.sd_get_default_sample_method(ctx));
    }

    @Override
    public Scheduler defaultScheduler(SamplingMethod sampler) {
        return CEnums.of(Scheduler.values(), Scheduler::value, SdCpp.sd_get_default_scheduler(ctx, sampler.value()));
    }

    @Override
    public boolean supportsVideoGeneration() {
        return SdCpp.sd_ctx_supports_video_generation(ctx);
    }

    @Override
    public boolean supportsImageGeneration() {
        return SdCpp.sd_ctx_supports_image_generation(ctx);
    }

    @Override
    public void close() {
        OPEN.remove(this);
        nativeStack.close();
        synchronized (this) {
            freed = true;
        }
        arena.close();
    }

    /**
     * JVM shutdown hook: cancels the generations still running in sd.cpp and waits for them to
     * return, up to {@value StableDiffusion#SHUTDOWN_WAIT_PROPERTY} seconds in all. A JVM that
     * exits (System.exit, SIGTERM) while sd.cpp's threads compute runs the C library's exit
     * handlers under them, and sd.cpp/ggml's static objects are destroyed while in use: a SIGSEGV
     * at exit, with a crash report. A cancelled generation returns within a graph node on CPU
     * (within a graph compute elsewhere). The running locks stay held, so that no new call starts.
     */
    private static void awaitNativeCallsOnShutdown() {
        long waitNanos = (long) (Math.max(0, Double.parseDouble(
                System.getProperty(StableDiffusion.SHUTDOWN_WAIT_PROPERTY, "60"))) * 1e9);
        long deadline = System.nanoTime() + waitNanos;
        for (InProcessEngine e : OPEN) {
            Cancellation c = e.current;
            if (c != null) {
                c.request(Cancellation.Mode.ALL);
            }
        }
        for (InProcessEngine e : OPEN) {
            try {
                if (!e.running.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    System.getLogger("dev.sdjava").log(System.Logger.Level.WARNING, "sdjava: the JVM is exiting while "
                            + "sd.cpp still generates (waited " + StableDiffusion.SHUTDOWN_WAIT_PROPERTY + "); it may crash on exit");
                    return;
                }
            } catch (InterruptedException ie) {
                return;
            }
        }
    }

    /** Stands for the image's size in {@link #parameters}: known only once sd.cpp returns (it rounds sizes up). */
    private static final String SIZE_PLACEHOLDER = "\u0000size\u0000";

    /** The parameter text upstream's CLI embeds in PNGs, for one image, from the filled struct {@code p}. */
    private String parameters(GenerationRequest r, MemorySegment p, long seed, SamplingMethod sampler, Scheduler scheduler) {
        MemorySegment sp = sd_img_gen_params_t.sample_params(p);
        MemorySegment g = sd_sample_params_t.guidance(sp);
        StringBuilder s = new StringBuilder();
        s.append(r.prompt()).append('\n');
        if (!r.negativePrompt().isEmpty()) {
            s.append("Negative prompt: ").append(r.negativePrompt()).append('\n');
        }
        s.append("Steps: ").append(sd_sample_params_t.sample_steps(sp)).append(", ");
        s.append("CFG scale: ").append(f(sd_guidance_params_t.txt_cfg(g))).append(", ");
        s.append("Guidance: ").append(f(sd_guidance_params_t.distilled_guidance(g))).append(", ");
        float eta = sd_sample_params_t.eta(sp);
        s.append("Eta: ").append(f(Float.isNaN(eta) ? Float.POSITIVE_INFINITY : eta)).append(", ");
        s.append("Seed: ").append(seed).append(", ");
        s.append("Size: ").append(SIZE_PLACEHOLDER).append(", ");
        if (config.model() != null) {
            s.append("Model: ").append(config.model().getFileName()).append(", ");
        }
        s.append("RNG: ").append(rng.sdName()).append(", ");
        if (config.samplerRng() != null) {
            s.append("Sampler RNG: ").append(config.samplerRng().sdName()).append(", ");
        }
        s.append("Sampler: ").append(sampler.sdName());
        if (r.customSigmas() == null) {
            s.append(' ').append(scheduler.sdName());
        }
        s.append(", ");
        if (config.diffusionModel() != null) {
            s.append("Unet: ").append(config.diffusionModel().getFileName()).append(", ");
        }
        if (config.vae() != null) {
            s.append("VAE: ").append(config.vae().getFileName()).append(", ");
        }
        int clipSkip = sd_img_gen_params_t.clip_skip(p);
        if (clipSkip != -1) {
            s.append("Clip skip: ").append(clipSkip).append(", ");
        }
        s.append("Version: stable-diffusion.cpp (sdjava), SDCPP: ").append(StableDiffusion.version()).append(' ').append(StableDiffusion.commit());
        return s.toString();
    }

    /** Formats a float as C++'s {@code std::to_string} does (six decimals; inf). */
    private static String f(float v) {
        return Float.isInfinite(v) ? (v > 0 ? "inf" : "-inf") : String.format(Locale.ROOT, "%.6f", v);
    }
}
