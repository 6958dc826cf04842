package dev.sdjava;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * sd-cli's spelling of the step caches ({@code --cache-mode}, {@code --cache-option}) read into
 * {@link CacheParams} with upstream's meaning (examples/common/common.cpp,
 * initialize_cache_params), and the checks sd-cli makes. Plain values: no library.
 */
class CacheParamsTest {
    @Test
    void modeNamesAreSdClis() {
        assertEquals(List.of("disabled", "easycache", "ucache", "dbcache", "taylorseer", "cache-dit", "spectrum"),
                Arrays.stream(CacheMode.values()).map(CacheParams::sdName).toList());
        for (CacheMode m : CacheMode.values()) {
            assertEquals(m, CacheParams.modeOf(CacheParams.sdName(m)));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CacheParams.modeOf("CACHE_DIT"));
        assertEquals("unknown cache mode 'CACHE_DIT': use one of disabled, easycache, ucache, dbcache, taylorseer, "
                + "cache-dit, spectrum", e.getMessage());
    }

    @Test
    void eachKeyFillsItsField() {
        CacheParams u = CacheParams.builder().mode(CacheMode.UCACHE)
                .sdOptions("threshold=0.5,start=0.2,end=0.9,decay=0.8,relative=0,reset=2,warmup=3").build();
        assertEquals(0.5f, u.reuseThreshold());
        assertNull(u.residualDiffThreshold());
        assertEquals(0.2f, u.startPercent());
        assertEquals(0.9f, u.endPercent());
        assertEquals(0.8f, u.errorDecayRate());
        assertEquals(false, u.useRelativeThreshold(), "relative=0 is false, as std::stof(v) != 0");
        assertEquals(true, u.resetErrorOnCompute(), "any other number is true");
        assertEquals(3, u.maxWarmupSteps());

        CacheParams d = CacheParams.builder().mode(CacheMode.DBCACHE).sdOptions("Fn=4,bn=2,threshold=0.1,warmup=5").build();
        assertEquals(4, d.fnComputeBlocks());
        assertEquals(2, d.bnComputeBlocks(), "sd-cli also takes fn and bn");
        assertEquals(0.1f, d.residualDiffThreshold(), "threshold is the block caches' residual threshold");
        assertNull(d.reuseThreshold());
        assertEquals(5, d.maxWarmupSteps());

        CacheParams s = CacheParams.builder().mode(CacheMode.SPECTRUM)
                .sdOptions("w=0.5,m=2,lam=0.7,window=3,flex=0.25,warmup=6,stop=0.8").build();
        assertEquals(0.5f, s.spectrumW());
        assertEquals(2, s.spectrumM());
        assertEquals(0.7f, s.spectrumLam());
        assertEquals(3, s.spectrumWindowSize());
        assertEquals(0.25f, s.spectrumFlexWindow());
        assertEquals(6, s.spectrumWarmupSteps(), "warmup is Spectrum's own");
        assertNull(s.maxWarmupSteps());
        assertEquals(0.8f, s.spectrumStopPercent());

        assertEquals(CacheParams.builder().build(), CacheParams.builder().sdOptions("").build(), "empty sets nothing");
    }

    @Test
    void badSpellingsSayWhatIsAccepted() {
        CacheParams.Builder b = CacheParams.builder().mode(CacheMode.UCACHE);
        assertEquals("unknown cache option 'Threshold': the keys are threshold, start, end, decay, relative, reset, Fn, Bn, "
                + "warmup, w, m, lam, window, flex, stop", message(() -> b.sdOptions("Threshold=1")));
        assertEquals("cache option 'start' is not key=value", message(() -> b.sdOptions("start")));
        assertEquals("cache option 'start=': '' is not a number",
                message(() -> b.sdOptions("start=")));
        assertEquals("cache option 'window=2.5': '2.5' is not an integer", message(() -> b.sdOptions("window=2.5")));
        assertEquals("cache option 'end=1.5': endPercent must be a finite number in [0.0, 1.0], got 1.5",
                message(() -> b.sdOptions("end=1.5")));
    }

    /** sd-cli's validate(): the threshold and the start/end of EasyCache and UCache; the scm mask (stoi would abort). */
    @Test
    void whatSdCliRefusesIsRefused() {
        assertEquals("the cache threshold must be >= 0, got -0.5",
                message(() -> CacheParams.builder().mode(CacheMode.EASYCACHE).reuseThreshold(-0.5f).build()));
        assertEquals("the cache start must be below its end (0 <= start < end <= 1), got start 0.5, end 0.5",
                message(() -> CacheParams.builder().mode(CacheMode.UCACHE).sdOptions("start=0.5,end=0.5").build()));
        // The block caches read neither, as in sd-cli.
        assertEquals(-0.5f, CacheParams.builder().mode(CacheMode.DBCACHE).reuseThreshold(-0.5f).build().reuseThreshold());
        assertEquals("the scm mask must be 0s and 1s separated by commas (1: compute, 0: may cache), e.g. \"1,1,0,1\", "
                + "got \"1,x\"", message(() -> CacheParams.builder().scmMask("1,x").build()));
        assertEquals("1,0,1", CacheParams.builder().scmMask("1,0,1").build().scmMask());
        assertThrows(IllegalArgumentException.class, () -> new CacheParams(CacheMode.CACHE_DIT, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, "1,,0", null, null, null, null, null, null, null, null),
                "the canonical constructor (the isolation wire's way) checks too");
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }
}
