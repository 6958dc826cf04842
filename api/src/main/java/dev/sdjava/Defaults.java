package dev.sdjava;

import dev.sdjava.internal.natives.NativeLoader;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.bindings.sd_ctx_params_t;
import dev.sdjava.internal.bindings.sd_guidance_params_t;
import dev.sdjava.internal.bindings.sd_hires_params_t;
import dev.sdjava.internal.bindings.sd_img_gen_params_t;
import dev.sdjava.internal.bindings.sd_sample_params_t;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * sd.cpp's own defaults, read once from {@code sd_ctx_params_init} and
 * {@code sd_img_gen_params_init}, so that Java never keeps copies of them.
 */
final class Defaults {
    static final Ctx CTX;
    static final Gen GEN;

    /** Defaults of {@code sd_ctx_params_t} that the API reports. */
    record Ctx(int threads, int rng) {
    }

    /** Defaults of {@code sd_img_gen_params_t} that the API reports. */
    record Gen(int width, int height, int steps, float cfg, float distilledGuidance, float strength,
               float controlStrength, int clipSkip, float hiresDenoisingStrength, int hiresTileSize, float hiresScale) {
    }

    static {
        NativeLoader.load();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = sd_ctx_params_t.allocate(arena);
            SdCpp.sd_ctx_params_init(c);
            CTX = new Ctx(sd_ctx_params_t.n_threads(c), sd_ctx_params_t.rng_type(c));
            MemorySegment g = sd_img_gen_params_t.allocate(arena);
            SdCpp.sd_img_gen_params_init(g);
            MemorySegment s = sd_img_gen_params_t.sample_params(g);
            MemorySegment guid = sd_sample_params_t.guidance(s);
            MemorySegment h = sd_img_gen_params_t.hires(g);
            GEN = new Gen(sd_img_gen_params_t.width(g), sd_img_gen_params_t.height(g),
                    sd_sample_params_t.sample_steps(s), sd_guidance_params_t.txt_cfg(guid),
                    sd_guidance_params_t.distilled_guidance(guid), sd_img_gen_params_t.strength(g),
                    sd_img_gen_params_t.control_strength(g), sd_img_gen_params_t.clip_skip(g),
                    sd_hires_params_t.denoising_strength(h), sd_hires_params_t.upscale_tile_size(h),
                    sd_hires_params_t.scale(h));
        }
    }

    private Defaults() {
    }
}
