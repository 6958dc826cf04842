package dev.sdjava.internal.files;

import dev.sdjava.SdImage;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Motion-JPEG AVI files laid out byte for byte as the pinned sd-cli writes them
 * ({@code examples/common/media_io.cpp}, {@code create_mjpg_avi_from_sd_images_to_vector}): a RIFF {@code AVI }
 * with one {@code hdrl} list ({@code avih}, one {@code strl} with {@code strh}/{@code strf} for an {@code MJPG}
 * video stream), a {@code movi} list of {@code 00dc} chunks (one JPEG per frame, padded to even length) and an
 * {@code idx1} index. The JPEGs come from Java's encoder at the same quality (sd-cli's default 90, clamped to
 * 1..90 as there), so the frames' bytes differ from stb_image_write's while the container is the same.
 */
public final class Avi {
    /** The JPEG quality sd-cli uses for video frames. */
    public static final int QUALITY = 90;

    private Avi() {
    }

    /** The AVI of {@code frames} (all the same size, 3 or 4 channels) at {@code fps} frames per second. */
    public static byte[] encode(List<SdImage> frames, int fps, int quality) {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("a video needs at least one frame");
        }
        if (fps <= 0) {
            throw new IllegalArgumentException("fps must be at least 1, got " + fps);
        }
        int width = frames.getFirst().width();
        int height = frames.getFirst().height();
        int n = frames.size();
        int q = Math.clamp(quality, 1, 90); // sd-cli: stb's JPEG sampling changes above 90
        Out a = new Out();
        a.fourcc("RIFF");
        int riffSize = a.size();
        a.u32(0);
        a.fourcc("AVI ");
        a.fourcc("LIST");
        a.u32(4 + 8 + 56 + 8 + 4 + 8 + 56 + 8 + 40);
        a.fourcc("hdrl");
        a.fourcc("avih");
        a.u32(56);
        a.u32(1000000 / fps);
        a.u32(0);
        a.u32(0);
        a.u32(0x110);
        a.u32(n);
        a.u32(0);
        a.u32(1);
        a.u32(width * height * 3);
        a.u32(width);
        a.u32(height);
        a.u32(0);
        a.u32(0);
        a.u32(0);
        a.u32(0);
        a.fourcc("LIST");
        a.u32(4 + 8 + 56 + 8 + 40);
        a.fourcc("strl");
        a.fourcc("strh");
        a.u32(56);
        a.fourcc("vids");
        a.fourcc("MJPG");
        a.u32(0);
        a.u16(0);
        a.u16(0);
        a.u32(0);
        a.u32(1);
        a.u32(fps);
        a.u32(0);
        a.u32(n);
        a.u32(width * height * 3);
        a.u32(-1);
        a.u32(0);
        a.u16(0);
        a.u16(0);
        a.u16(0);
        a.u16(0);
        a.fourcc("strf");
        a.u32(40);
        a.u32(40);
        a.u32(width);
        a.u32(height);
        a.u16(1);
        a.u16(24);
        a.fourcc("MJPG");
        a.u32(width * height * 3);
        a.u32(0);
        a.u32(0);
        a.u32(0);
        a.u32(0);
        a.fourcc("LIST");
        int moviSize = a.size();
        a.u32(0);
        a.fourcc("movi");
        int[] offsets = new int[n];
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            SdImage f = frames.get(i);
            if (f.width() != width || f.height() != height) {
                throw new IllegalArgumentException("frame " + i + " is " + f.width() + "x" + f.height()
                        + " but frame 0 is " + width + "x" + height + "; all frames must have one size");
            }
            byte[] jpeg = jpeg(f, q);
            offsets[i] = a.size();
            sizes[i] = jpeg.length;
            a.fourcc("00dc");
            a.u32(jpeg.length);
            a.bytes.writeBytes(jpeg);
            if (jpeg.length % 2 != 0) {
                a.bytes.write(0);
            }
        }
        a.patch(moviSize, a.size() - moviSize - 4);
        a.fourcc("idx1");
        a.u32(n * 16);
        for (int i = 0; i < n; i++) {
            a.fourcc("00dc");
            a.u32(0x10);
            a.u32(offsets[i]);
            a.u32(sizes[i]);
        }
        a.patch(riffSize, a.size() - riffSize - 4);
        return a.toByteArray();
    }

    /** One frame as a baseline JPEG at {@code quality} 1..100, from its RGB channels. */
    static byte[] jpeg(SdImage image, int quality) {
        return image.toJpeg(quality);
    }

    /** A little-endian byte sink with back-patching, as media_io.cpp's write_u32_le/patch_u32_le. */
    private static final class Out {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        int size() {
            return bytes.size();
        }

        void fourcc(String s) {
            bytes.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
        }

        void u32(int v) {
            bytes.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }

        void u16(int v) {
            bytes.writeBytes(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v).array());
        }

        /** Records a patch; applied in {@link #toByteArray} (the stream cannot be rewritten in place). */
        private final java.util.Map<Integer, Integer> patches = new java.util.LinkedHashMap<>();

        void patch(int at, int v) {
            patches.put(at, v);
        }

        byte[] toByteArray() {
            byte[] b = bytes.toByteArray();
            ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            patches.forEach(buf::putInt);
            return b;
        }
    }
}
