package dev.sdjava.synthetic;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file whose tensor data is generated on the fly, in parallel, straight into a
 * {@link FileChannel} at absolute positions.
 *
 * <p>Every element is a pure function of (seed, tensor name, element index), so the bytes do not depend on the
 * number of threads or the order the work is done in. Memory use is one buffer of {@value #CHUNK_ELEMENTS} elements
 * per thread.
 */
final class SafetensorsWriter {
    /** Elements per unit of work (4 MiB of F32). */
    static final int CHUNK_ELEMENTS = 1 << 20;

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final double SQRT3 = Math.sqrt(3.0);

    private SafetensorsWriter() {
    }

    /** The padded header: 8-byte little-endian length, then the JSON, padded with spaces to a multiple of 8. */
    static byte[] header(List<TensorSpec> tensors, Precision precision, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder(tensors.size() * 120 + 256);
        json.append('{');
        boolean first = true;
        if (metadata != null && !metadata.isEmpty()) {
            json.append("\"__metadata__\":{");
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (!first) {
                    json.append(',');
                }
                first = false;
                quote(json, e.getKey()).append(':');
                quote(json, e.getValue());
            }
            json.append('}');
        }
        long offset = 0;
        for (TensorSpec t : tensors) {
            if (!json.isEmpty() && json.charAt(json.length() - 1) != '{') {
                json.append(',');
            }
            long end = offset + t.elementCount() * precision.bytesPerElement();
            quote(json, t.name()).append(":{\"dtype\":\"").append(precision.safetensorsDtype())
                    .append("\",\"shape\":[");
            long[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                if (i > 0) {
                    json.append(',');
                }
                json.append(shape[i]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (body.length + 7) & ~7;
        byte[] out = new byte[8 + padded];
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        System.arraycopy(body, 0, out, 8, body.length);
        for (int i = 8 + body.length; i < out.length; i++) {
            out[i] = ' ';
        }
        return out;
    }

    private static StringBuilder quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }

    /** Returns the size of the whole file. */
    static long fileSize(List<TensorSpec> tensors, Precision precision, Map<String, String> metadata) {
        long data = 0;
        for (TensorSpec t : tensors) {
            data += t.elementCount() * precision.bytesPerElement();
        }
        return header(tensors, precision, metadata).length + data;
    }

    private record Chunk(int tensor, long dataOffset, long start, int count) {
    }

    /** Writes the file at {@code out} (created or truncated) with {@code threads} worker threads. */
    static void write(List<TensorSpec> tensors, Precision precision, long seed, Map<String, String> metadata,
                      Path out, int threads) throws IOException {
        byte[] header = header(tensors, precision, metadata);
        int esize = precision.bytesPerElement();
        List<Chunk> chunks = new ArrayList<>();
        long[] keys = new long[tensors.size()];
        long dataOffset = header.length;
        for (int i = 0; i < tensors.size(); i++) {
            TensorSpec t = tensors.get(i);
            keys[i] = tensorKey(seed, t.name());
            long n = t.elementCount();
            for (long s = 0; s < n; s += CHUNK_ELEMENTS) {
                int count = (int) Math.min(CHUNK_ELEMENTS, n - s);
                chunks.add(new Chunk(i, dataOffset + s * esize, s, count));
            }
            dataOffset += n * esize;
        }
        long total = dataOffset;
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ParallelWrites.writeFully(ch, ByteBuffer.wrap(header), 0);
            ParallelWrites.run(ch, out, chunks.size(), threads, () -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_ELEMENTS * esize).order(ByteOrder.LITTLE_ENDIAN);
                return (k, c) -> {
                    Chunk chunk = chunks.get(k);
                    buf.clear();
                    fill(buf, tensors.get(chunk.tensor), keys[chunk.tensor], chunk.start, chunk.count, precision);
                    buf.flip();
                    ParallelWrites.writeFully(c, buf, chunk.dataOffset);
                };
            });
            if (ch.size() != total) {
                throw new IOException("wrote " + ch.size() + " bytes to " + out + ", expected " + total);
            }
        }
    }

    // ---------------------------------------------------------------- values

    /** splitmix64's finalizer (Steele, Lea, Flood 2014; the output function of {@link java.util.SplittableRandom}). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The per-tensor stream key: the seed mixed with the FNV-1a hash of the UTF-8 name. */
    static long tensorKey(long seed, String name) {
        long h = 0xCBF29CE484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xFF);
            h *= 0x100000001B3L;
        }
        return mix64(mix64(seed + GOLDEN) ^ h);
    }

    /**
     * Element {@code index} of a random tensor with the given key, before scaling: the sum of the four 16-bit
     * fields of a splitmix64 value minus its mean (an Irwin-Hall approximation of a normal distribution, exact in
     * integers), in [-131070, 131070]; its standard deviation is 65536 / sqrt(3).
     */
    static int centeredSum(long key, long index) {
        long r = mix64(key + (index + 1) * GOLDEN);
        return (int) (r & 0xFFFF) + (int) ((r >>> 16) & 0xFFFF) + (int) ((r >>> 32) & 0xFFFF) + (int) (r >>> 48)
                - 131070;
    }

    /** The float value of element {@code index} of tensor {@code t}. */
    static float value(TensorSpec t, long key, long index) {
        if (!t.isRandom()) {
            return (float) t.constant();
        }
        return centeredSum(key, index) * scale(t);
    }

    private static float scale(TensorSpec t) {
        return (float) (t.std() * SQRT3 / 65536.0);
    }

    private static void fill(ByteBuffer buf, TensorSpec t, long key, long start, int count, Precision p) {
        if (!t.isRandom()) {
            float v = (float) t.constant();
            switch (p) {
                case F32 -> {
                    for (int i = 0; i < count; i++) {
                        buf.putFloat(i << 2, v);
                    }
                }
                case F16 -> {
                    short h = Float.floatToFloat16(v);
                    for (int i = 0; i < count; i++) {
                        buf.putShort(i << 1, h);
                    }
                }
                case BF16 -> {
                    short h = toBf16(v);
                    for (int i = 0; i < count; i++) {
                        buf.putShort(i << 1, h);
                    }
                }
            }
        } else {
            float scale = scale(t);
            switch (p) {
                case F32 -> {
                    for (int i = 0; i < count; i++) {
                        buf.putFloat(i << 2, centeredSum(key, start + i) * scale);
                    }
                }
                case F16 -> {
                    for (int i = 0; i < count; i++) {
                        buf.putShort(i << 1, Float.floatToFloat16(centeredSum(key, start + i) * scale));
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < count; i++) {
                        buf.putShort(i << 1, toBf16(centeredSum(key, start + i) * scale));
                    }
                }
            }
        }
        buf.position(count * p.bytesPerElement());
    }

    /** float to bfloat16, rounding to nearest even (inputs here are finite). */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
