package dev.sdjava.internal.options;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks that builders generated for {@link Options} records call. Each returns its value
 * when it passes and throws {@link IllegalArgumentException} naming the option when it does not.
 */
public final class Checks {
    private Checks() {
    }

    public static <T> T notNull(String name, T v) {
        if (v == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return v;
    }

    public static int range(String name, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", got " + v);
        }
        return v;
    }

    public static long range(String name, long v, long min, long max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", got " + v);
        }
        return v;
    }

    public static int range(String name, int v, int min, int max, int multipleOf) {
        return (int) range(name, (long) v, min, max, multipleOf);
    }

    public static long range(String name, long v, long min, long max, long multipleOf) {
        if (v < min || v > max || v % multipleOf != 0) {
            throw new IllegalArgumentException(
                    name + " must be a multiple of " + multipleOf + " in " + min + ".." + max + ", got " + v);
        }
        return v;
    }

    public static float range(String name, float v, float min, float max) {
        // The negated test also rejects NaN.
        if (!(v >= min && v <= max) || Float.isInfinite(v)) {
            throw new IllegalArgumentException(
                    name + " must be a finite number in [" + min + ", " + max + "], got " + v);
        }
        return v;
    }

    public static double range(String name, double v, double min, double max) {
        if (!(v >= min && v <= max) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(
                    name + " must be a finite number in [" + min + ", " + max + "], got " + v);
        }
        return v;
    }

    /** Each element of {@code v} (may be null) in range; the message names {@code name[i]}. */
    public static float[] range(String name, float[] v, float min, float max) {
        for (int i = 0; v != null && i < v.length; i++) {
            range(name + "[" + i + "]", v[i], min, max);
        }
        return v;
    }

    public static double[] range(String name, double[] v, double min, double max) {
        for (int i = 0; v != null && i < v.length; i++) {
            range(name + "[" + i + "]", v[i], min, max);
        }
        return v;
    }

    /** {@code v} (may be null) has at most {@code max} chars. */
    public static String maxLength(String name, String v, int max) {
        if (v != null && v.length() > max) {
            throw new IllegalArgumentException(name + " must be at most " + max + " chars, got " + v.length());
        }
        return v;
    }

    /** {@code v}, an array or a collection (or null), holds {@code min..max} values. */
    public static <T> T size(String name, T v, int min, int max) {
        int n = v == null ? 0 : v instanceof Collection<?> c ? c.size() : Array.getLength(v);
        if (v != null && (n < min || n > max)) {
            throw new IllegalArgumentException(name + " must hold " + min + ".." + max + " values");
        }
        return v;
    }

    /** A mutable copy of {@code v}, which must not be null nor hold null. */
    public static <E> List<E> list(String name, Collection<? extends E> v) {
        notNull(name, v);
        List<E> copy = new ArrayList<>(v.size());
        for (E e : v) {
            copy.add(notNull(name + " element", e));
        }
        return copy;
    }

    /** A mutable, order-keeping copy of {@code v}, which must not be null nor hold a null key. */
    public static <K, V> Map<K, V> map(String name, Map<? extends K, ? extends V> v) {
        notNull(name, v);
        Map<K, V> copy = new LinkedHashMap<>();
        v.forEach((k, val) -> copy.put(notNull(name + " key", k), val));
        return copy;
    }
}
