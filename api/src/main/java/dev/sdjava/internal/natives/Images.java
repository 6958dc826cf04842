package dev.sdjava.internal.natives;

import dev.sdjava.SdImage;
import dev.sdjava.internal.bindings.sd_image_t;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Copies images between Java ({@link SdImage}) and sd.cpp's {@code sd_image_t}. */
public final class Images {
    private Images() {
    }

    /** Fills {@code target} (an {@code sd_image_t}) with a native copy of {@code image} allocated in {@code arena}. */
    public static void toNative(SdImage image, MemorySegment target, Arena arena) {
        sd_image_t.width(target, image.width());
        sd_image_t.height(target, image.height());
        sd_image_t.channel(target, image.channels());
        sd_image_t.data(target, arena.allocateFrom(ValueLayout.JAVA_BYTE, image.pixels()));
    }

    /** Copies an {@code sd_image_t} into Java; does not free it. Null data gives {@code null}. */
    public static SdImage fromNative(MemorySegment img) {
        MemorySegment data = sd_image_t.data(img);
        int w = sd_image_t.width(img);
        int h = sd_image_t.height(img);
        int c = sd_image_t.channel(img);
        if (data.equals(MemorySegment.NULL) || w <= 0 || h <= 0 || c <= 0) {
            return null;
        }
        return new SdImage(w, h, c, data.reinterpret((long) w * h * c).toArray(ValueLayout.JAVA_BYTE));
    }

    /** An array of {@code sd_image_t} holding copies of {@code images}, in {@code arena}. */
    public static MemorySegment array(java.util.List<SdImage> images, Arena arena) {
        MemorySegment arr = sd_image_t.allocateArray(images.size(), arena);
        for (int i = 0; i < images.size(); i++) {
            toNative(images.get(i), sd_image_t.asSlice(arr, i), arena);
        }
        return arr;
    }
}
