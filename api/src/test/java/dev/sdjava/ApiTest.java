package dev.sdjava;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API's contract: names, defaults, validation, lifecycle, listeners, PNG metadata. */
class ApiTest {
    @TempDir
    Path tmp;

    @Test
    void versionAndSystemInfoComeFromTheLibrary() throws Exception {
        var props = new java.util.Properties();
        try (var in = Files.newInputStream(Fixtures.nativeDir().resolve("sdjava-native.properties"))) {
            props.load(in);
        }
        assertEquals(props.getProperty("sdcpp.version"), StableDiffusion.version());
        assertEquals(props.getProperty("sdcpp.commit"), StableDiffusion.commit());
        assertTrue(StableDiffusion.systemInfo().contains("SSE3") || StableDiffusion.systemInfo().contains("NEON"),
                StableDiffusion.systemInfo());
        assertTrue(StableDiffusion.physicalCores() >= 1);
    }

    @Test
    void everyEnumConstantRoundTripsThroughSdCppNames() {
        for (SamplingMethod v : SamplingMethod.values()) assertSame(v, SamplingMethod.fromSdName(v.sdName()));
        for (Scheduler v : Scheduler.values()) assertSame(v, Scheduler.fromSdName(v.sdName()));
        for (RngType v : RngType.values()) assertSame(v, RngType.fromSdName(v.sdName()));
        for (Prediction v : Prediction.values()) assertSame(v, Prediction.fromSdName(v.sdName()));
        for (PreviewMode v : PreviewMode.values()) assertSame(v, PreviewMode.fromSdName(v.sdName()));
        for (LoraApplyMode v : LoraApplyMode.values()) assertSame(v, LoraApplyMode.fromSdName(v.sdName()));
        for (HiresUpscaler v : HiresUpscaler.values()) assertSame(v, HiresUpscaler.fromSdName(v.sdName()));
        assertSame(WeightType.Q8_0, WeightType.fromSdName("q8_0"));
        assertEquals("euler_a", SamplingMethod.EULER_A.sdName());
        var e = assertThrows(IllegalArgumentException.class, () -> SamplingMethod.fromSdName("nope"));
        assertTrue(e.getMessage().contains("euler_a"), e.getMessage());
    }

    @Test
    void unsetOptionsReadBackAsUnsetAndSdCppsDefaultsRun() {
        GenerationRequest r = GenerationRequest.builder("x").size(64, 64).seed(7).build();
        assertNull(r.steps());
        assertNull(r.cfgScale());
        assertNull(r.strength());
        assertNull(ModelConfig.builder().build().threads());
        assertNull(ModelConfig.builder().build().rng());
        // What ran is sd.cpp's defaults (20 steps, CFG 7): the PNG parameters are read from the filled struct.
        String p = Fixtures.sharedSd1().generate(r.toBuilder().steps(1).build()).getFirst().parameters();
        assertTrue(p.contains("Steps: 1, CFG scale: 7.000000, "), p);
    }

    @Test
    void badArgumentsFailBeforeNativeCodeNamingTheArgument() {
        var b = GenerationRequest.builder("x");
        assertMessage("width", () -> b.width(0));
        assertMessage("width", () -> b.width(-8));
        assertMessage("height", () -> b.height(65));
        assertMessage("width", () -> b.width(1 << 20));
        assertMessage("steps", () -> b.steps(0));
        assertMessage("steps", () -> b.steps(100_000));
        assertMessage("cfgScale", () -> b.cfgScale(Float.NaN));
        assertMessage("cfgScale", () -> b.cfgScale(Float.POSITIVE_INFINITY));
        assertMessage("strength", () -> b.strength(1.5f));
        assertMessage("batchCount", () -> b.batchCount(0));
        assertMessage("prompt", () -> b.prompt(null));
        assertMessage("threads", () -> ModelConfig.builder().threads(0));
        assertMessage("model", () -> StableDiffusion.load(ModelConfig.builder().model(tmp.resolve("missing.safetensors")).build()));
        assertMessage("model", () -> StableDiffusion.load(ModelConfig.builder().model(tmp).build()));
        assertMessage("needs a model", () -> StableDiffusion.load(ModelConfig.builder().build()));
        SdImage small = new SdImage(32, 32, 3, new byte[32 * 32 * 3]);
        assertMessage("initImage", () -> Fixtures.sharedSd1().generate(Fixtures.small("x").initImage(small).build()));
        assertMessage("prompt", () -> Fixtures.sharedSd1().generate(Fixtures.small("a\0b").build()));
        assertMessage("prompt", () -> Fixtures.sharedSd1().generate(Fixtures.small("bad \uD800 surrogate").build()));
    }

    private static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable call) {
        var e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message should name " + fragment + ": " + e.getMessage());
    }

    @Test
    void closedContextThrowsAndDoubleCloseIsHarmless() {
        StableDiffusion sd = StableDiffusion.load(Fixtures.config(Fixtures.sd1()).build());
        assertEquals(1, sd.generate(Fixtures.small("x").build()).size());
        sd.close();
        sd.close();
        assertTrue(sd.isClosed());
        assertThrows(IllegalStateException.class, () -> sd.generate(Fixtures.small("x").build()));
        assertThrows(IllegalStateException.class, sd::defaultSamplingMethod);
        assertThrows(IllegalStateException.class, () -> sd.defaultScheduler(SamplingMethod.EULER));
        assertThrows(IllegalStateException.class, sd::supportsImageGeneration);
    }

    @Test
    void progressListenerSeesEveryStepAndItsExceptionIsRethrown() {
        StableDiffusion sd = Fixtures.sharedSd1();
        AtomicInteger last = new AtomicInteger();
        AtomicInteger total = new AtomicInteger();
        sd.generate(Fixtures.small("x").steps(3).progress((step, steps, s) -> {
            last.set(step);
            total.set(steps);
        }).build());
        assertEquals(3, total.get());
        assertEquals(3, last.get());
        var boom = new IllegalStateException("listener failed on purpose");
        var e = assertThrows(IllegalStateException.class,
                () -> sd.generate(Fixtures.small("x").progress((a, b, c) -> { throw boom; }).build()));
        assertSame(boom, e);
        assertEquals(1, sd.generate(Fixtures.small("x").build()).size(), "the context stays usable");
    }

    @Test
    void previewListenerReceivesImages() {
        AtomicInteger previews = new AtomicInteger();
        Fixtures.sharedSd1().generate(Fixtures.small("x").steps(2).preview(PreviewMode.PROJ, 1, false, (step, frames, noisy) -> {
            assertFalse(frames.isEmpty());
            assertTrue(frames.getFirst().width() > 0);
            previews.incrementAndGet();
        }).build());
        assertTrue(previews.get() >= 1, "previews: " + previews.get());
    }

    @Test
    void cancelBeforeRunAndInterruptGiveCancellation() {
        StableDiffusion sd = Fixtures.sharedSd1();
        sd.cancel();
        // cancel() applies to generations already issued; a new one runs normally.
        assertEquals(1, sd.generate(Fixtures.small("x").build()).size());
        Thread.currentThread().interrupt();
        try {
            assertThrows(CancellationException.class, () -> sd.generate(Fixtures.small("x").build()));
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void pngCarriesParametersLikeUpstream() {
        GeneratedImage img = Fixtures.sharedSd1().generate(Fixtures.small("a red fox").negativePrompt("dark").build()).getFirst();
        Path png = tmp.resolve("x.png");
        img.writePng(png);
        String params = SdImage.readParameters(png);
        assertNotNull(params);
        assertTrue(params.startsWith("a red fox\nNegative prompt: dark\nSteps: 2, CFG scale: 7.000000, "), params);
        assertTrue(params.contains("Seed: 7, Size: 64x64, "), params);
        assertEquals(img.image(), SdImage.read(png));
    }

    @Test
    void pngBytesAreTheFileAndDecodeToThePixels() throws Exception {
        GeneratedImage img = Fixtures.sharedSd1().generate(Fixtures.small("a red fox").build()).getFirst();
        byte[] png = img.toPng();
        Path file = tmp.resolve("bytes.png");
        img.writePng(file);
        assertArrayEquals(Files.readAllBytes(file), png);
        assertEquals(img.image(), SdImage.read(png, 3));
        assertEquals(img.image(), SdImage.read(img.image().toPng(), 3));
        Files.write(file, img.image().toPng());
        assertNull(SdImage.readParameters(file));
        var e = assertThrows(IllegalArgumentException.class, () -> SdImage.read(new byte[] {1, 2, 3}, 3));
        assertTrue(e.getMessage().startsWith("not an image Java can decode"), e.getMessage());
    }

    @Test
    void upstreamPngParametersAreReadable() {
        Path dir = tmp.resolve("cli");
        Fixtures.runCli(dir, List.of("-m", Fixtures.sd1().toString(), "-p", "a red fox", "-W", "64", "-H", "64",
                "--steps", "1", "-s", "3", "-t", String.valueOf(Fixtures.THREADS)), 1);
        String params = SdImage.readParameters(dir.resolve("out_0.png"));
        assertTrue(params.startsWith("a red fox\nSteps: 1, CFG scale: 7.000000, "), params);
    }

    @Test
    void cannyFindsEdges() {
        SdImage edges = StableDiffusion.canny(Fixtures.gradient(64, 64));
        assertEquals(64, edges.width());
        assertTrue(ParityTest.distinctValues(edges) >= 1);
    }
}
