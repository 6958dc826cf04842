package dev.sdjava;

import dev.sdjava.internal.natives.Callbacks;
import dev.sdjava.internal.natives.Images;
import dev.sdjava.internal.natives.Native;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.bindings.sd_image_t;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An ESRGAN upscaler (sd.cpp's {@code upscaler_ctx_t}): enlarges images by the model's factor
 * (usually 4).
 *
 * <p>Same contract as {@link StableDiffusion}: one call at a time per upscaler (others wait),
 * {@link #close()} idempotent and waiting for a running call, calls after close throw
 * {@link IllegalStateException}. The native context is owned by this object's arena with
 * {@code free_upscaler_ctx} as cleanup.
 */
public final class Upscaler implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment ctx;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final int factor;
    private boolean closed;

    private Upscaler(Path model, int threads, int tileSize, boolean offloadToCpu, boolean directConv) {
        MemorySegment raw;
        try (Arena call = Arena.ofConfined(); var c = Callbacks.begin(null, null)) {
            raw = SdCpp.new_upscaler_ctx(Native.cPath(call, model, "upscaler model"), offloadToCpu, directConv, threads, tileSize);
            if (raw.equals(MemorySegment.NULL)) {
                arena.close();
                throw new StableDiffusionException(StableDiffusionException.Kind.MODEL_LOAD_FAILED,
                        "sd.cpp could not load the upscaler " + model, c.problems(), null);
            }
        }
        ctx = raw.reinterpret(arena, SdCpp::free_upscaler_ctx);
        factor = SdCpp.get_upscale_factor(ctx);
    }

    /**
     * Loads an ESRGAN model.
     *
     * @param threads  CPU threads, 1..1024
     * @param tileSize tile edge in pixels, 16..4096 (upstream's CLI uses 128)
     */
    public static Upscaler load(Path model, int threads, int tileSize) {
        return load(model, threads, tileSize, false, false);
    }

    /** Loads an ESRGAN model, with sd.cpp's offload and direct-convolution switches. */
    public static Upscaler load(Path model, int threads, int tileSize, boolean offloadToCpu, boolean directConv) {
        Callbacks.installInBackground(); // overlaps with the file check on a JVM's first load
        ModelFile.check(model, "upscaler model");
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be 1..1024, got " + threads);
        }
        if (tileSize < 16 || tileSize > 4096) {
            throw new IllegalArgumentException("tileSize must be 16..4096, got " + tileSize);
        }
        Callbacks.install();
        return new Upscaler(model, threads, tileSize, offloadToCpu, directConv);
    }

    /** The model's enlargement factor. */
    public int factor() {
        return factor;
    }

    /**
     * Enlarges {@code image} (converted to RGB) by {@link #factor()}.
     *
     * @throws StableDiffusionException of kind UPSCALE_FAILED if sd.cpp returns nothing
     */
    public SdImage upscale(SdImage image) {
        if (image == null) {
            throw new IllegalArgumentException("image must not be null");
        }
        if ((long) image.width() * factor > SdImage.MAX_SIDE || (long) image.height() * factor > SdImage.MAX_SIDE) {
            throw new IllegalArgumentException("upscaled image would exceed " + SdImage.MAX_SIDE + " pixels per side");
        }
        SdImage rgb = image.withChannels(3);
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("this Upscaler is closed");
            }
            try (Arena call = Arena.ofConfined(); var c = Callbacks.begin(null, null)) {
                MemorySegment in = sd_image_t.allocate(call);
                Images.toNative(rgb, in, call);
                MemorySegment out = SdCpp.upscale(call, ctx, in, factor);
                try {
                    SdImage result = Images.fromNative(out);
                    if (result == null) {
                        throw new StableDiffusionException(StableDiffusionException.Kind.UPSCALE_FAILED,
                                "sd.cpp could not upscale " + image, c.problems(), null);
                    }
                    return result;
                } finally {
                    Native.free(sd_image_t.data(out));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Frees the native upscaler; waits for a running call. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            arena.close();
        } finally {
            lock.unlock();
        }
    }
}
