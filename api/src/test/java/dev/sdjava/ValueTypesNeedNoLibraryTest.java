package dev.sdjava;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Configs, requests and enums are plain values: building, checking, printing and reading them
 * never loads the native library. This JVM (surefire forks one per test class) points the loader
 * at a path that does not exist before anything else runs; if any of the work below had loaded
 * the library, the final {@code loadLibrary()} would return instead of failing.
 */
class ValueTypesNeedNoLibraryTest {
    @BeforeAll
    static void pointTheLoaderNowhere() {
        System.setProperty("sdjava.library.path", "/nonexistent/sdjava-no-library-here");
    }

    @Test
    void buildPrintAndReadEverythingThenFindTheLibraryStillUnloaded() {
        ModelConfig config = ModelConfig.builder().model(Path.of("model.safetensors")).threads(2)
                .weightType(WeightType.Q8_0).rng(RngType.CUDA).prediction(Prediction.V)
                .loraApplyMode(LoraApplyMode.AT_RUNTIME).flashAttention(true).build();
        assertEquals(2, config.threads());
        assertEquals(WeightType.Q8_0, config.weightType());
        assertNull(config.vae());
        assertEquals(config, config.toBuilder().build());
        assertTrue(config.toString().contains("threads=2"), config.toString());

        GenerationRequest request = GenerationRequest.builder("a lighthouse").size(64, 96).steps(3).cfgScale(5f)
                .samplingMethod(SamplingMethod.EULER_A).scheduler(Scheduler.KARRAS).seed(7)
                .cache(CacheParams.builder().mode(CacheMode.EASYCACHE).reuseThreshold(0.2f).build())
                .hires(HiresFix.latent(2f)).lora(Lora.of(Path.of("style.safetensors"), 0.8f))
                .preview(PreviewMode.PROJ, 1, false, (step, frames, noisy) -> { }).build();
        assertEquals(64, request.width());
        assertEquals(96, request.height());
        assertEquals(SamplingMethod.EULER_A, request.samplingMethod());
        assertEquals(CacheMode.EASYCACHE, request.cache().mode());
        assertNull(request.flowShift(), "unset options read back as null");
        assertEquals(request, request.toBuilder().build());
        assertTrue(request.toString().contains("steps=3"), request.toString());
        assertThrows(IllegalArgumentException.class, () -> request.toBuilder().width(63));
        assertThrows(IllegalArgumentException.class, () -> request.toBuilder().cfgScale(Float.NaN));

        roundTrip(SamplingMethod.values(), SamplingMethod::sdName, SamplingMethod::fromSdName);
        roundTrip(Scheduler.values(), Scheduler::sdName, Scheduler::fromSdName);
        roundTrip(RngType.values(), RngType::sdName, RngType::fromSdName);
        roundTrip(Prediction.values(), Prediction::sdName, Prediction::fromSdName);
        roundTrip(PreviewMode.values(), PreviewMode::sdName, PreviewMode::fromSdName);
        roundTrip(LoraApplyMode.values(), LoraApplyMode::sdName, LoraApplyMode::fromSdName);
        roundTrip(HiresUpscaler.values(), HiresUpscaler::sdName, HiresUpscaler::fromSdName);
        roundTrip(WeightType.values(), WeightType::sdName, WeightType::fromSdName);
        assertFalse(List.of(CacheMode.values()).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> SamplingMethod.fromSdName("no_such_sampler"));

        StableDiffusionException e = assertThrows(StableDiffusionException.class, StableDiffusion::loadLibrary,
                "something above loaded the native library");
        assertEquals(StableDiffusionException.Kind.LIBRARY_NOT_FOUND, e.kind(), e.getMessage());
    }

    private static <E extends Enum<E>> void roundTrip(E[] values, Function<E, String> sdName, Function<String, E> parse) {
        for (E v : values) {
            assertSame(v, parse.apply(sdName.apply(v)), v.name());
        }
    }

    /** SdImage.toJpeg: a 4-channel image comes back as a decodable RGB JPEG close to its colours; quality is checked. */
    @Test
    void sdImageEncodesJpeg() {
        byte[] px = new byte[16 * 16 * 4];
        for (int i = 0; i < px.length; i += 4) {
            px[i] = (byte) 200;
            px[i + 1] = (byte) 40;
            px[i + 2] = (byte) 90;
            px[i + 3] = (byte) 255;
        }
        SdImage back = SdImage.read(new SdImage(16, 16, 4, px).toJpeg(90), 3);
        assertEquals(16, back.width());
        assertEquals(3, back.channels());
        assertTrue(Math.abs((back.pixels()[0] & 0xff) - 200) <= 8 && Math.abs((back.pixels()[1] & 0xff) - 40) <= 8
                && Math.abs((back.pixels()[2] & 0xff) - 90) <= 8, "colour not kept");
        assertThrows(IllegalArgumentException.class, () -> back.toJpeg(101));
        assertThrows(IllegalArgumentException.class, () -> back.toJpeg(-1));
    }
}
