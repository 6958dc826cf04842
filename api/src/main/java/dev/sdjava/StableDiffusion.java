package dev.sdjava;

import dev.sdjava.internal.natives.Callbacks;
import dev.sdjava.internal.natives.Images;
import dev.sdjava.internal.natives.Native;
import dev.sdjava.internal.natives.NativeLoader;
import dev.sdjava.internal.natives.NativeStack;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.bindings.sd_ctx_params_t;
import dev.sdjava.internal.bindings.sd_image_t;
import dev.sdjava.internal.bindings.sd_img_gen_params_t;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A loaded stable-diffusion.cpp context: the models of a {@link ModelConfig}, ready to
 * {@link #generate} images.
 *
 * <pre>{@code
 * try (var sd = StableDiffusion.load(ModelConfig.builder().model(Path.of("sd15.safetensors")).build())) {
 *     var images = sd.generate(GenerationRequest.builder("a lighthouse at dusk").size(512, 512).steps(20).seed(42).build());
 *     images.getFirst().writePng(Path.of("out.png"));
 * }
 * }</pre>
 *
 * <h2>Threads</h2>
 * One generation runs at a time per context; other threads calling {@link #generate} wait their
 * turn. Any number of contexts may exist and generate at once in one JVM (each uses its own
 * threads; memory adds up). {@link #close()} is idempotent; it waits for a running generation
 * to end; afterwards every method throws {@link IllegalStateException}. Generation runs on the
 * context's own thread, {@code sdjava-context-N}, which has a 64 MiB stack (sd.cpp's prompt
 * parser needs native stack in proportion to the prompt), so listeners are called on that
 * thread, not the caller's.
 *
 * <h2>Cancellation</h2>
 * A generation can be stopped three ways: {@link #cancel()} on the context (every generation it
 * runs or holds waiting), {@code cancel(true)} on the future of {@link #submit}, or an interrupt of
 * the thread blocked in {@link #generate}. Each tells sd.cpp ({@code sd_cancel_generation},
 * which sdjava's build patches into the pinned tree), and the stopped call throws
 * {@link CancellationException}. {@link #cancelAfterCurrentImage()} instead lets a batch return the
 * images it has finished. The context can be used again at once, and gives the same pixels as a
 * fresh one. An isolated context passes the cancel to its worker, which keeps its models.
 *
 * <p>What stops when (latencies measured by sdjava's benchmark {@code CancelLatency}, cancels at
 * random moments: on a 2-core x86 CPU at 512x512, 19 cancels, median 66 ms / max 133 ms, the VAE
 * decode included; on Vulkan's software device lavapipe at 64x64, 10 cancels, median 2.6 s / max
 * 10.7 s, one model evaluation there; README, "Cancelling"):
 * <table class="striped">
 * <caption>Where a cancel takes effect</caption>
 * <thead><tr><th>stage</th><th>CPU backend</th><th>GPU backends (Vulkan, CUDA, Metal)</th></tr></thead>
 * <tbody>
 * <tr><td>waiting for the context</td><td colspan="2">at once: it never starts</td></tr>
 * <tr><td>text encoding, image encoding (img2img), LoRA loading</td>
 *     <td colspan="2">when that stage ends (sd.cpp asserts on a failed text-encoder compute, so it is not interrupted)</td></tr>
 * <tr><td>sampling, hires-fix upscale and sampling, VAE decode</td>
 *     <td>inside the running graph node (ggml's CPU abort callback, checked between the node's chunks of work)</td>
 *     <td>at the end of the running graph compute (one model evaluation or one VAE decode)</td></tr>
 * <tr><td>{@link #cancelAfterCurrentImage()}</td><td colspan="2">when the image being sampled is finished</td></tr>
 * </tbody>
 * </table>
 * The standalone {@link Upscaler} cannot be cancelled.
 *
 * <h2>Isolation</h2>
 * {@link #loadIsolated} runs sd.cpp in a child JVM that sdjava starts and supervises (same java,
 * same class path): a native abort or crash there becomes a {@link StableDiffusionException} of
 * kind {@link StableDiffusionException.Kind#WORKER_CRASHED} instead of ending this process, and
 * the next call starts a fresh worker (reloading the models). It costs a JVM start and a model
 * load per worker, and copies the result pixels once.
 *
 * <h2>Memory</h2>
 * The native context is owned by an arena with {@code free_sd_ctx} as its cleanup and freed by
 * {@link #close()}; per-call structures live in confined arenas; result pixels are copied into
 * Java and sd.cpp's buffers freed before {@code generate} returns.
 */
public final class StableDiffusion implements AutoCloseable {
    /** System property: how long JVM shutdown waits for running generations (seconds, default 60). */
    public static final String SHUTDOWN_WAIT_PROPERTY = "sdjava.shutdownWaitSeconds";

    private final ModelConfig config;
    private final MemoryPlan plan;
    private final Engine engine;
    private final ReentrantLock lock = new ReentrantLock(true);
    private volatile boolean closed;
    /** The generations asked for and not yet returned, running or waiting: what cancel() reaches. */
    private final Set<Cancellation> pending = ConcurrentHashMap.newKeySet();

    private StableDiffusion(MemoryPlan plan, ModelConfig config, Engine engine) {
        this.plan = plan;
        this.config = config;
        this.engine = engine;
    }

    /**
     * Starts loading the native library and linking the binding (the native calls and upcalls) on a
     * background thread and returns at once. Optional: the first {@link #load} of a JVM does this
     * itself, which costs it about 0.2 s of its 0.3 s of one-time JVM work on a 2-core machine (docs/PERFORMANCE.md,
     * table 3); an application that calls this early in its start-up takes that off its first
     * load. Failures are not reported here but by the next {@link #load}.
     */
    public static void prepareInBackground() {
        Callbacks.installInBackground();
    }

    /**
     * Loads the models of {@code config} into sd.cpp in this process. With
     * {@link ModelConfig#maxMemory()} set, the memory budget's plan is made first (and may convert
     * the weights once, see {@link #memoryPlan()}).
     *
     * @throws IllegalArgumentException  if {@code config} is null or names no model, or its memory budget cannot be met
     * @throws InvalidModelFileException if a model file is missing, unreadable or malformed (checked in Java)
     * @throws StableDiffusionException of kind MODEL_LOAD_FAILED if sd.cpp rejects the models
     */
    public static StableDiffusion load(ModelConfig config) {
        return load(config, null);
    }

    /** As {@link #load(ModelConfig)}, reporting tensor loading progress to {@code progress} (may be null). */
    public static StableDiffusion load(ModelConfig config, ProgressListener progress) {
        MemoryPlan plan = plan(config);
        ModelConfig c = plan == null ? config : plan.config();
        return new StableDiffusion(plan, c, new InProcessEngine(c, progress));
    }

    /**
     * Loads the models of {@code config} in a supervised child JVM (see the class documentation,
     * "Isolation").
     *
     * @throws InvalidModelFileException if a model file is missing, unreadable or malformed (checked in Java)
     * @throws StableDiffusionException of kind MODEL_LOAD_FAILED if sd.cpp rejects the models, or
     *         WORKER_CRASHED if the worker could not be started or died while loading
     */
    public static StableDiffusion loadIsolated(ModelConfig config) {
        return loadIsolated(config, null);
    }

    /** As {@link #loadIsolated(ModelConfig)}, reporting tensor loading progress to {@code progress} (may be null). */
    public static StableDiffusion loadIsolated(ModelConfig config, ProgressListener progress) {
        MemoryPlan plan = plan(config);
        ModelConfig c = plan == null ? config : plan.config();
        return new StableDiffusion(plan, c, IsolatedEngine.start(c, progress));
    }

    /** The memory budget's plan, made and logged here (in the caller's process), or null without a budget. */
    private static MemoryPlan plan(ModelConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        if (config.maxMemory() == null) {
            return null;
        }
        config.checkFiles();
        MemoryPlan plan = MemoryPlan.plan(config);
        System.getLogger("dev.sdjava").log(System.Logger.Level.INFO, plan.description());
        return plan;
    }

    /**
     * The configuration this context was loaded from: the one given, or with a memory budget the
     * one its plan made (with the converted model file and the chosen options).
     */
    public ModelConfig config() {
        return config;
    }

    /**
     * What the memory budget ({@link ModelConfig#maxMemory()}) chose, in one line: the measures,
     * the converted file if any, and the estimated peak RSS with its parts, e.g.
     * {@code memory budget 2.00 GiB for 512x512: diffusion flash attention, q8_0 weights (/m/sd-q8_0.gguf);
     * estimated peak 1.84 GiB (...)}. Null when the configuration has no budget.
     */
    public String memoryPlan() {
        return plan == null ? null : plan.description();
    }

    /**
     * Runs one request and returns its images ({@link GenerationRequest#batchCount()} of them).
     *
     * @throws IllegalArgumentException  if the request does not fit (image sizes, missing files)
     * @throws IllegalStateException     if this context is closed
     * @throws CancellationException     if {@link #cancel()} was called or the thread interrupted
     *         while the generation waited or ran (the thread's interrupt status is kept)
     * @throws StableDiffusionException of kind GENERATION_FAILED if sd.cpp produced nothing, or
     *         WORKER_CRASHED if an isolated worker died
     */
    public List<GeneratedImage> generate(GenerationRequest request) {
        Cancellation cancel = enqueue(request);
        try {
            return run(request, cancel);
        } finally {
            pending.remove(cancel);
        }
    }

    /**
     * Runs one video request (a video model such as Wan 2.1/2.2 must be loaded: its {@code diffusionModel}, its
     * {@code vae} and its text encoder as {@code t5xxl}) and returns its frames. It waits its turn and is cancelled
     * like {@link #generate}: {@link #cancel()} or an interrupt stops it at the next sampling step and the call
     * throws {@link CancellationException}; {@link #cancelAfterCurrentImage()} does not shorten a video. Progress
     * goes to the request's {@link VideoRequest#progress() listener}, one event per step.
     *
     * <pre>{@code
     * var config = ModelConfig.builder().diffusionModel(Path.of("wan2.1_t2v_1.3B_fp16.safetensors"))
     *         .vae(Path.of("wan_2.1_vae.safetensors")).t5xxl(Path.of("umt5-xxl-encoder-Q8_0.gguf")).build();
     * try (var sd = StableDiffusion.load(config)) {
     *     var video = sd.generateVideo(VideoRequest.builder("a lovely cat").size(832, 480).frames(33)
     *             .cfgScale(6f).flowShift(3f).seed(42).build());
     *     video.writeAvi(Path.of("output.avi"), 16);
     * }
     * }</pre>
     *
     * @throws IllegalArgumentException      if the request does not fit (image sizes, missing LoRA files)
     * @throws UnsupportedOperationException if the loaded models cannot make videos, or this context is isolated
     * @throws IllegalStateException         if this context is closed
     * @throws CancellationException         if cancelled while it waited or ran (the thread's interrupt status is kept)
     * @throws StableDiffusionException of kind GENERATION_FAILED if sd.cpp produced nothing
     */
    public GeneratedVideo generateVideo(VideoRequest request) {
        if (request == null) {
            throw new IllegalArgumentException("request must not be null");
        }
        ensureOpen();
        request.validate();
        Cancellation cancel = register();
        try {
            return run(cancel, () -> engine.generateVideo(request, cancel));
        } finally {
            pending.remove(cancel);
        }
    }

    /**
     * Starts one request on a new virtual thread and returns its future at once. The generations
     * of a context still run one at a time, in the order they were asked for (submitted or
     * generated). {@code cancel(true)} (or {@code cancel(false)}) on the future stops the
     * generation as {@link #cancel()} does, for this request only; the future completes at once
     * with {@link CancellationException}, and sd.cpp stops shortly after (see the class
     * documentation). The future completes exceptionally with what {@link #generate} would throw.
     *
     * @throws IllegalArgumentException if the request does not fit (checked before returning)
     * @throws IllegalStateException    if this context is closed
     */
    public CompletableFuture<List<GeneratedImage>> submit(GenerationRequest request) {
        Cancellation cancel = enqueue(request);
        CompletableFuture<List<GeneratedImage>> future = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                cancel.request(Cancellation.Mode.ALL);
                return super.cancel(mayInterruptIfRunning);
            }
        };
        try {
            Thread.ofVirtual().name("sdjava-submit").start(() -> {
                try {
                    future.complete(run(request, cancel));
                } catch (Throwable t) {
                    future.completeExceptionally(t);
                } finally {
                    pending.remove(cancel);
                }
            });
        } catch (RuntimeException | Error e) {
            pending.remove(cancel);
            throw e;
        }
        return future;
    }

    /** Validates and registers a request, so that cancel() reaches it from now on. */
    private Cancellation enqueue(GenerationRequest request) {
        if (request == null) {
            throw new IllegalArgumentException("request must not be null");
        }
        ensureOpen();
        request.validate();
        return register();
    }

    private Cancellation register() {
        Cancellation cancel = new Cancellation();
        pending.add(cancel);
        return cancel;
    }

    private List<GeneratedImage> run(GenerationRequest given, Cancellation cancel) {
        GenerationRequest request = plan == null ? given : plan.adjust(given);
        return run(cancel, () -> engine.generate(request, cancel));
    }

    /** Runs {@code work} under the context's lock, turning what a cancel makes of it into CancellationException. */
    private <T> T run(Cancellation cancel, java.util.function.Supplier<T> work) {
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the context");
        }
        try {
            ensureOpen();
            if (cancel.cancelled()) {
                throw new CancellationException("generation cancelled before it started");
            }
            T images;
            try {
                images = work.get();
            } catch (StableDiffusionException e) {
                // A cancelled sd.cpp call fails on purpose: say cancelled, not failed.
                if (cancel.cancelled() && e.kind() == StableDiffusionException.Kind.GENERATION_FAILED) {
                    throw (CancellationException) new CancellationException("generation cancelled").initCause(e);
                }
                throw e;
            }
            if (cancel.cancelled()) {
                throw new CancellationException("generation cancelled (it had finished; its images were discarded)");
            }
            return images;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops every generation of this context: the running one as soon as sd.cpp can (see the
     * class documentation, "Cancellation") and every one waiting for the context, each of which
     * throws {@link CancellationException} (or completes its future with it). Generations asked
     * for later are not affected. Safe from any thread; does nothing on a closed context.
     */
    public void cancel() {
        for (Cancellation c : pending) {
            c.request(Cancellation.Mode.ALL);
        }
    }

    /**
     * Cuts the batches of this context short: a running generation finishes the image it is
     * sampling, starts no further image of its {@link GenerationRequest#batchCount() batch}, and
     * returns the images finished so far (at least one, fewer than the batch count); one waiting
     * for the context makes its first image only. A generation that has only one image is not
     * shortened. A later {@link #cancel()} still stops them entirely. Safe from any thread.
     */
    public void cancelAfterCurrentImage() {
        for (Cancellation c : pending) {
            c.request(Cancellation.Mode.NEW_LATENTS);
        }
    }

    /** The sampler sd.cpp uses for this model when a request sets none. */
    public SamplingMethod defaultSamplingMethod() {
        return locked(engine::defaultSamplingMethod);
    }

    /** The scheduler sd.cpp uses for this model and sampler when a request sets none. */
    public Scheduler defaultScheduler(SamplingMethod sampler) {
        if (sampler == null) {
            throw new IllegalArgumentException("sampler must not be null");
        }
        return locked(() -> engine.defaultScheduler(sampler));
    }

    /** Whether the loaded models can make videos ({@link #generateVideo}): Wan 2.x (and SVD) models can; false in an isolated context, where videos do not run yet. */
    public boolean supportsVideoGeneration() {
        return locked(engine::supportsVideoGeneration);
    }

    /** Whether the loaded models can make images (video-only models cannot). */
    public boolean supportsImageGeneration() {
        return locked(engine::supportsImageGeneration);
    }

    private <T> T locked(java.util.function.Supplier<T> call) {
        lock.lock();
        try {
            ensureOpen();
            return call.get();
        } finally {
            lock.unlock();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this StableDiffusion context is closed");
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Frees the native context (or ends the isolated worker). Waits for a running generation to
     * finish first. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                engine.close();
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- library-wide functions ----

    /**
     * The header declares these two without a prototype ({@code f()}), which jextract (and so
     * our generator) binds as variadic: one invoker each, made once.
     */
    private static final class NoPrototype {
        static final SdCpp.sd_get_system_info SYSTEM_INFO;
        static final SdCpp.sd_get_num_physical_cores PHYSICAL_CORES;

        static {
            NativeLoader.load();
            SYSTEM_INFO = SdCpp.sd_get_system_info.makeInvoker();
            PHYSICAL_CORES = SdCpp.sd_get_num_physical_cores.makeInvoker();
        }
    }

    /**
     * Loads the native library if it is not loaded yet and says where it came from (a path, with
     * how it was found). Every other native call of sdjava loads it the same way on first use.
     *
     * @throws StableDiffusionException of kind LIBRARY_NOT_FOUND (the message lists every place looked at) or LIBRARY_LOAD_FAILED
     */
    public static String loadLibrary() {
        return NativeLoader.load();
    }

    /**
     * The backend the loaded library was built for (loads it if needed): {@code cpu},
     * {@code vulkan}, {@code cuda}, {@code metal}, or {@code unknown} for a library that carries no
     * record of it. A GPU build whose device is missing still runs, on ggml's CPU backend;
     * {@link Device#list()} says which devices it actually sees.
     */
    public static String backend() {
        return NativeLoader.backend();
    }

    /** sd.cpp's version string ({@code sd_version()}). */
    public static String version() {
        NativeLoader.load();
        return Native.string(SdCpp.sd_version());
    }

    /** sd.cpp's commit ({@code sd_commit()}). */
    public static String commit() {
        NativeLoader.load();
        return Native.string(SdCpp.sd_commit());
    }

    /** sd.cpp's description of the CPU features and backend ({@code sd_get_system_info()}). */
    public static String systemInfo() {
        NativeLoader.load();
        return Native.string(NoPrototype.SYSTEM_INFO.apply());
    }

    /** The number of physical CPU cores sd.cpp sees (its default thread count). */
    public static int physicalCores() {
        NativeLoader.load();
        return NoPrototype.PHYSICAL_CORES.apply();
    }

    /**
     * Converts a model to GGUF with the given weight type (sd.cpp's {@code convert}).
     *
     * @param input           the model to convert (.safetensors, .ckpt, .gguf)
     * @param vae             a VAE to bake in, or null
     * @param output          the .gguf file to write
     * @param type            the weight type, e.g. {@link WeightType#Q8_0}
     * @param tensorTypeRules per-tensor type rules, or null
     * @throws StableDiffusionException of kind CONVERSION_FAILED if sd.cpp fails
     */
    public static void convert(Path input, Path vae, Path output, WeightType type, String tensorTypeRules) {
        ModelFile.check(input, "input model");
        if (vae != null) {
            ModelFile.check(vae, "vae");
        }
        if (output == null || type == null) {
            throw new IllegalArgumentException("output and type must not be null");
        }
        Path parent = output.toAbsolutePath().getParent();
        if (parent == null || !java.nio.file.Files.isDirectory(parent)) {
            throw new IllegalArgumentException("output directory does not exist: " + parent);
        }
        try (Arena call = Arena.ofConfined(); var c = Callbacks.begin(null, null)) {
            boolean ok = SdCpp.convert(Native.cPath(call, input, "input"), Native.cPath(call, vae, "vae"),
                    Native.cPath(call, output, "output"), type.value(),
                    // convert() builds a std::string from the rules: NULL would abort the process.
                    Native.cString(call, tensorTypeRules == null ? "" : tensorTypeRules, "tensorTypeRules"), false);
            if (!ok) {
                throw new StableDiffusionException(StableDiffusionException.Kind.CONVERSION_FAILED,
                        "sd.cpp could not convert " + input + " to " + type, c.problems(), null);
            }
        }
    }

    /**
     * Canny edge detection as sd.cpp does for ControlNet ({@code preprocess_canny}); returns a new
     * image, the input is unchanged.
     *
     * @param highThreshold upper hysteresis threshold (sd.cpp's CLI uses 0.08)
     * @param lowThreshold  lower hysteresis threshold (0.08)
     * @param weak          value of weak edges (0.8)
     * @param strong        value of strong edges (1.0)
     * @param inverse       black edges on white
     */
    public static SdImage canny(SdImage image, float highThreshold, float lowThreshold, float weak, float strong,
                                boolean inverse) {
        if (image == null) {
            throw new IllegalArgumentException("image must not be null");
        }
        for (float v : new float[] {highThreshold, lowThreshold, weak, strong}) {
            if (!Float.isFinite(v) || v < 0) {
                throw new IllegalArgumentException("canny thresholds and values must be finite and >= 0");
            }
        }
        SdImage rgb = image.withChannels(3);
        Callbacks.install();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment img = sd_image_t.allocate(call);
            Images.toNative(rgb, img, call);
            if (!SdCpp.preprocess_canny(img, highThreshold, lowThreshold, weak, strong, inverse)) {
                throw new StableDiffusionException(StableDiffusionException.Kind.GENERATION_FAILED, "canny preprocessing failed");
            }
            return Images.fromNative(img);
        }
    }

    /** Canny with the parameters upstream's CLI uses for {@code --canny}. */
    public static SdImage canny(SdImage image) {
        return canny(image, 0.08f, 0.08f, 0.8f, 1.0f, false);
    }
}
