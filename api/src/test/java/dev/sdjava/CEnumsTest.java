package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java enums keep sd.cpp's C values and names as literals (so that they never load the
 * library); this checks every literal against the library's own {@code *_name()} functions and
 * enum constants, both ways.
 */
class CEnumsTest {
    @BeforeAll
    static void load() {
        dev.sdjava.internal.natives.NativeLoader.load();
    }

    private static <E extends Enum<E>> void check(E[] values, ToIntFunction<E> value, java.util.function.Function<E, String> sdName,
                                                 IntFunction<MemorySegment> cName, int count) {
        assertEquals(count, values.length, values[0].getDeclaringClass().getSimpleName() + ": one constant per C value");
        for (int i = 0; i < count; i++) {
            E e = CEnums.of(values, value, i);
            assertEquals(cName.apply(i).reinterpret(256).getString(0), sdName.apply(e), e + " is C value " + i);
        }
    }

    @Test
    void namesAndValuesAreSdCpps() {
        check(SamplingMethod.values(), SamplingMethod::value, SamplingMethod::sdName, SdCpp::sd_sample_method_name, SdCpp.SAMPLE_METHOD_COUNT());
        check(Scheduler.values(), Scheduler::value, Scheduler::sdName, SdCpp::sd_scheduler_name, SdCpp.SCHEDULER_COUNT());
        check(RngType.values(), RngType::value, RngType::sdName, SdCpp::sd_rng_type_name, SdCpp.RNG_TYPE_COUNT());
        check(Prediction.values(), Prediction::value, Prediction::sdName, SdCpp::sd_prediction_name, SdCpp.PREDICTION_COUNT());
        check(PreviewMode.values(), PreviewMode::value, PreviewMode::sdName, SdCpp::sd_preview_name, SdCpp.PREVIEW_COUNT());
        check(LoraApplyMode.values(), LoraApplyMode::value, LoraApplyMode::sdName, SdCpp::sd_lora_apply_mode_name, SdCpp.LORA_APPLY_MODE_COUNT());
        check(HiresUpscaler.values(), HiresUpscaler::value, HiresUpscaler::sdName, SdCpp::sd_hires_upscaler_name, SdCpp.SD_HIRES_UPSCALER_COUNT());
    }

    @Test
    void weightTypesAreGgmlsNamedTypes() {
        for (WeightType t : WeightType.values()) {
            assertEquals(SdCpp.sd_type_name(t.value()).reinterpret(256).getString(0), t.sdName(), t.name());
            assertSame(t, WeightType.fromSdName(SdCpp.sd_type_name(t.value()).reinterpret(256).getString(0)));
        }
        assertTrue(WeightType.values().length < SdCpp.SD_TYPE_COUNT());
    }

    @Test
    void cacheModesAreTheHeadersConstants() throws ReflectiveOperationException {
        for (CacheMode m : CacheMode.values()) {
            assertEquals(SdCpp.class.getMethod("SD_CACHE_" + m.name()).invoke(null), m.value(), m.name());
        }
    }

    @Test
    void parsingIsExactAndListsTheKnownNames() {
        assertSame(SamplingMethod.DPMPP_2M, SamplingMethod.fromSdName("dpm++2m"));
        var e = assertThrows(IllegalArgumentException.class, () -> Scheduler.fromSdName("Karras"));
        assertTrue(e.getMessage().contains("known: discrete, karras"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RngType.fromSdName(null));
    }
}
