package dev.sdjava;

/**
 * VAE tiling (sd.cpp's {@code sd_tiling_params_t}): decode (and encode) the image in tiles to
 * bound memory at large sizes, at some cost in time.
 *
 * @param tileSizeX     tile width in latent pixels, 0 = sd.cpp's choice
 * @param tileSizeY     tile height in latent pixels, 0 = sd.cpp's choice
 * @param targetOverlap overlap between tiles as a fraction of a tile, in [0, 1); sd.cpp's default 0.5
 * @param relSizeX      tile width relative to the latent (0 = unused)
 * @param relSizeY      tile height relative to the latent (0 = unused)
 */
public record VaeTiling(int tileSizeX, int tileSizeY, float targetOverlap, float relSizeX, float relSizeY) {
    /** Tiling on with sd.cpp's default tile size and overlap. */
    public static final VaeTiling DEFAULT = new VaeTiling(0, 0, 0.5f, 0f, 0f);

    public VaeTiling {
        if (tileSizeX < 0 || tileSizeY < 0 || tileSizeX > 4096 || tileSizeY > 4096) {
            throw new IllegalArgumentException("tile sizes must be 0..4096, got " + tileSizeX + "x" + tileSizeY);
        }
        if (!(targetOverlap >= 0 && targetOverlap < 1)) {
            throw new IllegalArgumentException("targetOverlap must be in [0,1), got " + targetOverlap);
        }
        if (!(relSizeX >= 0) || !(relSizeY >= 0) || Float.isInfinite(relSizeX) || Float.isInfinite(relSizeY)) {
            throw new IllegalArgumentException("relative tile sizes must be finite and >= 0");
        }
    }
}
