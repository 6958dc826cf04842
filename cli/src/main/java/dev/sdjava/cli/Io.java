package dev.sdjava.cli;

import dev.sdjava.GeneratedImage;
import dev.sdjava.SdImage;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/** Input checks, image loading and output naming and writing, shared by the commands. */
final class Io {
    /** upstream's {@code format_specifier_regex}: a printf {@code %d} (optionally {@code %03d}) not escaped as {@code %%}. */
    static final Pattern FORMAT = Pattern.compile("(?:[^%]|^)(?:%%)*(%\\d{0,3}d)");
    private static final AtomicLong TEMP = new AtomicLong();

    private Io() {
    }

    /** {@code file} if it is a readable regular file, else a {@link Failure} with exit code 3 naming {@code what}. */
    static Path input(Path file, String what) {
        if (file == null) {
            return null;
        }
        if (!Files.exists(file)) {
            throw new Failure(Failure.INPUT, what + " " + file + " does not exist");
        }
        if (Files.isDirectory(file)) {
            throw new Failure(Failure.INPUT, what + " " + file + " is a directory, not a file");
        }
        if (!Files.isReadable(file)) {
            throw new Failure(Failure.INPUT, what + " " + file + " is not readable (permission denied)");
        }
        return file;
    }

    /** {@code dir} if it is a readable directory, else exit code 3. */
    static Path inputDir(Path dir, String what) {
        if (dir == null) {
            return null;
        }
        if (!Files.isDirectory(dir)) {
            throw new Failure(Failure.INPUT, what + " " + dir + (Files.exists(dir) ? " is not a directory" : " does not exist"));
        }
        if (!Files.isReadable(dir)) {
            throw new Failure(Failure.INPUT, what + " " + dir + " is not readable (permission denied)");
        }
        return dir;
    }

    /**
     * Reads an image with {@code channels} bytes per pixel; when {@code width} and {@code height}
     * are positive and differ from the image's, crops the middle to their aspect ratio and
     * resizes, as upstream's CLI does (with Java's bicubic filter instead of stb's, so resized
     * pixels differ slightly from upstream's). Unreadable or undecodable: exit code 3.
     */
    static SdImage image(Path file, String what, int channels, int width, int height) {
        input(file, what);
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new Failure(Failure.INPUT, "could not read " + what + " " + file + ": " + e.getMessage(), e);
        }
        if (img == null) {
            throw new Failure(Failure.INPUT, what + " " + file + " is not an image Java can decode (PNG, JPEG, BMP, GIF)");
        }
        if (width > 0 && height > 0 && (img.getWidth() != width || img.getHeight() != height)) {
            img = cropAndResize(img, width, height);
        }
        return SdImage.fromBufferedImage(img, channels);
    }

    private static BufferedImage cropAndResize(BufferedImage src, int w, int h) {
        int sw = src.getWidth();
        int sh = src.getHeight();
        float dst = (float) w / h;
        float srcAspect = (float) sw / sh;
        int cx = 0, cy = 0, cw = sw, ch = sh;
        if (srcAspect > dst) {
            cw = (int) (sh * dst);
            cx = (sw - cw) / 2;
        } else if (srcAspect < dst) {
            ch = (int) (sw / dst);
            cy = (sh - ch) / 2;
        }
        BufferedImage out = new BufferedImage(w, h, src.getType() == BufferedImage.TYPE_BYTE_GRAY
                ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.drawImage(src, 0, 0, w, h, cx, cy, cx + cw, cy + ch, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    /**
     * The file names upstream's CLI ({@code save_results}) gives {@code count} images for
     * {@code -o output}: a {@code %d} in the name is replaced by {@code begin + i}; otherwise a
     * single image is {@code output} itself and a batch {@code base_0.ext}, {@code base_1.ext}...
     * A name without a known image extension gets {@code .png} appended.
     */
    static List<Path> outputNames(String output, int count, int begin) {
        int first = Math.max(begin, 0);
        String ext = extension(output);
        boolean known = isImageExtension(ext);
        String base = known ? output.substring(0, output.length() - ext.length()) : output;
        String useExt = known ? ext : ".png";
        List<Path> names = new ArrayList<>(count);
        if (FORMAT.matcher(output).find()) {
            for (int i = 0; i < count; i++) {
                names.add(Path.of(format(base + useExt, first + i)));
            }
            return names;
        }
        for (int i = 0; i < count; i++) {
            names.add(Path.of(base + (count > 1 ? "_" + (first + i) : "") + useExt));
        }
        return names;
    }

    /** upstream's {@code format_frame_idx}: each {@code %Nd} becomes the index, then {@code %%} becomes {@code %}. */
    static String format(String pattern, int index) {
        String result = pattern;
        Matcher m;
        while ((m = FORMAT.matcher(result)).find()) {
            String spec = m.group(1);
            result = result.substring(0, m.start(1)) + String.format(Locale.ROOT, spec, index) + result.substring(m.end(1));
        }
        return result.replace("%%", "%");
    }

    /** The extension with its dot, as std::filesystem::path::extension gives it ("" for none). */
    static String extension(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        return dot <= 0 ? "" : name.substring(dot);
    }

    static boolean isImageExtension(String ext) {
        return switch (ext.toLowerCase(Locale.ROOT)) {
            case ".png", ".jpg", ".jpeg", ".jpe" -> true;
            default -> false;
        };
    }

    /** Writes a generated image as PNG (with parameters unless {@code metadata} is false) or JPEG, atomically. */
    static void write(GeneratedImage image, Path file, boolean metadata) {
        writeAtomically(file, tmp -> {
            if (isJpeg(file)) {
                writeJpeg(image.image(), tmp);
            } else if (metadata) {
                image.writePng(tmp);
            } else {
                image.image().writePng(tmp);
            }
        });
    }

    /** Writes an image as PNG or JPEG (by extension), atomically. */
    static void write(SdImage image, Path file) {
        writeAtomically(file, tmp -> {
            if (isJpeg(file)) {
                writeJpeg(image, tmp);
            } else {
                image.writePng(tmp);
            }
        });
    }

    private static boolean isJpeg(Path file) {
        String ext = extension(file.toString()).toLowerCase(Locale.ROOT);
        return ext.equals(".jpg") || ext.equals(".jpeg") || ext.equals(".jpe");
    }

    private static void writeJpeg(SdImage image, Path file) {
        try {
            Files.write(file, image.toJpeg(90)); // upstream writes JPEG at quality 90
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
    }

    interface Writer {
        void write(Path tmp);
    }

    /** Writes through a temporary file in the target's directory and renames it, so no reader (or Ctrl-C) sees half a file. */
    static void writeAtomically(Path file, Writer writer) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        try {
            Files.createDirectories(dir);
            // Not createTempFile: its 0600 permissions would stick to the output; this one gets the umask's.
            Path tmp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "."
                    + TEMP.incrementAndGet() + ".tmp" + extension(target.toString()));
            try (var _ = Interrupts.onInterrupt(() -> tmp.toFile().delete())) {
                writer.write(tmp);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
    }
}
