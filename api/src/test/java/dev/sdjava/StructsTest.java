package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.bindings.sd_cache_params_t;
import dev.sdjava.internal.bindings.sd_ctx_params_t;
import dev.sdjava.internal.bindings.sd_img_gen_params_t;
import dev.sdjava.internal.bindings.sd_vid_gen_params_t;
import dev.sdjava.internal.natives.NativeLoader;
import dev.sdjava.internal.options.CacheParamsOptions;
import dev.sdjava.internal.options.GenerationRequestOptions;
import dev.sdjava.internal.options.ModelConfigOptions;
import dev.sdjava.internal.options.Option;
import dev.sdjava.internal.options.VideoRequestOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@code @CField} of the option records names a field of its C struct, and a filled struct
 * holds what was set while unset fields keep sd.cpp's defaults.
 */
class StructsTest {
    @BeforeAll
    static void load() {
        NativeLoader.load();
    }

    @Test
    void everyCFieldNamesAFieldOfItsStruct() {
        assertEquals(List.of(), unresolved(sd_ctx_params_t.layout(), ModelConfigOptions.ALL));
        assertEquals(List.of(), unresolved(sd_img_gen_params_t.layout(), GenerationRequestOptions.ALL));
        assertEquals(List.of(), unresolved(sd_cache_params_t.layout(), CacheParamsOptions.ALL));
        assertEquals(List.of(), unresolved(sd_vid_gen_params_t.layout(), VideoRequestOptions.ALL));
    }

    private static <R> List<String> unresolved(GroupLayout layout, List<Option<R>> options) {
        List<String> bad = new ArrayList<>();
        int fields = 0;
        for (Option<R> o : options) {
            if (o.cField() != null) {
                fields++;
                try {
                    Structs.handle(layout, o.cField());
                } catch (IllegalArgumentException e) {
                    bad.add(o.name() + " -> " + o.cField());
                }
            }
        }
        assertTrue(fields > 5, layout + " has C fields");
        return bad;
    }

    @Test
    void cacheParamsWriteWhatIsSetAndKeepSdCppsDefaultsElsewhere() {
        CacheParams c = CacheParams.builder().mode(CacheMode.DBCACHE).reuseThreshold(0.25f).fnComputeBlocks(5)
                .scmMask("1,1,0").scmPolicyDynamic(false).spectrumStopPercent(0.5f).build();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(sd_cache_params_t.layout());
            SdCpp.sd_cache_params_init(p);
            float endPercent = sd_cache_params_t.end_percent(p);
            int maxWarmup = sd_cache_params_t.max_warmup_steps(p);
            c.toNative(p, arena);
            assertEquals(CacheMode.DBCACHE.value(), sd_cache_params_t.mode(p));
            assertEquals(0.25f, sd_cache_params_t.reuse_threshold(p));
            assertEquals(5, sd_cache_params_t.Fn_compute_blocks(p));
            assertEquals("1,1,0", sd_cache_params_t.scm_mask(p).reinterpret(64).getString(0));
            assertEquals(false, sd_cache_params_t.scm_policy_dynamic(p));
            assertEquals(0.5f, sd_cache_params_t.spectrum_stop_percent(p));
            assertEquals(endPercent, sd_cache_params_t.end_percent(p));
            assertEquals(maxWarmup, sd_cache_params_t.max_warmup_steps(p));
        }
    }

    @Test
    void cacheParamsCheckTheirArgumentsAndReadBack() {
        assertThrows(IllegalArgumentException.class, () -> CacheParams.builder().startPercent(1.5f));
        assertThrows(IllegalArgumentException.class, () -> CacheParams.builder().reuseThreshold(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> CacheParams.builder().spectrumW(Float.POSITIVE_INFINITY));
        CacheParams c = CacheParams.builder().mode(CacheMode.EASYCACHE).reuseThreshold(0.2f).build();
        assertEquals(CacheMode.EASYCACHE, c.mode());
        assertEquals(0.2f, c.reuseThreshold());
        assertEquals(null, c.endPercent());
        assertEquals(c, c.toBuilder().build());
        assertTrue(c.toString().contains("mode=EASYCACHE"), c.toString());
        assertEquals(null, CacheParams.DISABLED.mode());
    }
}
