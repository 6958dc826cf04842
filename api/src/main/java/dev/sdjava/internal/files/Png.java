package dev.sdjava.internal.files;

import dev.sdjava.SdImage;
import dev.sdjava.internal.natives.Native;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import org.w3c.dom.NodeList;

/**
 * PNG files with generation parameters in a {@code tEXt} chunk under the key
 * {@value #KEY}, where upstream's CLI (and AUTOMATIC1111-style tools) put them.
 */
public final class Png {
    /** The tEXt keyword holding generation parameters. */
    public static final String KEY = "parameters";
    private static final String FORMAT = "javax_imageio_png_1.0";

    private Png() {
    }

    /** Writes {@code image} to {@code file} as PNG, with {@code parameters} as text when not null. */
    public static void write(SdImage image, Path file, String parameters) {
        try (OutputStream out = Files.newOutputStream(file)) {
            write(image, out, parameters);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write PNG " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code image} encoded as PNG, with {@code parameters} as text when not null. */
    public static byte[] encode(SdImage image, String parameters) {
        var bytes = new ByteArrayOutputStream();
        try {
            write(image, bytes, parameters);
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode PNG: " + e.getMessage(), e); // not for a byte array
        }
        return bytes.toByteArray();
    }

    private static void write(SdImage image, OutputStream stream, String parameters) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(stream)) {
            var buffered = image.toBufferedImage();
            IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(buffered), null);
            if (parameters != null) {
                IIOMetadataNode entry = new IIOMetadataNode("tEXtEntry");
                entry.setAttribute("keyword", KEY);
                entry.setAttribute("value", parameters);
                IIOMetadataNode text = new IIOMetadataNode("tEXt");
                text.appendChild(entry);
                IIOMetadataNode root = new IIOMetadataNode(FORMAT);
                root.appendChild(text);
                meta.mergeTree(FORMAT, root);
            }
            writer.setOutput(out);
            writer.write(new IIOImage(buffered, null, meta));
        } finally {
            writer.dispose();
        }
    }

    /**
     * The generation parameters stored in a PNG by sdjava or upstream's CLI, or {@code null} if it
     * has none.
     */
    public static String readParameters(Path file) {
        Native.readableFile(file, "PNG file");
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IllegalArgumentException("not an image: " + file);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                IIOMetadata meta = reader.getImageMetadata(0);
                if (!FORMAT.equals(meta.getNativeMetadataFormatName())) {
                    return null;
                }
                NodeList entries = ((IIOMetadataNode) meta.getAsTree(FORMAT)).getElementsByTagName("tEXtEntry");
                for (int i = 0; i < entries.getLength(); i++) {
                    IIOMetadataNode e = (IIOMetadataNode) entries.item(i);
                    if (KEY.equals(e.getAttribute("keyword"))) {
                        return e.getAttribute("value");
                    }
                }
                return null;
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read PNG " + file + ": " + e.getMessage(), e);
        }
    }

}
