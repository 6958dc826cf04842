package dev.sdjava;

import java.nio.file.Path;

/**
 * A high-resolution fix (sd.cpp's {@code sd_hires_params_t}): generate at the request's size,
 * enlarge, then refine with a second pass.
 *
 * @param upscaler          how to enlarge; {@link HiresUpscaler#MODEL} needs {@code model}
 * @param model             an ESRGAN model for {@link HiresUpscaler#MODEL}, else null
 * @param scale             enlargement factor when no target size is given (sd.cpp's default 2)
 * @param targetWidth       target width, 0 = use {@code scale}
 * @param targetHeight      target height, 0 = use {@code scale}
 * @param steps             second-pass steps, 0 = the request's steps
 * @param denoisingStrength second-pass strength in [0,1] (sd.cpp's default 0.7)
 * @param upscaleTileSize   tile size for model upscaling (sd.cpp's default 128)
 */
public record HiresFix(HiresUpscaler upscaler, Path model, float scale, int targetWidth, int targetHeight, int steps,
                       float denoisingStrength, int upscaleTileSize) {
    public HiresFix {
        if (upscaler == null) {
            throw new IllegalArgumentException("hires upscaler must not be null");
        }
        if (upscaler == HiresUpscaler.MODEL && model == null) {
            throw new IllegalArgumentException("hires upscaler MODEL needs a model file");
        }
        if (!(scale >= 1 && scale <= 8)) {
            throw new IllegalArgumentException("hires scale must be in [1,8], got " + scale);
        }
        if (targetWidth < 0 || targetHeight < 0 || targetWidth > SdImage.MAX_SIDE || targetHeight > SdImage.MAX_SIDE) {
            throw new IllegalArgumentException("hires target size must be 0.." + SdImage.MAX_SIDE);
        }
        if (steps < 0 || steps > GenerationRequest.MAX_STEPS) {
            throw new IllegalArgumentException("hires steps must be 0.." + GenerationRequest.MAX_STEPS);
        }
        if (!(denoisingStrength >= 0 && denoisingStrength <= 1)) {
            throw new IllegalArgumentException("hires denoisingStrength must be in [0,1], got " + denoisingStrength);
        }
        if (upscaleTileSize < 8 || upscaleTileSize > 4096) {
            throw new IllegalArgumentException("hires upscaleTileSize must be 8..4096");
        }
    }

    /**
     * A latent-space hires fix by {@code scale} with sd.cpp's default strength (0.7) and tile size
     * (128), those of {@code sd_hires_params_init} (HiresFixDefaultsTest checks them).
     */
    public static HiresFix latent(float scale) {
        return new HiresFix(HiresUpscaler.LATENT, null, scale, 0, 0, 0, 0.7f, 128);
    }
}
