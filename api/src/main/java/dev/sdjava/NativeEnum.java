package dev.sdjava;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/** A Java enum constant that stands for one value of a C enum in stable-diffusion.h. */
interface NativeEnum {
    /** The C enum's numeric value. */
    int value();

    /** sd.cpp's name for a value, through one of its {@code *_name} functions. */
    static String name(IntFunction<MemorySegment> nameFn, int value) {
        NativeLoader.load();
        return Native.string(nameFn.apply(value));
    }

    /** Parses sd.cpp's name through one of its {@code str_to_*} functions. */
    static <E extends Enum<E> & NativeEnum> E parse(Class<E> type, Function<MemorySegment, Integer> strTo, String name) {
        if (name == null) {
            throw new IllegalArgumentException(type.getSimpleName() + " name must not be null");
        }
        NativeLoader.load();
        int v;
        try (Arena arena = Arena.ofConfined()) {
            v = strTo.apply(Native.cString(arena, name, type.getSimpleName()));
        }
        for (E e : type.getEnumConstants()) {
            if (e.value() == v) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown " + type.getSimpleName() + " '" + name + "'; known: "
                + Arrays.stream(type.getEnumConstants()).map(e -> name(e)).collect(Collectors.joining(", ")));
    }

    private static String name(NativeEnum e) {
        return switch (e) {
            case SamplingMethod m -> m.sdName();
            case Scheduler s -> s.sdName();
            case RngType r -> r.sdName();
            case Prediction p -> p.sdName();
            case PreviewMode p -> p.sdName();
            case LoraApplyMode l -> l.sdName();
            case HiresUpscaler h -> h.sdName();
            case WeightType w -> w.sdName();
            default -> ((Enum<?>) e).name();
        };
    }

    /** The constant of {@code type} whose C value is {@code value}. */
    static <E extends Enum<E> & NativeEnum> E of(Class<E> type, int value) {
        for (E e : type.getEnumConstants()) {
            if (e.value() == value) {
                return e;
            }
        }
        throw new IllegalStateException("sd.cpp returned " + value + ", which is no " + type.getSimpleName());
    }
}
