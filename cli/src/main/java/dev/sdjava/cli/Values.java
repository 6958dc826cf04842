package dev.sdjava.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Option values made of several numbers, as upstream's sd-cli writes them, with their picocli
 * converters: a bad value is a usage error (exit code 2) naming the option, before anything runs.
 */
final class Values {
    private Values() {
    }

    /** Two numbers, "N" (both the same) or "XxY", e.g. {@code --vae-tile-size 32x48}. */
    record Pair(Number x, Number y) {
        /** Integers: "N" or "XxY". */
        static final class Ints implements ITypeConverter<Pair> {
            @Override
            public Pair convert(String v) {
                return pair(v, Integer::valueOf, "N or XxY");
            }
        }

        /** Numbers: "X" or "XxY". */
        static final class Floats implements ITypeConverter<Pair> {
            @Override
            public Pair convert(String v) {
                return pair(v, Float::valueOf, "X or XxY");
            }
        }
    }

    /** Comma-separated numbers, with or without brackets: "14.6,7.8,0" or "[7,8,9]". */
    record Numbers(List<Number> values) {
        float[] floats() {
            float[] out = new float[values.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = values.get(i).floatValue();
            }
            return out;
        }

        int[] ints() {
            return values.stream().mapToInt(Number::intValue).toArray();
        }

        /** Integers; "[]" is none. */
        static final class Ints implements ITypeConverter<Numbers> {
            @Override
            public Numbers convert(String v) {
                return list(v, Integer::valueOf, "an integer", true);
            }
        }

        /** Numbers; at least one. */
        static final class Floats implements ITypeConverter<Numbers> {
            @Override
            public Numbers convert(String v) {
                return list(v, Float::valueOf, "a number", false);
            }
        }
    }

    /**
     * A size in bytes: a number with an optional K, M, G or T (powers of 1024, as java's -Xmx;
     * "B", "iB" after it are allowed), e.g. "2G", "1.5G", "512M", "2147483648". At least 1 MiB.
     */
    static final class Bytes implements ITypeConverter<Long> {
        @Override
        public Long convert(String v) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(?:I?B)?\\s*").matcher(v);
            if (m.matches()) {
                int shift = switch (m.group(2).toUpperCase(java.util.Locale.ROOT)) {
                    case "K" -> 10;
                    case "M" -> 20;
                    case "G" -> 30;
                    case "T" -> 40;
                    default -> 0;
                };
                double bytes = Double.parseDouble(m.group(1)) * (1L << shift);
                if (bytes >= 1 << 20 && bytes <= 1L << 50) {
                    return (long) bytes;
                }
                throw new TypeConversionException("must be between 1M and 1024T, got " + v);
            }
            throw new TypeConversionException("must be a size such as 2G, 1.5G or 512M (K/M/G/T = 1024^n bytes), got " + v);
        }
    }

    private static Pair pair(String v, Function<String, Number> parse, String form) {
        String[] p = v.split("x", -1);
        try {
            if (p.length <= 2) {
                return new Pair(parse.apply(p[0]), parse.apply(p[p.length - 1]));
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new TypeConversionException("must be " + form + ", got " + v);
    }

    private static Numbers list(String v, Function<String, Number> parse, String what, boolean mayBeEmpty) {
        String body = v.replace("[", "").replace("]", "").strip();
        List<Number> out = new ArrayList<>();
        if (body.isEmpty() && mayBeEmpty) {
            return new Numbers(out);
        }
        for (String part : body.split(",")) {
            try {
                out.add(parse.apply(part.strip()));
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + part.strip() + "' is not " + what);
            }
        }
        return new Numbers(out);
    }
}
