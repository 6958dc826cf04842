package dev.sdjava.internal.files;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON parser (RFC 8259) for safetensors headers: UTF-8 input only, no duplicate
 * keys, no unpaired surrogates, no trailing garbage (whitespace allowed), bounded nesting. Objects
 * become insertion-ordered {@link Map}s, arrays {@link List}s, integers {@link Long} (or
 * {@link BigInteger} when they do not fit), other numbers {@link Double}, and the literals
 * {@link Boolean} or {@link #NULL}.
 *
 * <p>Written here rather than pulled in as a dependency: safetensors headers need a few hundred
 * lines of parser, and the strictness (duplicates, depth) is exactly what matters.
 */
public final class StrictJson {
    /** The JSON {@code null} (maps cannot hold Java null values unambiguously). */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    public static final int MAX_DEPTH = 64;

    /** A syntax error and the character offset where it was found. */
    public static final class JsonException extends Exception {
        private static final long serialVersionUID = 1L;

        JsonException(String message, int offset) {
            super(message + " at character " + offset);
        }
    }

    private final String s;
    private int i;

    private StrictJson(String s) {
        this.s = s;
    }

    /** Parses UTF-8 bytes as one JSON value. */
    public static Object parse(byte[] utf8) throws JsonException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw new JsonException("not valid UTF-8", 0);
        }
        return parse(text);
    }

    /** Parses a string as one JSON value. */
    public static Object parse(String text) throws JsonException {
        StrictJson p = new StrictJson(text);
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.i != text.length()) {
            throw new JsonException("unexpected content after the JSON value", p.i);
        }
        return v;
    }

    private Object value(int depth) throws JsonException {
        if (depth > MAX_DEPTH) {
            throw new JsonException("nested deeper than " + MAX_DEPTH, i);
        }
        if (i >= s.length()) {
            throw new JsonException("unexpected end of input", i);
        }
        char c = s.charAt(i);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw new JsonException("unexpected character '" + printable(c) + "'", i);
            }
        };
    }

    private Map<String, Object> object(int depth) throws JsonException {
        i++; // {
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            i++;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw new JsonException("expected a string key", i);
            }
            int at = i;
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object v = value(depth + 1);
            if (map.putIfAbsent(key, v) != null) {
                throw new JsonException("duplicate key \"" + abbreviate(key) + "\"", at);
            }
            skipWhitespace();
            char c = peek();
            i++;
            if (c == '}') {
                return Collections.unmodifiableMap(map);
            }
            if (c != ',') {
                throw new JsonException("expected ',' or '}'", i - 1);
            }
        }
    }

    private List<Object> array(int depth) throws JsonException {
        i++; // [
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            i++;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth + 1));
            skipWhitespace();
            char c = peek();
            i++;
            if (c == ']') {
                return Collections.unmodifiableList(list);
            }
            if (c != ',') {
                throw new JsonException("expected ',' or ']'", i - 1);
            }
        }
    }

    private String string() throws JsonException {
        int start = i;
        i++; // "
        StringBuilder b = null;
        int runStart = i;
        while (true) {
            if (i >= s.length()) {
                throw new JsonException("unterminated string", start);
            }
            char c = s.charAt(i);
            if (c == '"') {
                String out = b == null ? s.substring(runStart, i) : b.append(s, runStart, i).toString();
                i++;
                checkSurrogates(out, start);
                return out;
            }
            if (c < 0x20) {
                throw new JsonException("control character in string", i);
            }
            if (c == '\\') {
                if (b == null) {
                    b = new StringBuilder();
                }
                b.append(s, runStart, i);
                i++;
                if (i >= s.length()) {
                    throw new JsonException("unterminated escape", i);
                }
                char e = s.charAt(i++);
                switch (e) {
                    case '"' -> b.append('"');
                    case '\\' -> b.append('\\');
                    case '/' -> b.append('/');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw new JsonException("truncated \\u escape", i);
                        }
                        int v = 0;
                        for (int k = 0; k < 4; k++) {
                            int d = Character.digit(s.charAt(i + k), 16);
                            if (d < 0) {
                                throw new JsonException("bad hex digit in \\u escape", i + k);
                            }
                            v = v * 16 + d;
                        }
                        i += 4;
                        b.append((char) v);
                    }
                    default -> throw new JsonException("unknown escape '\\" + printable(e) + "'", i - 1);
                }
                runStart = i;
            } else {
                i++;
            }
        }
    }

    private static void checkSurrogates(String v, int at) throws JsonException {
        for (int k = 0; k < v.length(); k++) {
            char c = v.charAt(k);
            if (Character.isHighSurrogate(c)) {
                if (k + 1 < v.length() && Character.isLowSurrogate(v.charAt(k + 1))) {
                    k++;
                    continue;
                }
                throw new JsonException("unpaired surrogate in string", at);
            }
            if (Character.isLowSurrogate(c)) {
                throw new JsonException("unpaired surrogate in string", at);
            }
        }
    }

    private Object number() throws JsonException {
        int start = i;
        if (peek() == '-') {
            i++;
        }
        if (peek() == '0') {
            i++;
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9') {
                i++;
            }
        } else {
            throw new JsonException("bad number", start);
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            i++;
            if (!(peek() >= '0' && peek() <= '9')) {
                throw new JsonException("bad number: digit expected after '.'", i);
            }
            while (peek() >= '0' && peek() <= '9') {
                i++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            i++;
            if (peek() == '+' || peek() == '-') {
                i++;
            }
            if (!(peek() >= '0' && peek() <= '9')) {
                throw new JsonException("bad number: digit expected in exponent", i);
            }
            while (peek() >= '0' && peek() <= '9') {
                i++;
            }
        }
        String text = s.substring(start, i);
        if (text.length() > 400) {
            throw new JsonException("number literal too long", start);
        }
        if (integral) {
            BigInteger v = new BigInteger(text);
            return v.bitLength() < 64 ? (Object) v.longValue() : v;
        }
        return Double.parseDouble(text);
    }

    private Object literal(String word, Object v) throws JsonException {
        if (!s.startsWith(word, i)) {
            throw new JsonException("unexpected literal", i);
        }
        i += word.length();
        return v;
    }

    private void expect(char c) throws JsonException {
        if (peek() != c) {
            throw new JsonException("expected '" + c + "'", i);
        }
        i++;
    }

    /** The next character, or NUL at the end (NUL cannot appear unescaped in valid JSON outside strings). */
    private char peek() {
        return i < s.length() ? s.charAt(i) : '\0';
    }

    private void skipWhitespace() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            i++;
        }
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
    }

    public static String abbreviate(String v) {
        return v.length() <= 80 ? v : v.substring(0, 77) + "...";
    }
}
