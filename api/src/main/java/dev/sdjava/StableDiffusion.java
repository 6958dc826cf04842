package dev.sdjava;

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
 * The pinned sd.cpp has no API to stop a running generation. {@link #cancel()} (or interrupting
 * the generating thread) therefore stops what is possible: a generation still waiting for the
 * context never starts, and a running one is abandoned as soon as sd.cpp returns (its images are
 * discarded and {@link CancellationException} is thrown). For a hard stop, use an isolated
 * context and close it.
 *
 * <h2>Memory</h2>
 * The native context is owned by this object's arena with {@code free_sd_ctx} as its cleanup;
 * per-call structures live in confined arenas; result pixels are copied into Java and sd.cpp's
 * buffers freed before {@code generate} returns.
 */
public final class StableDiffusion implements AutoCloseable {
    private static final SecureRandom SEEDS = new SecureRandom();

    private final ModelConfig config;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment ctx;
    /** Set instead of {@link #ctx} when the config is isolated: the context lives in a worker process. */
    private final IsolatedContext isolated;
    /** The big-stack thread sd.cpp's generation runs on (see NativeStack); null when isolated. */
    private final NativeStack nativeStack;
    private static final AtomicLong CONTEXTS = new AtomicLong();
    /** Open in-process contexts, for {@link #awaitNativeCallsOnShutdown()}. */
    private static final Set<StableDiffusion> OPEN = ConcurrentHashMap.newKeySet();
    /** System property: how long JVM shutdown waits for running generations (seconds, default 60). */
    public static final String SHUTDOWN_WAIT_PROPERTY = "sdjava.shutdownWaitSeconds";
    private static final AtomicBoolean SHUTDOWN_HOOK = new AtomicBoolean();
    private final ReentrantLock lock = new ReentrantLock(true);
    private volatile boolean closed;
    /** Tickets number generate calls in arrival order; cancel() cancels every ticket issued so far. */
    private final AtomicLong tickets = new AtomicLong();
    private volatile long cancelledUpTo;

    private StableDiffusion(ModelConfig config, ProgressListener progress) {
        this.config = config;
        if (config.isolated()) {
            arena.close();
            ctx = null;
            nativeStack = null;
            isolated = IsolatedContext.start(config, progress);
            return;
        }
        isolated = null;
        MemorySegment raw;
        List<String> problems;
        // On a JVM's first load, the library and the upcalls are set up on another thread while
        // this one checks the model files and fills the parameters (see Callbacks.installInBackground).
        Callbacks.installInBackground();
        try (Arena call = Arena.ofConfined()) {
            config.checkFiles();
            MemorySegment params = sd_ctx_params_t.allocate(call);
            // Filled once before sd_ctx_params_init too: on a first load this links the struct's
            // field accessors (tens of milliseconds) while the library is still loading.
            config.toNative(params, call);
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
                    .unstarted(StableDiffusion::awaitNativeCallsOnShutdown));
        }
        OPEN.add(this);
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
     * Links what {@link #load} calls, on the thread of {@link Callbacks#installInBackground()}: the
     * generated bindings link each native call and struct accessor on first use, and the Java
     * header check loads its classes on first use (tens of milliseconds each in a fresh JVM).
     */
    static void linkLoadPath() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = sd_ctx_params_t.allocate(a);
            SdCpp.sd_ctx_params_init(p);
            ModelConfig.builder().model(Path.of("link")).taesd(Path.of("link")).build().toNative(p, a);
        }
        for (String call : List.of("new_sd_ctx", "free_sd_ctx")) {
            try { // the holder class of each native call (jextract's shape); initialising it links the call
                Class.forName(SdCpp.class.getName() + "$" + call, true, SdCpp.class.getClassLoader());
            } catch (ClassNotFoundException ignored) {
                // another binding generator's shape: linked on first use instead
            }
        }
        byte[] header = "{\"t\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] file = new byte[8 + header.length];
        java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(header.length).put(header);
        ModelFile.parse(file, file.length + 4L, Path.of("link"));
    }

    /**
     * Loads the models of {@code config}.
     *
     * @throws InvalidModelFileException if a model file is missing, unreadable or malformed (checked in Java)
     * @throws StableDiffusionException of kind MODEL_LOAD_FAILED if sd.cpp rejects the models, or
     *         WORKER_CRASHED if an isolated worker could not be started or died while loading
     */
    public static StableDiffusion load(ModelConfig config) {
        return load(config, null);
    }

    /** Loads the models of {@code config}, reporting tensor loading progress to {@code progress}. */
    public static StableDiffusion load(ModelConfig config, ProgressListener progress) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        return new StableDiffusion(config, progress);
    }

    /** The configuration this context was loaded from. */
    public ModelConfig config() {
        return config;
    }

    /**
     * Runs one request and returns its images ({@link GenerationRequest#batchCount()} of them).
     *
     * @throws IllegalArgumentException  if the request does not fit (image sizes, missing files)
     * @throws IllegalStateException     if this context is closed
     * @throws CancellationException     if {@link #cancel()} was called or the thread interrupted
     * @throws StableDiffusionException of kind GENERATION_FAILED if sd.cpp produced nothing
     */
    public List<GeneratedImage> generate(GenerationRequest request) {
        if (request == null) {
            throw new IllegalArgumentException("request must not be null");
        }
        request.validateImages();
        long ticket = tickets.incrementAndGet();
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the context");
        }
        try {
            ensureOpen();
            if (ticket <= cancelledUpTo) {
                throw new CancellationException("generation cancelled before it started");
            }
            if (isolated != null) {
                return isolated.generate(request);
            }
            // On a big native stack: sd.cpp's prompt parser recurses per character (see NativeStack).
            return nativeStack.call(() -> generateLocked(request, ticket));
        } finally {
            lock.unlock();
        }
    }

    private List<GeneratedImage> generateLocked(GenerationRequest request, long ticket) {
        long seed = request.seed() != null ? request.seed() : SEEDS.nextLong(0, 1L << 53);
        SamplingMethod sampler = request.samplingMethod() != null ? request.samplingMethod() : defaultSamplingMethodLocked();
        Scheduler scheduler = request.scheduler() != null ? request.scheduler()
                : NativeEnum.of(Scheduler.class, SdCpp.sd_get_default_scheduler(ctx, sampler.value()));
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
                Callbacks.enablePreview(request.previewMode(), request.previewInterval(), true, request.previewNoisy());
            }
            MemorySegment result = SdCpp.generate_image(ctx, params);
            problems = c.problems();
            if (!result.equals(MemorySegment.NULL)) {
                // Copy every image out, then free each buffer and the array exactly once.
                MemorySegment all = result.reinterpret(sd_image_t.sizeof() * n);
                try {
                    for (int i = 0; i < n; i++) {
                        images.add(SdImage.fromNative(sd_image_t.asSlice(all, i)));
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
        if (ticket <= cancelledUpTo || Thread.currentThread().isInterrupted()) {
            throw new CancellationException("generation cancelled (sd.cpp finished the running call; its images were discarded)");
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

    /**
     * Asks the running (or next waiting) generation of this context to stop; see the class
     * documentation for what the pinned sd.cpp allows. Safe from any thread.
     */
    public void cancel() {
        cancelledUpTo = tickets.get();
        if (isolated != null && lock.isLocked()) {
            isolated.abort(); // a hard stop: the worker is ended, the next call starts a fresh one
        }
    }

    /** The sampler sd.cpp uses for this model when a request sets none. */
    public SamplingMethod defaultSamplingMethod() {
        lock.lock();
        try {
            ensureOpen();
            return isolated != null ? isolated.defaultSamplingMethod() : defaultSamplingMethodLocked();
        } finally {
            lock.unlock();
        }
    }

    /** The scheduler sd.cpp uses for this model and sampler when a request sets none. */
    public Scheduler defaultScheduler(SamplingMethod sampler) {
        if (sampler == null) {
            throw new IllegalArgumentException("sampler must not be null");
        }
        lock.lock();
        try {
            ensureOpen();
            if (isolated != null) {
                return isolated.defaultScheduler(sampler);
            }
            return NativeEnum.of(Scheduler.class, SdCpp.sd_get_default_scheduler(ctx, sampler.value()));
        } finally {
            lock.unlock();
        }
    }

    /** Whether the loaded models can make images (video-only models cannot). */
    public boolean supportsImageGeneration() {
        lock.lock();
        try {
            ensureOpen();
            return isolated != null ? isolated.supportsImageGeneration() : SdCpp.sd_ctx_supports_image_generation(ctx);
        } finally {
            lock.unlock();
        }
    }

    private SamplingMethod defaultSamplingMethodLocked() {
        return NativeEnum.of(SamplingMethod.class, SdCpp.sd_get_default_sample_method(ctx));
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this StableDiffusion context is closed");
        }
    }

    /** The isolated worker of this context, or null when it runs in this process (for tests). */
    IsolatedContext isolatedContext() {
        return isolated;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Frees the native context. Waits for a running generation to finish first. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                if (isolated != null) {
                    isolated.close();
                } else {
                    OPEN.remove(this);
                    nativeStack.close();
                    arena.close();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * JVM shutdown hook: waits for generations still running in sd.cpp, up to
     * {@value #SHUTDOWN_WAIT_PROPERTY} seconds in all, and keeps each context's lock so that no new
     * one starts. A JVM that exits (System.exit, SIGTERM) while sd.cpp's threads compute runs the C
     * library's exit handlers under them, and sd.cpp/ggml's static objects are destroyed while in
     * use: a SIGSEGV at exit, with a crash report. sd.cpp cannot be stopped mid-step, so waiting for
     * it is the clean way out.
     */
    private static void awaitNativeCallsOnShutdown() {
        long waitNanos = (long) (Math.max(0, Double.parseDouble(System.getProperty(SHUTDOWN_WAIT_PROPERTY, "60"))) * 1e9);
        long deadline = System.nanoTime() + waitNanos;
        for (StableDiffusion sd : OPEN) {
            try {
                if (!sd.lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    System.getLogger("dev.sdjava").log(System.Logger.Level.WARNING, "sdjava: the JVM is exiting while "
                            + "sd.cpp still generates (waited " + SHUTDOWN_WAIT_PROPERTY + "); it may crash on exit");
                    return;
                }
            } catch (InterruptedException e) {
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
        s.append("Version: stable-diffusion.cpp (sdjava), SDCPP: ").append(version()).append(' ').append(commit());
        return s.toString();
    }

    /** Formats a float as C++'s {@code std::to_string} does (six decimals; inf). */
    private static String f(float v) {
        return Float.isInfinite(v) ? (v > 0 ? "inf" : "-inf") : String.format(Locale.ROOT, "%.6f", v);
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
            rgb.toNative(img, call);
            if (!SdCpp.preprocess_canny(img, highThreshold, lowThreshold, weak, strong, inverse)) {
                throw new StableDiffusionException(StableDiffusionException.Kind.GENERATION_FAILED, "canny preprocessing failed");
            }
            return SdImage.fromNative(img);
        }
    }

    /** Canny with the parameters upstream's CLI uses for {@code --canny}. */
    public static SdImage canny(SdImage image) {
        return canny(image, 0.08f, 0.08f, 0.8f, 1.0f, false);
    }
}
