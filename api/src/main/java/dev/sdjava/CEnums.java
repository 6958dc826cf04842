package dev.sdjava;

import java.util.Arrays;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;

/**
 * Lookups shared by the Java enums that stand for C enums of stable-diffusion.h. The enums are
 * generated at build time (bindgen.py, publicenums.py) with each constant's C value and sd.cpp's
 * name as literals, so that reading or parsing one never loads the native library; CEnumsTest
 * checks both against the library. Their C values, for any enum: {@code CValues.of}, generated too.
 */
final class CEnums {
    private CEnums() {
    }

    /** The constant whose sd.cpp name is {@code name}, as sd.cpp's {@code str_to_*} (exact match). */
    static <E extends Enum<E>> E parse(Class<E> type, E[] values, Function<E, String> sdName, String name) {
        if (name == null) {
            throw new IllegalArgumentException(type.getSimpleName() + " name must not be null");
        }
        for (E e : values) {
            if (sdName.apply(e).equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown " + type.getSimpleName() + " '" + name + "'; known: "
                + Arrays.stream(values).map(sdName).collect(Collectors.joining(", ")));
    }

    /** The constant whose C value is {@code value}. */
    static <E extends Enum<E>> E of(E[] values, ToIntFunction<E> cValue, int value) {
        for (E e : values) {
            if (cValue.applyAsInt(e) == value) {
                return e;
            }
        }
        throw new IllegalStateException("sd.cpp returned " + value + ", which is no "
                + values[0].getDeclaringClass().getSimpleName());
    }
}
