package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.bindings.sd_ctx_params_t;
import dev.sdjava.internal.bindings.sd_image_t;
import dev.sdjava.internal.bindings.sd_img_gen_params_t;
import dev.sdjava.internal.natives.Callbacks;
import dev.sdjava.internal.natives.Images;
import dev.sdjava.internal.natives.Native;
import dev.sdjava.internal.natives.NativeStack;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
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

    InProcessEngine(ModelConfig config, ProgressListener progress) {
        this.config = config;
        MemorySegment raw;
        List<String> problems;
        // On a JVM's first load, the library and the upcalls are set up on another thread while
        // this one checks the model files (see Callbacks.installInBackground).
        Callbacks.installInBackground();
        try (Arena call = Arena.ofConfined()) {
            config.checkFiles();
            MemorySegment params = sd_ctx_params_t.allocate(call);
            try (var c = Callbacks.begin(progress, null)) {
                SdCpp.sd_ctx_params_init(params);
                config.toNative(params, call);
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
        ctx = raw.reinterpret(arena, SdCpp::free_sd_ctx);
        nativeStack = new NativeStack("sdjava-context-" + CONTEXTS.incrementAndGet());
        if (SHUTDOWN_HOOK.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("sdjava-shutdown")
                    .unstarted(InProcessEngine::awaitNativeCallsOnShutdown));
        }
        OPEN.add(this);
    }

    @Override
    public List<GeneratedImage> generate(GenerationRequest request) {
        running.lock();
        try {
            return nativeStack.call(() -> generateOnNativeStack(request));
        } finally {
            running.unlock();
        }
    }

    private List<GeneratedImage> generateOnNativeStack(GenerationRequest request) {
        long seed = request.seed() != null ? request.seed() : SEEDS.nextLong(0, 1L << 53);
        SamplingMethod sampler = request.samplingMethod() != null ? request.samplingMethod() : defaultSamplingMethod();
        Scheduler scheduler = request.scheduler() != null ? request.scheduler() : defaultScheduler(sampler);
        boolean previews = request.previewListener() != null && request.previewMode() != PreviewMode.NONE;
        int n = request.batchCount();
        List<SdImage> images = new ArrayList<>(n);
        List<String> problems;
        if (previews) {
            Callbacks.PREVIEW_LOCK.lock();
        }
        try (Arena call = Arena.ofConfined();
             var c = Callbacks.begin(request.progressListener(), request.previewListener())) {
            MemorySegment params = sd_img_gen_params_t.allocate(call);
            SdCpp.sd_img_gen_params_init(params);
            request.toNative(params, call, seed, sampler, scheduler);
            if (previews) {
                Callbacks.enablePreview(request.previewMode().value(), request.previewInterval(), true, request.previewNoisy());
            }
            MemorySegment result = SdCpp.generate_image(ctx, params);
            problems = c.problems();
            if (!result.equals(MemorySegment.NULL)) {
                // Copy every image out, then free each buffer and the array exactly once.
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
        if (images.isEmpty() || images.contains(null)) {
            throw new StableDiffusionException(StableDiffusionException.Kind.GENERATION_FAILED,
                    "sd.cpp produced no image for " + request, problems, null);
        }
        List<GeneratedImage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new GeneratedImage(images.get(i), seed + i, i, request,
                    parameters(request, seed + i, sampler, scheduler, images.get(i))));
        }
        return List.copyOf(out);
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
    public boolean supportsImageGeneration() {
        return SdCpp.sd_ctx_supports_image_generation(ctx);
    }

    @Override
    public void abort() {
        // The pinned sd.cpp has no way to stop a running generation.
    }

    @Override
    public void close() {
        OPEN.remove(this);
        nativeStack.close();
        arena.close();
    }

    /**
     * JVM shutdown hook: waits for generations still running in sd.cpp, up to
     * {@value StableDiffusion#SHUTDOWN_WAIT_PROPERTY} seconds in all. A JVM that exits
     * (System.exit, SIGTERM) while sd.cpp's threads compute runs the C library's exit handlers
     * under them, and sd.cpp/ggml's static objects are destroyed while in use: a SIGSEGV at exit,
     * with a crash report. sd.cpp cannot be stopped mid-step, so waiting for it is the clean way
     * out. The running locks stay held, so that no new call starts.
     */
    private static void awaitNativeCallsOnShutdown() {
        long waitNanos = (long) (Math.max(0, Double.parseDouble(
                System.getProperty(StableDiffusion.SHUTDOWN_WAIT_PROPERTY, "60"))) * 1e9);
        long deadline = System.nanoTime() + waitNanos;
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

    /** The parameter text upstream's CLI embeds in PNGs, for one image. */
    private String parameters(GenerationRequest r, long seed, SamplingMethod sampler, Scheduler scheduler, SdImage img) {
        StringBuilder s = new StringBuilder();
        s.append(r.prompt()).append('\n');
        if (!r.negativePrompt().isEmpty()) {
            s.append("Negative prompt: ").append(r.negativePrompt()).append('\n');
        }
        s.append("Steps: ").append(r.steps()).append(", ");
        s.append("CFG scale: ").append(f(r.cfgScale())).append(", ");
        s.append("Guidance: ").append(f(r.distilledGuidance())).append(", ");
        s.append("Eta: ").append(f(Float.isNaN(r.eta()) ? Float.POSITIVE_INFINITY : r.eta())).append(", ");
        s.append("Seed: ").append(seed).append(", ");
        s.append("Size: ").append(img.width()).append('x').append(img.height()).append(", ");
        if (config.model() != null) {
            s.append("Model: ").append(config.model().getFileName()).append(", ");
        }
        s.append("RNG: ").append(config.rng().sdName()).append(", ");
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
        if (r.clipSkip() != -1) {
            s.append("Clip skip: ").append(r.clipSkip()).append(", ");
        }
        s.append("Version: stable-diffusion.cpp (sdjava), SDCPP: ").append(StableDiffusion.version()).append(' ').append(StableDiffusion.commit());
        return s.toString();
    }

    /** Formats a float as C++'s {@code std::to_string} does (six decimals; inf). */
    private static String f(float v) {
        return Float.isInfinite(v) ? (v > 0 ? "inf" : "-inf") : String.format(Locale.ROOT, "%.6f", v);
    }
}
