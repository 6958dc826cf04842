package dev.sdjava;

import dev.sdjava.internal.files.Png;
import dev.sdjava.internal.natives.Native;

import dev.sdjava.internal.bindings.sd_image_t;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;

/**
 * An 8-bit image held in Java memory: {@code width x height} pixels of {@code channels} bytes
 * (1 = grey, 3 = RGB, 4 = RGBA), row-major, no padding. Immutable: the pixel array is copied in
 * and out.
 *
 * <p>Used for inputs (init image, mask, control image, reference images) and as the pixels of
 * results.
 */
public final class SdImage {
    /** The largest width or height accepted, which keeps buffers far below 2 GiB. */
    public static final int MAX_SIDE = 16384;

    private final int width;
    private final int height;
    private final int channels;
    private final byte[] pixels;

    /**
     * @param pixels {@code width * height * channels} bytes, copied
     * @throws IllegalArgumentException if the sizes are out of range or do not match the array
     */
    public SdImage(int width, int height, int channels, byte[] pixels) {
        if (width < 1 || width > MAX_SIDE || height < 1 || height > MAX_SIDE) {
            throw new IllegalArgumentException("image size must be 1.." + MAX_SIDE + " per side, got " + width + "x" + height);
        }
        if (channels != 1 && channels != 3 && channels != 4) {
            throw new IllegalArgumentException("channels must be 1, 3 or 4, got " + channels);
        }
        long expected = (long) width * height * channels;
        if (pixels == null || pixels.length != expected) {
            throw new IllegalArgumentException("pixels must hold width*height*channels = " + expected + " bytes, got "
                    + (pixels == null ? "null" : pixels.length));
        }
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.pixels = pixels.clone();
    }

    private SdImage(int width, int height, int channels, byte[] pixels, boolean owned) {
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.pixels = pixels;
    }

    /** Width in pixels. */
    public int width() {
        return width;
    }

    /** Height in pixels. */
    public int height() {
        return height;
    }

    /** Bytes per pixel: 1, 3 or 4. */
    public int channels() {
        return channels;
    }

    /** A copy of the pixel bytes. */
    public byte[] pixels() {
        return pixels.clone();
    }

    /** The byte at ({@code x}, {@code y}) in channel {@code c}, 0..255. */
    public int pixel(int x, int y, int c) {
        return pixels[(y * width + x) * channels + c] & 0xff;
    }

    /** This image converted to {@code channels} bytes per pixel (grey uses stb_image's luma weights, as upstream's CLI does). */
    public SdImage withChannels(int channels) {
        if (channels == this.channels) {
            return this;
        }
        return fromBufferedImage(toBufferedImage(), channels);
    }

    /** A {@link BufferedImage} with these pixels (grey, RGB or ARGB). */
    public BufferedImage toBufferedImage() {
        int type = switch (channels) {
            case 1 -> BufferedImage.TYPE_BYTE_GRAY;
            case 3 -> BufferedImage.TYPE_INT_RGB;
            default -> BufferedImage.TYPE_INT_ARGB;
        };
        BufferedImage img = new BufferedImage(width, height, type);
        if (channels == 1) {
            img.getRaster().setDataElements(0, 0, width, height, pixels);
            return img;
        }
        int[] argb = new int[width * height];
        for (int i = 0, p = 0; i < argb.length; i++, p += channels) {
            int a = channels == 4 ? pixels[p + 3] & 0xff : 0xff;
            argb[i] = a << 24 | (pixels[p] & 0xff) << 16 | (pixels[p + 1] & 0xff) << 8 | (pixels[p + 2] & 0xff);
        }
        img.setRGB(0, 0, width, height, argb, 0, width);
        return img;
    }

    /** The pixels of {@code image} with {@code channels} (1, 3 or 4) bytes per pixel. */
    public static SdImage fromBufferedImage(BufferedImage image, int channels) {
        if (image == null) {
            throw new IllegalArgumentException("image must not be null");
        }
        if (channels != 1 && channels != 3 && channels != 4) {
            throw new IllegalArgumentException("channels must be 1, 3 or 4, got " + channels);
        }
        int w = image.getWidth();
        int h = image.getHeight();
        if (w > MAX_SIDE || h > MAX_SIDE) {
            throw new IllegalArgumentException("image too large: " + w + "x" + h + " (max " + MAX_SIDE + " per side)");
        }
        if (channels == 1 && image.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            // getRGB would pass grey through a colour-space conversion and change the values.
            byte[] grey = new byte[w * h];
            image.getRaster().getDataElements(0, 0, w, h, grey);
            return new SdImage(w, h, 1, grey, true);
        }
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        byte[] out = new byte[w * h * channels];
        for (int i = 0, p = 0; i < argb.length; i++, p += channels) {
            int c = argb[i];
            int r = c >>> 16 & 0xff;
            int g = c >>> 8 & 0xff;
            int b = c & 0xff;
            if (channels == 1) {
                out[p] = (byte) ((r * 77 + g * 150 + b * 29) >> 8); // stb_image's luma, as upstream's CLI
            } else {
                out[p] = (byte) r;
                out[p + 1] = (byte) g;
                out[p + 2] = (byte) b;
                if (channels == 4) {
                    out[p + 3] = (byte) (c >>> 24);
                }
            }
        }
        return new SdImage(w, h, channels, out, true);
    }

    /** An RGB image read from PNG, JPEG, BMP or GIF. */
    public static SdImage read(Path file) {
        return read(file, 3);
    }

    /**
     * Reads an image file with {@code channels} bytes per pixel.
     *
     * @throws IllegalArgumentException if the file is missing or is not an image Java can decode
     * @throws UncheckedIOException     if reading fails
     */
    public static SdImage read(Path file, int channels) {
        Native.readableFile(file, "image file");
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("could not read image " + file + ": " + e.getMessage(), e);
        }
        if (img == null) {
            throw new IllegalArgumentException("not an image Java can decode (PNG, JPEG, BMP, GIF): " + file);
        }
        return fromBufferedImage(img, channels);
    }

    /**
     * Decodes an encoded image (PNG, JPEG, BMP or GIF, e.g. the bytes of an upload or of base64
     * data) with {@code channels} bytes per pixel (1, 3 or 4).
     *
     * @throws IllegalArgumentException if {@code encoded} is null or not an image Java can decode
     */
    public static SdImage read(byte[] encoded, int channels) {
        if (encoded == null) {
            throw new IllegalArgumentException("encoded image must not be null");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(new java.io.ByteArrayInputStream(encoded));
        } catch (IOException e) {
            throw new IllegalArgumentException("not an image Java can decode (PNG, JPEG, BMP, GIF): " + e.getMessage(), e);
        }
        if (img == null) {
            throw new IllegalArgumentException("not an image Java can decode (PNG, JPEG, BMP, GIF): " + encoded.length + " bytes");
        }
        return fromBufferedImage(img, channels);
    }

    /** This image encoded as PNG, without metadata. */
    public byte[] toPng() {
        return Png.encode(this, null);
    }

    /** Writes a PNG without metadata. */
    public void writePng(Path file) {
        Png.write(this, file, null);
    }

    /**
     * This image encoded as a baseline JPEG by the JDK's encoder ({@code javax.imageio}), in RGB
     * (an alpha channel is dropped, a grey image becomes RGB), without metadata. sd-cli writes
     * its JPEG files at quality 90; its pixels come from its own encoder, so the bytes differ.
     *
     * @param quality 0 (smallest) to 100 (best)
     * @throws IllegalArgumentException if {@code quality} is outside 0..100
     */
    public byte[] toJpeg(int quality) {
        if (quality < 0 || quality > 100) {
            throw new IllegalArgumentException("JPEG quality must be 0..100, got " + quality);
        }
        javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            javax.imageio.ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality / 100f);
            writer.setOutput(out);
            writer.write(null, new javax.imageio.IIOImage(withChannels(3).toBufferedImage(), null, null), p);
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode a JPEG: " + e.getMessage(), e); // not for a byte array
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /**
     * The generation parameters embedded in a PNG file (its {@code parameters} text chunk, as
     * written by {@link GeneratedImage#writePng} and upstream's sd-cli), or null when it has none.
     *
     * @throws IllegalArgumentException if the file cannot be read or is no PNG
     */
    public static String readParameters(Path png) {
        return Png.readParameters(png);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SdImage i && i.width == width && i.height == height && i.channels == channels
                && Arrays.equals(i.pixels, pixels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "SdImage[" + width + "x" + height + "x" + channels + "]";
    }

    /**
     * Throws when {@code img} is set and not {@code w x h} (a null size is not checked): a request's images must have
     * its size. {@code what} names the image, {@code whole} what it belongs to ("request", "video").
     */
    static void checkSize(SdImage img, String what, String whole, Integer w, Integer h) {
        if (img != null && w != null && h != null && (img.width() != w || img.height() != h)) {
            throw new IllegalArgumentException(what + " is " + img.width() + "x" + img.height()
                    + " but the " + whole + " is " + w + "x" + h + "; they must match");
        }
    }
}
