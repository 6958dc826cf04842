package dev.sdjava;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;

/** Builders of well-formed and deliberately malformed model files for the reliability tests. */
final class BadFiles {
    private BadFiles() {
    }

    /** A GGUF image built field by field; every count and length can be made to lie. */
    static final class Gguf {
        int version = 3;
        Long tensorCountOverride, kvCountOverride;
        long alignment = 32;
        private final ByteArrayOutputStream kvs = new ByteArrayOutputStream();
        private final ByteArrayOutputStream infos = new ByteArrayOutputStream();
        private int kvCount, tensorCount;
        private long nextOffset;
        private long extraData;

        Gguf kvRaw(String key, int type, byte[] value) {
            str(kvs, key);
            kvs.writeBytes(le32(type));
            kvs.writeBytes(value);
            kvCount++;
            return this;
        }

        Gguf kvU32(String key, int v) {
            return kvRaw(key, 4, le32(v));
        }

        Gguf kvString(String key, String v) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            str(b, v);
            return kvRaw(key, 8, b.toByteArray());
        }

        Gguf kvStringArray(String key, String... values) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(le32(8));
            b.writeBytes(le64(values.length));
            for (String v : values) {
                str(b, v);
            }
            return kvRaw(key, 9, b.toByteArray());
        }

        /** A tensor placed after the previous one (aligned), of ggml type id {@code type}. */
        Gguf tensor(String name, int type, int bytesPerElement, long... dims) {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            tensorAt(name, type, nextOffset, dims);
            nextOffset = (nextOffset + n * bytesPerElement + alignment - 1) / alignment * alignment;
            return this;
        }

        /** A tensor at an explicit data offset. */
        Gguf tensorAt(String name, int type, long offset, long... dims) {
            str(infos, name);
            infos.writeBytes(le32(dims.length));
            for (long d : dims) {
                infos.writeBytes(le64(d));
            }
            infos.writeBytes(le32(type));
            infos.writeBytes(le64(offset));
            tensorCount++;
            return this;
        }

        /** Raw bytes appended to the tensor infos (for lies the typed methods cannot tell). */
        Gguf rawInfo(byte[] b) {
            infos.writeBytes(b);
            return this;
        }

        Gguf extraData(long bytes) {
            extraData = bytes;
            return this;
        }

        byte[] build() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(le32(version));
            out.writeBytes(le64(tensorCountOverride != null ? tensorCountOverride : tensorCount));
            out.writeBytes(le64(kvCountOverride != null ? kvCountOverride : kvCount));
            out.writeBytes(kvs.toByteArray());
            out.writeBytes(infos.toByteArray());
            long pad = (alignment - out.size() % alignment) % alignment;
            out.writeBytes(new byte[(int) pad]);
            out.writeBytes(new byte[(int) (nextOffset + extraData)]);
            return out.toByteArray();
        }
    }

    /** A safetensors image: length, the JSON header as given, then {@code dataBytes} zero bytes. */
    static byte[] safetensors(String json, int dataBytes) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    /** A safetensors image with an explicit (possibly lying) header length field. */
    static byte[] safetensorsWithLength(long claimedLength, String json, int dataBytes) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(claimedLength).put(h);
        return b.array();
    }

    static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    static void str(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(le64(b.length));
        out.writeBytes(b);
    }

    static Path write(Path dir, String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path random(Path dir, String name, int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return write(dir, name, b);
    }

    /**
     * The first {@code length} bytes of {@code source} as a new file. Only the header is copied;
     * the rest (up to {@code length}) is left as a sparse hole of zeros, so cutting a 2 GB model
     * in half costs nothing.
     */
    static Path truncated(Path source, long headerBytes, long length, Path out) {
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
             RandomAccessFile raf = new RandomAccessFile(out.toFile(), "rw")) {
            long copy = Math.min(headerBytes, length);
            ByteBuffer b = ByteBuffer.allocate((int) copy);
            while (b.hasRemaining() && in.read(b, b.position()) >= 0) {
                // positional reads until the header is in
            }
            raf.write(b.array(), 0, b.position());
            raf.setLength(length);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A safetensors file holding the tensors of {@code source} whose names start with one of
     * {@code prefixes}, with the prefix removed, as data of zeros (a sparse file): a "valid file
     * of the wrong kind", e.g. the VAE alone cut out of a full checkpoint.
     */
    static Path subset(Path source, List<String> prefixes, Path out) {
        ModelFile m = ModelFile.read(source);
        StringBuilder json = new StringBuilder("{");
        long offset = 0;
        for (ModelFile.Tensor t : m.tensors()) {
            String prefix = prefixes.stream().filter(t.name()::startsWith).findFirst().orElse(null);
            if (prefix == null) {
                continue;
            }
            if (json.length() > 1) {
                json.append(',');
            }
            json.append('"').append(t.name().substring(prefix.length())).append("\":{\"dtype\":\"").append(t.type())
                    .append("\",\"shape\":").append(t.shape().toString().replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + t.byteSize()).append("]}");
            offset += t.byteSize();
        }
        json.append('}');
        byte[] h = json.toString().getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile raf = new RandomAccessFile(out.toFile(), "rw")) {
            raf.write(le64(h.length));
            raf.write(h);
            raf.setLength(8 + h.length + offset);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
