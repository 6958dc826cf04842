package dev.sdjava;

import dev.sdjava.internal.files.Png;

import java.awt.image.BufferedImage;
import java.nio.file.Path;

/**
 * One image produced by {@link StableDiffusion#generate}: its pixels (copied into Java memory),
 * the seed that made it and the request it answers. Immutable.
 *
 * @param image      the pixels (RGB)
 * @param seed       the seed of this image: the request's seed plus the image's index in the batch
 * @param index      the position in the batch, from 0
 * @param request    the request
 * @param parameters the generation parameters in the text format upstream's CLI writes into PNGs
 */
public record GeneratedImage(SdImage image, long seed, int index, GenerationRequest request, String parameters) {
    /** Width in pixels. */
    public int width() {
        return image.width();
    }

    /** Height in pixels. */
    public int height() {
        return image.height();
    }

    /** Bytes per pixel (3). */
    public int channels() {
        return image.channels();
    }

    /** A copy of the pixel bytes, row-major RGB. */
    public byte[] pixels() {
        return image.pixels();
    }

    /** The image as a {@link BufferedImage}. */
    public BufferedImage toBufferedImage() {
        return image.toBufferedImage();
    }

    /**
     * The image encoded as PNG with {@link #parameters()} in a {@code tEXt} chunk named
     * {@code parameters}, the same bytes {@link #writePng} writes.
     */
    public byte[] toPng() {
        return Png.encode(image, parameters);
    }

    /**
     * Writes a PNG with {@link #parameters()} in a {@code tEXt} chunk named {@code parameters},
     * as upstream's CLI does, so tools that read generation parameters find them.
     */
    public void writePng(Path file) {
        Png.write(image, file, parameters);
    }
}
