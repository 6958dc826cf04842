package dev.sdjava;

import dev.sdjava.internal.files.Avi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One video produced by {@link StableDiffusion#generateVideo}: its frames (copied into Java memory, in order), the
 * seed that made it and the request it answers. Immutable.
 *
 * @param frames  the frames, RGB, all of one size; as many as the request's frame count
 * @param seed    the seed used (the request's, or the one drawn for it)
 * @param request the request
 */
public record GeneratedVideo(List<SdImage> frames, long seed, VideoRequest request) {
    /** Copies the frame list. */
    public GeneratedVideo {
        frames = List.copyOf(frames);
    }

    /** Frame width in pixels. */
    public int width() {
        return frames.getFirst().width();
    }

    /** Frame height in pixels. */
    public int height() {
        return frames.getFirst().height();
    }

    /**
     * The video as a Motion-JPEG AVI at {@code fps} frames per second, in the layout the pinned sd-cli writes
     * ({@code -M vid_gen -o out.avi}): the same RIFF headers, chunks and index, JPEG frames at quality 90 (made by
     * Java's JPEG encoder, so the frame bytes differ from sd-cli's stb_image_write ones).
     *
     * @param fps frames per second, at least 1 (sd-cli's default is 16)
     */
    public byte[] toAvi(int fps) {
        return Avi.encode(frames, fps, Avi.QUALITY);
    }

    /** Writes {@link #toAvi(int)} to {@code file}. */
    public void writeAvi(Path file, int fps) {
        try {
            Files.write(file, toAvi(fps));
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
    }
}
