package dev.sdjava.synthetic;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A minimal, independent safetensors reader for the tests (with a tiny JSON parser). */
final class SafetensorsReader {

    record Entry(String name, String dtype, long[] shape, long begin, long end) {
    }

    record Header(long headerLength, Map<String, String> metadata, List<Entry> entries) {
        long dataStart() {
            return 8 + headerLength;
        }

        Entry get(String name) {
            for (Entry e : entries) {
                if (e.name.equals(name)) {
                    return e;
                }
            }
            throw new AssertionError("no tensor " + name);
        }
    }

    private SafetensorsReader() {
    }

    static Header read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (len.hasRemaining()) {
                if (ch.read(len) < 0) {
                    throw new IOException("short file");
                }
            }
            long n = len.flip().getLong();
            if (n <= 0 || n > 100_000_000) {
                throw new IOException("bad header length " + n);
            }
            ByteBuffer json = ByteBuffer.allocate((int) n);
            while (json.hasRemaining()) {
                if (ch.read(json) < 0) {
                    throw new IOException("short header");
                }
            }
            return parse(json.array());
        }
    }

    /** Parses the JSON header (the bytes after the 8-byte length field, padding included). */
    static Header parse(byte[] headerJson) {
        String s = new String(headerJson, StandardCharsets.UTF_8);
        Object root = new Json(s).parseDocument();
        if (!(root instanceof Map<?, ?> map)) {
            throw new AssertionError("header is not an object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String name = (String) e.getKey();
            Map<?, ?> v = (Map<?, ?>) e.getValue();
            if (name.equals("__metadata__")) {
                for (Map.Entry<?, ?> m : v.entrySet()) {
                    metadata.put((String) m.getKey(), (String) m.getValue());
                }
                continue;
            }
            List<?> shape = (List<?>) v.get("shape");
            long[] dims = new long[shape.size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = (Long) shape.get(i);
            }
            List<?> off = (List<?>) v.get("data_offsets");
            entries.add(new Entry(name, (String) v.get("dtype"), dims, (Long) off.get(0), (Long) off.get(1)));
        }
        return new Header(headerJson.length, metadata, entries);
    }

    /** Reads the elements of one tensor as floats (F32, F16 or BF16). */
    static float[] floats(Path file, Header h, Entry e) throws IOException {
        int n = (int) ((e.end - e.begin) / ("F32".equals(e.dtype) ? 4 : 2));
        ByteBuffer buf = ByteBuffer.allocate((int) (e.end - e.begin)).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = h.dataStart() + e.begin;
            while (buf.hasRemaining()) {
                int r = ch.read(buf, pos + buf.position());
                if (r < 0) {
                    throw new IOException("short data");
                }
            }
        }
        buf.flip();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (e.dtype) {
                case "F32" -> buf.getFloat(4 * i);
                case "F16" -> Float.float16ToFloat(buf.getShort(2 * i));
                case "BF16" -> Float.intBitsToFloat((buf.getShort(2 * i) & 0xFFFF) << 16);
                default -> throw new AssertionError(e.dtype);
            };
        }
        return out;
    }

    /** Just enough JSON: objects, arrays, strings, integers. */
    private static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object parseDocument() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw new AssertionError("trailing data at " + i);
            }
            return v;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private void expect(char c) {
            ws();
            if (i >= s.length() || s.charAt(i) != c) {
                throw new AssertionError("expected '" + c + "' at " + i);
            }
            i++;
        }

        private Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                ws();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                do {
                    ws();
                    String k = string();
                    expect(':');
                    if (m.put(k, value()) != null) {
                        throw new AssertionError("duplicate key " + k);
                    }
                    ws();
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != '}') {
                    throw new AssertionError("expected '}' at " + (i - 1));
                }
                return m;
            } else if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                ws();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                do {
                    l.add(value());
                    ws();
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != ']') {
                    throw new AssertionError("expected ']' at " + (i - 1));
                }
                return l;
            } else if (c == '"') {
                return string();
            } else {
                int start = i;
                while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '-')) {
                    i++;
                }
                return Long.parseLong(s.substring(start, i));
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'u' -> {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        default -> sb.append(e);
                    }
                } else {
                    sb.append(c);
                }
            }
        }
    }
}
