package dev.sdjava.server;

import dev.sdjava.SdImage;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** Image bytes in and out: JPEG, base64 and data URLs (PNG comes from the core: {@code GeneratedImage.toPng()}). */
final class Codecs {
    private Codecs() {
    }

    static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** A JPEG of {@code image} at {@code quality}, clamped to 0..100. */
    static byte[] jpeg(SdImage image, int quality) {
        return image.toJpeg(Math.clamp(quality, 0, 100));
    }

    /**
     * Decodes a base64 image or {@code data:image/...;base64,} URL into {@code channels} channels
     * (3 RGB, 1 grey). The declared size is read before any pixel is, so a small file claiming a
     * huge image is refused without decoding it.
     *
     * @throws BadRequest naming {@code field} if it is not base64, not an image ImageIO reads, or larger than maxSide
     */
    static SdImage decodeImage(String field, String text, int channels, int maxSide) {
        String b64 = text;
        if (b64.startsWith("data:")) {
            int comma = b64.indexOf(',');
            if (comma < 0 || !b64.substring(0, comma).endsWith(";base64")) {
                throw new BadRequest(field + " is a data URL without ;base64,");
            }
            b64 = b64.substring(comma + 1);
        }
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(field + " is not valid base64: " + e.getMessage());
        }
        return decodeImage(field, bytes, channels, maxSide);
    }

    /**
     * Decodes encoded image {@code bytes} (an uploaded file) as {@link #decodeImage(String, String, int, int)} does.
     *
     * @throws BadRequest naming {@code field} if it is not an image ImageIO reads, or larger than maxSide
     */
    static SdImage decodeImage(String field, byte[] bytes, int channels, int maxSide) {
        if (bytes.length == 0) {
            throw new BadRequest(field + " is empty");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new BadRequest(field + " is not an image in a format this server reads (PNG, JPEG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (w < 1 || h < 1 || w > maxSide || h > maxSide) {
                    throw new BadRequest(field + " is " + w + "x" + h + "; each side must be 1.." + maxSide);
                }
                BufferedImage img = reader.read(0);
                return SdImage.fromBufferedImage(img, channels);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof BadRequest b) {
                throw b;
            }
            throw new BadRequest(field + " could not be decoded: " + e.getMessage());
        }
    }
}
