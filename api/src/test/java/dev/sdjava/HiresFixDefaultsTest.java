package dev.sdjava;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.bindings.sd_hires_params_t;
import dev.sdjava.internal.natives.NativeLoader;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link HiresFix#latent} keeps sd.cpp's hires defaults as literals (no native load); they must be sd.cpp's. */
class HiresFixDefaultsTest {
    @Test
    void latentUsesSdCppsDefaults() {
        NativeLoader.load();
        try (Arena a = Arena.ofConfined()) {
            var h = sd_hires_params_t.allocate(a);
            SdCpp.sd_hires_params_init(h);
            HiresFix fix = HiresFix.latent(2);
            assertEquals(sd_hires_params_t.denoising_strength(h), fix.denoisingStrength());
            assertEquals(sd_hires_params_t.upscale_tile_size(h), fix.upscaleTileSize());
            assertEquals(CEnums.of(HiresUpscaler.values(), HiresUpscaler::value, sd_hires_params_t.upscaler(h)), fix.upscaler());
        }
    }
}
