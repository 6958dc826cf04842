package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.natives.Callbacks;
import dev.sdjava.internal.natives.Images;
import dev.sdjava.internal.natives.NativeLoader;
import dev.sdjava.internal.bindings.sd_image_t;
import dev.sdjava.internal.bindings.sd_img_gen_params_t;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The binding's per-generation costs that live behind package-private methods: building the native
 * parameter structs of a request, routing a progress upcall, copying a result image out.
 *
 * <p>This class sits in package {@code dev.sdjava} (a split package on the class path, no JPMS) so
 * it can call exactly the code {@link StableDiffusion#generate} runs, with no test-only entry point
 * in the API. It is the one place in this module that touches the generated bindings, and only to
 * do what {@code generate} does around those calls (allocate and initialise the struct).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class InternalBenchmarks {
    private GenerationRequest txt2img;
    private GenerationRequest img2img;
    private MemorySegment nativeImage;
    private Arena arena;
    private Callbacks.Call call;
    private MethodHandle prettyProgress;
    private MethodHandle trivialDowncall;
    private volatile double lastProgress;

    @Setup(Level.Trial)
    public void setUp() {
        NativeLoader.load();
        Callbacks.install();
        // A request with every kind of field toNative handles except images: strings, scalars,
        // a LoRA (its path string), skip-layer guidance (an int array), custom sigmas (a float
        // array), tiling, hires. The paths need not exist: toNative only encodes them.
        txt2img = GenerationRequest.builder("a lighthouse at dusk, oil painting, highly detailed, dramatic light")
                .negativePrompt("blurry, low quality, watermark")
                .size(512, 512).steps(20).cfgScale(7f).samplingMethod(SamplingMethod.EULER)
                .scheduler(Scheduler.DISCRETE).seed(42).clipSkip(1).eta(0f)
                .lora(Lora.of(Path.of("/tmp/sdjava-bench-lora.safetensors"), 0.8f))
                .skipLayerGuidance(new SkipLayerGuidance(new int[] {7, 8, 9}, 0.01f, 0.2f, 0f))
                .vaeTiling(new VaeTiling(32, 32, 0.5f, 0f, 0f))
                .build();
        byte[] rgb = new byte[512 * 512 * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 31);
        }
        SdImage init = new SdImage(512, 512, 3, rgb);
        byte[] grey = new byte[512 * 512];
        SdImage mask = new SdImage(512, 512, 1, grey);
        img2img = txt2img.toBuilder().initImage(init).mask(mask).strength(0.75f).build();

        arena = Arena.ofShared();
        nativeImage = sd_image_t.allocate(arena);
        Images.toNative(init, nativeImage, arena);

        call = Callbacks.begin((step, steps, secondsPerStep) -> lastProgress = secondsPerStep, null);
        Linker linker = Linker.nativeLinker();
        SymbolLookup lib = SymbolLookup.loaderLookup();
        // sd.cpp's own pretty_progress(int, int, float): the function its sampler calls once per
        // step, which calls the installed progress callback. C++-mangled, exported by the library.
        prettyProgress = linker.downcallHandle(lib.find("_Z15pretty_progressiif").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_FLOAT));
        // sd_get_progress_callback(): returns a global, the cheapest call into the library.
        trivialDowncall = linker.downcallHandle(lib.find("_Z24sd_get_progress_callbackv").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        call.close();
        arena.close();
    }

    /** What generate() does before calling sd.cpp, for a text-to-image request with every option kind. */
    @Benchmark
    public long buildParamsTxt2img() {
        return buildParams(txt2img);
    }

    /** The same with a 512x512 RGB init image and a mask, which are copied to native memory. */
    @Benchmark
    public long buildParamsImg2img512() {
        return buildParams(img2img);
    }

    private static long buildParams(GenerationRequest request) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment p = sd_img_gen_params_t.allocate(call);
            SdCpp.sd_img_gen_params_init(p);
            InProcessEngine.fill(p, request, 42, SamplingMethod.EULER, Scheduler.DISCRETE, call);
            return sd_img_gen_params_t.seed(p);
        }
    }

    /** Copying one 512x512 RGB result from sd.cpp's buffer into a Java {@link SdImage}. */
    @Benchmark
    public SdImage copyOut512Rgb() {
        return Images.fromNative(nativeImage);
    }

    /**
     * One progress event as sd.cpp raises it: downcall into pretty_progress, which calls the
     * installed upcall, which finds this thread's call and runs its listener.
     */
    @Benchmark
    public double progressUpcallThroughSdCpp() throws Throwable {
        prettyProgress.invokeExact(3, 20, 1.5f);
        return lastProgress;
    }

    /** The downcall part of the above alone: a call into the library that returns a global. */
    @Benchmark
    public MemorySegment trivialDowncall() throws Throwable {
        return (MemorySegment) trivialDowncall.invokeExact();
    }

    /** Blackhole baseline for the harness itself. */
    @Benchmark
    public void baseline(Blackhole bh) {
        bh.consume(lastProgress);
    }
}
