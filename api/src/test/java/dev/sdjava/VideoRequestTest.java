package dev.sdjava;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link VideoRequest}'s checks and {@link GeneratedVideo#toAvi}'s layout (sd-cli's MJPEG AVI), without the native library. */
class VideoRequestTest {
    @Test
    void framesMustBeFourNPlusOne() {
        var e = assertThrows(IllegalArgumentException.class, () -> VideoRequest.builder("a cat").frames(6).build());
        assertTrue(e.getMessage().contains("frames must be 4n+1") && e.getMessage().contains("ask for 5 or 9"), e.getMessage());
        assertEquals(33, VideoRequest.builder("a cat").frames(33).build().frames());
        assertEquals(1, VideoRequest.builder("a cat").frames(1).build().frames());
        assertThrows(IllegalArgumentException.class, () -> VideoRequest.builder("a cat").frames(0));
    }

    @Test
    void sidesAreMultiplesOf16() {
        var e = assertThrows(IllegalArgumentException.class, () -> VideoRequest.builder("a cat").width(40));
        assertTrue(e.getMessage().contains("width"), e.getMessage());
        VideoRequest r = VideoRequest.builder("a cat").size(832, 480).build();
        assertEquals(832, r.width());
        assertNull(r.steps(), "unset options read back as null");
        assertTrue(r.toString().contains("width=832"), r.toString());
    }

    @Test
    void imagesMustHaveTheVideosSize() {
        VideoRequest r = VideoRequest.builder("a cat").size(32, 32).initImage(Fixtures.gradient(64, 64)).build();
        var e = assertThrows(IllegalArgumentException.class, r::validate);
        assertEquals("initImage is 64x64 but the video is 32x32; they must match", e.getMessage());
    }

    @Test
    void aviHasSdClisLayout() throws Exception {
        List<SdImage> frames = List.of(Fixtures.gradient(32, 16), new SdImage(32, 16, 3, new byte[32 * 16 * 3]),
                Fixtures.gradient(32, 16));
        byte[] avi = new GeneratedVideo(frames, 1, VideoRequest.builder("x").build()).toAvi(16);
        ByteBuffer b = ByteBuffer.wrap(avi).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("RIFF", fourcc(avi, 0));
        assertEquals(avi.length - 8, b.getInt(4));
        assertEquals("AVI LIST", fourcc(avi, 8) + fourcc(avi, 12));
        assertEquals(4 + 8 + 56 + 8 + 4 + 8 + 56 + 8 + 40, b.getInt(16));
        assertEquals("hdrlavih", fourcc(avi, 20) + fourcc(avi, 24));
        assertEquals(1000000 / 16, b.getInt(32), "microseconds per frame");
        assertEquals(0x110, b.getInt(44), "flags: has index, interleaved");
        assertEquals(3, b.getInt(48), "frames");
        assertEquals(32, b.getInt(64));
        assertEquals(16, b.getInt(68));
        int strh = 12 + 8 + 4 + 8 + 56 + 12;
        assertEquals("strh", fourcc(avi, strh));
        assertEquals("vidsMJPG", fourcc(avi, strh + 8) + fourcc(avi, strh + 12));
        assertEquals(16, b.getInt(strh + 8 + 24), "rate");
        int strf = strh + 8 + 56;
        assertEquals("strf", fourcc(avi, strf));
        assertEquals("MJPG", fourcc(avi, strf + 8 + 16));
        int movi = strf + 8 + 40;
        assertEquals("LIST", fourcc(avi, movi));
        assertEquals("movi", fourcc(avi, movi + 8));
        int idx1 = movi + 8 + b.getInt(movi + 4);
        assertEquals("idx1", fourcc(avi, idx1));
        assertEquals(3 * 16, b.getInt(idx1 + 4));
        List<SdImage> decoded = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int e = idx1 + 8 + 16 * i;
            assertEquals("00dc", fourcc(avi, e));
            int off = b.getInt(e + 8);
            int size = b.getInt(e + 12);
            assertEquals("00dc", fourcc(avi, off), "the index points at the frame's chunk");
            assertEquals(size, b.getInt(off + 4));
            assertEquals(0, (off - movi) % 2, "chunks start at even offsets");
            decoded.add(SdImage.read(java.util.Arrays.copyOfRange(avi, off + 8, off + 8 + size), 3));
        }
        assertEquals(idx1 + 8 + 3 * 16, avi.length);
        assertEquals(0, decoded.get(1).pixel(5, 5, 0), "the black frame stays black");
        int expected = frames.get(0).pixel(20, 10, 1);
        assertTrue(Math.abs(decoded.get(0).pixel(20, 10, 1) - expected) < 12, "JPEG at quality 90 is close");
    }

    private static String fourcc(byte[] b, int at) {
        return new String(b, at, 4, StandardCharsets.US_ASCII);
    }
}
