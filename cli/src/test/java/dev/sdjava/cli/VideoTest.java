package dev.sdjava.cli;

import dev.sdjava.GeneratedVideo;
import dev.sdjava.SdImage;
import dev.sdjava.VideoRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sdj video}: its checks before any model loads, and sd-cli's output file names. */
class VideoTest {
    @TempDir
    Path tmp;

    @Test
    void framesThatAreNot4nPlus1AreAUsageError() throws Exception {
        Path model = Files.writeString(tmp.resolve("m.safetensors"), "x");
        Cli r = Cli.run("video", "--diffusion-model", model.toString(), "-p", "a cat", "--video-frames", "6").expect(2);
        assertTrue(r.err().contains("frames must be 4n+1") && r.err().contains("ask for 5 or 9"), r.err());
    }

    @Test
    void webmIsAUsageError() throws Exception {
        Path model = Files.writeString(tmp.resolve("m.safetensors"), "x");
        Cli r = Cli.run("video", "--diffusion-model", model.toString(), "-o", tmp.resolve("v.webm").toString()).expect(2);
        assertTrue(r.err().contains("use a .avi name"), r.err());
    }

    @Test
    void framesGoWhereSdCliPutsThem() throws Exception {
        SdImage f = new SdImage(16, 16, 3, new byte[16 * 16 * 3]);
        GeneratedVideo five = new GeneratedVideo(List.of(f, f, f, f, f), 42, VideoRequest.builder("x").build());
        // Several frames, an image name: one AVI in its place (sd-cli: output.png -> output.avi).
        assertEquals(List.of(tmp.resolve("output.avi")), Video.write(five, tmp.resolve("output.png").toString(), 0, 16));
        assertTrue(new String(Files.readAllBytes(tmp.resolve("output.avi")), 0, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("RIFF"));
        assertEquals(List.of(tmp.resolve("clip.avi")), Video.write(five, tmp.resolve("clip.avi").toString(), 0, 16));
        assertEquals(List.of(tmp.resolve("noext.avi")), Video.write(five, tmp.resolve("noext").toString(), 0, 16));
        assertEquals(List.of(tmp.resolve("a.bin.avi")), Video.write(five, tmp.resolve("a.bin").toString(), 0, 16));
        // A %d pattern: one PNG per frame, numbered from --output-begin-idx.
        List<Path> frames = Video.write(five, tmp.resolve("f_%03d.png").toString(), 3, 16);
        assertEquals(tmp.resolve("f_003.png"), frames.getFirst());
        assertEquals(tmp.resolve("f_007.png"), frames.getLast());
        assertEquals(f, SdImage.read(frames.get(2), 3));
        // One frame: an image.
        GeneratedVideo one = new GeneratedVideo(List.of(f), 42, VideoRequest.builder("x").build());
        assertEquals(List.of(tmp.resolve("single.png")), Video.write(one, tmp.resolve("single.png").toString(), 0, 16));
    }
}
