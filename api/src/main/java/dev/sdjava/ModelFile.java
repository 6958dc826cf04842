package dev.sdjava;

import dev.sdjava.internal.files.StrictJson;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The header of a model file, read and checked in Java without loading any weights: the format,
 * the metadata and every tensor's name, type, shape and place in the file.
 *
 * <pre>{@code
 * ModelFile f = ModelFile.read(Path.of("sd-v1-5-q8_0.gguf"));   // milliseconds, even for GBs
 * System.out.println(f.format() + " " + f.tensors().size() + " tensors, " + f.parameterCount() + " parameters");
 * }</pre>
 *
 * <p>sdjava reads every model file given to it this way before stable-diffusion.cpp sees it,
 * because sd.cpp's own loaders abort the process (uncaught C++ exceptions, {@code GGML_ASSERT})
 * or read past the end on some malformed files. The checks are strict:
 * <ul>
 * <li><b>GGUF</b> (versions 2 and 3): magic, version, tensor and key counts that the file's size
 *     can hold, string lengths inside the file (at most {@value #MAX_STRING_BYTES} bytes), known
 *     value types, no nested arrays, no duplicate keys or tensor names, keys and tensor names of
 *     1..{@value #MAX_NAME_BYTES} UTF-8 bytes without NUL (names of 64 bytes or more, which
 *     sd.cpp reads with a simpler reader, only in files without array metadata), 1..4
 *     dimensions each at least 1 (a zero makes ggml divide by zero), known ggml types whose
 *     block size divides the first dimension, {@code general.alignment} a u32 power of two
 *     (ggml aborts otherwise), aligned offsets, every tensor inside the file and no two
 *     overlapping.</li>
 * <li><b>safetensors</b>: a header length of 2..{@value #MAX_SAFETENSORS_HEADER_BYTES} bytes
 *     inside the file; a well-formed JSON object (UTF-8, no duplicate keys); {@code __metadata__}
 *     string to string; every tensor an object with a known {@code dtype}, a {@code shape} of at
 *     most {@value #MAX_SAFETENSORS_DIMS} non-negative integers and {@code data_offsets}
 *     {@code [begin, end]} whose length matches dtype and shape, inside the file, not
 *     overlapping.</li>
 * <li><b>PyTorch zip</b> (.ckpt, .pt): a zip archive (zip64 included) whose central directory
 *     lies inside the file and holds a {@code data.pkl}. The pickle itself is not interpreted:
 *     {@link #tensors()} is empty.</li>
 * <li><b>PyTorch legacy</b> pickles: recognised by their magic number only; no tensors listed.</li>
 * </ul>
 * Anything else, whatever its name, is refused with an {@link InvalidModelFileException}.
 *
 * <p>The file is read through a small buffer from its start: only the header's bytes are read,
 * and header structures are only allocated as far as the file's size proves they exist, so an
 * absurd count or length fails fast without allocating.
 */
public final class ModelFile {
    /** Largest safetensors JSON header accepted, in bytes (the limit of the reference implementation). */
    public static final int MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;
    /** Largest GGUF header (everything before the tensor data) accepted, in bytes. */
    public static final long MAX_GGUF_HEADER_BYTES = 256L << 20;
    /** Longest GGUF string (key, value or name) accepted, in bytes. */
    public static final int MAX_STRING_BYTES = 64 << 20;
    /** Most GGUF tensors or keys accepted. */
    public static final int MAX_ENTRIES = 1 << 22;
    /** Most dimensions of a safetensors tensor (sd.cpp reads up to 5). */
    public static final int MAX_SAFETENSORS_DIMS = 8;
    /** Most dimensions of a GGUF tensor (ggml's limit). */
    public static final int MAX_GGUF_DIMS = 4;
    /** Longest GGUF key or tensor name accepted, in bytes (sd.cpp's fallback GGUF reader's limit on keys). */
    public static final int MAX_NAME_BYTES = 4096;
    /** ggml's limit on tensor names, including the terminating NUL. */
    static final int GGML_MAX_NAME = 64;

    /** The container format of a model file. */
    public enum Format {
        /** GGUF (ggml's format), version 2 or 3. */
        GGUF,
        /** safetensors. */
        SAFETENSORS,
        /** A PyTorch zip archive (.ckpt / .pt since PyTorch 1.6). */
        TORCH_ZIP,
        /** A legacy PyTorch pickle (before 1.6). */
        TORCH_LEGACY
    }

    /**
     * One tensor of the file.
     *
     * @param name     its name as stored
     * @param type     its element type in upper case: a ggml type name for GGUF ({@code F16},
     *                 {@code Q8_0}, {@code Q4_K}...), the dtype for safetensors ({@code F16},
     *                 {@code BF16}, {@code F8_E4M3}...)
     * @param shape    its dimensions in the file's own order: GGUF lists ggml's {@code ne}
     *                 (innermost first), safetensors PyTorch's shape (outermost first)
     * @param offset   the absolute byte offset of its data in the file
     * @param byteSize the length of its data in bytes
     */
    public record Tensor(String name, String type, List<Long> shape, long offset, long byteSize) {
        public Tensor {
            shape = List.copyOf(shape);
        }

        /** The number of elements (the product of the shape; 1 for a scalar). */
        public long elementCount() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** ggml types by id: name, elements per block, bytes per block (from ggml.c's type_traits). */
    private record GgmlType(String name, int blockSize, int blockBytes) {
    }

    private static final Map<Integer, GgmlType> GGML_TYPES = new HashMap<>();
    private static final Map<String, Integer> SAFETENSORS_DTYPES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1), Map.entry("F8_E5M2", 1),
            Map.entry("F8_E4M3", 1), Map.entry("F8_E8M0", 1), Map.entry("I16", 2), Map.entry("U16", 2),
            Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I32", 4), Map.entry("U32", 4), Map.entry("F32", 4),
            Map.entry("F64", 8), Map.entry("I64", 8), Map.entry("U64", 8));

    static {
        ggml(0, "F32", 1, 4);
        ggml(1, "F16", 1, 2);
        ggml(2, "Q4_0", 32, 18);
        ggml(3, "Q4_1", 32, 20);
        ggml(6, "Q5_0", 32, 22);
        ggml(7, "Q5_1", 32, 24);
        ggml(8, "Q8_0", 32, 34);
        ggml(9, "Q8_1", 32, 36);
        ggml(10, "Q2_K", 256, 84);
        ggml(11, "Q3_K", 256, 110);
        ggml(12, "Q4_K", 256, 144);
        ggml(13, "Q5_K", 256, 176);
        ggml(14, "Q6_K", 256, 210);
        ggml(15, "Q8_K", 256, 292);
        ggml(16, "IQ2_XXS", 256, 66);
        ggml(17, "IQ2_XS", 256, 74);
        ggml(18, "IQ3_XXS", 256, 98);
        ggml(19, "IQ1_S", 256, 50);
        ggml(20, "IQ4_NL", 32, 18);
        ggml(21, "IQ3_S", 256, 110);
        ggml(22, "IQ2_S", 256, 82);
        ggml(23, "IQ4_XS", 256, 136);
        ggml(24, "I8", 1, 1);
        ggml(25, "I16", 1, 2);
        ggml(26, "I32", 1, 4);
        ggml(27, "I64", 1, 8);
        ggml(28, "F64", 1, 8);
        ggml(29, "IQ1_M", 256, 56);
        ggml(30, "BF16", 1, 2);
        ggml(34, "TQ1_0", 256, 54);
        ggml(35, "TQ2_0", 256, 66);
        ggml(39, "MXFP4", 32, 17);
        ggml(40, "NVFP4", 64, 36);
    }

    private static void ggml(int id, String name, int blockSize, int blockBytes) {
        GGML_TYPES.put(id, new GgmlType(name, blockSize, blockBytes));
    }

    private final Path path;
    private final Format format;
    private final long fileSize;
    private final int version;
    private final long dataOffset;
    private final Map<String, Object> metadata;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName;

    private ModelFile(Path path, Format format, long fileSize, int version, long dataOffset,
                      Map<String, Object> metadata, List<Tensor> tensors) {
        this.path = path;
        this.format = format;
        this.fileSize = fileSize;
        this.version = version;
        this.dataOffset = dataOffset;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = List.copyOf(tensors);
        Map<String, Tensor> m = new HashMap<>();
        for (Tensor t : tensors) {
            m.put(t.name(), t);
        }
        this.byName = Collections.unmodifiableMap(m);
    }

    /**
     * Reads and checks the header of {@code file}, whatever its name: the format is recognised
     * by the file's first bytes.
     *
     * @throws InvalidModelFileException if the file is missing, not a regular file, unreadable, or
     *         not a well-formed model file of a format above
     */
    public static ModelFile read(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("model file must not be null");
        }
        if (!Files.exists(file)) {
            throw new InvalidModelFileException(null, file, "does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new InvalidModelFileException(null, file, Files.isDirectory(file)
                    ? "is a directory, not a model file" : "is not a regular file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return new Reader(file, ch.size(), ch::read).read();
        } catch (AccessDeniedException e) {
            throw new InvalidModelFileException(null, file, "is not readable (permission denied)", e);
        } catch (IOException e) {
            throw new InvalidModelFileException(null, file, "could not be read: " + e, e);
        }
    }

    /**
     * Parses a file image held in memory, for tests and fuzzing: {@code head} holds the first bytes
     * of a file of {@code size} bytes whose remaining bytes read as zeros (so a header can be
     * checked against a large file without holding its data).
     */
    static ModelFile parse(byte[] head, long size, Path nameForMessages) {
        if (size < head.length) {
            throw new IllegalArgumentException("size " + size + " < head length " + head.length);
        }
        Source src = (dst, pos) -> {
            if (pos >= size) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), size - pos);
            int fromHead = (int) Math.max(0, Math.min(n, head.length - pos));
            dst.put(head, (int) Math.min(pos, head.length), fromHead);
            for (int k = fromHead; k < n; k++) {
                dst.put((byte) 0);
            }
            return n;
        };
        try {
            return new Reader(nameForMessages, size, src).read();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Positional reads, as {@link FileChannel#read(ByteBuffer, long)}. */
    @FunctionalInterface
    private interface Source {
        int read(ByteBuffer dst, long position) throws IOException;
    }

    /** As {@link #read(Path)}, with failures naming the API argument {@code argument}. */
    static ModelFile check(Path file, String argument) {
        if (file == null) {
            throw new IllegalArgumentException(argument + " must not be null");
        }
        try {
            return read(file);
        } catch (InvalidModelFileException e) {
            throw e.as(argument);
        }
    }

    /** The file that was read. */
    public Path path() {
        return path;
    }

    /** The container format. */
    public Format format() {
        return format;
    }

    /** The file's size in bytes when it was read. */
    public long fileSize() {
        return fileSize;
    }

    /** The GGUF version (2 or 3); 0 for other formats. */
    public int version() {
        return version;
    }

    /**
     * Where the tensor data starts: the aligned end of the GGUF header, or 8 + the safetensors
     * header length; 0 for PyTorch files.
     */
    public long dataOffset() {
        return dataOffset;
    }

    /**
     * The metadata, in file order. GGUF: every key with its value as {@link Integer} (u8, i8,
     * u16, i16, i32), {@link Long} (u32, i64, and u64 as its two's-complement bits),
     * {@link Float}, {@link Double}, {@link Boolean}, {@link String} or an unmodifiable
     * {@link List} of those. safetensors: the {@code __metadata__} strings. PyTorch zip:
     * {@code zip.entries} (the entry count, Long) and {@code zip.data_pkl} (the pickle's name).
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The tensors in file order (empty for PyTorch files, whose pickles are not interpreted). */
    public List<Tensor> tensors() {
        return tensors;
    }

    /** The tensor named {@code name}, or null. */
    public Tensor tensor(String name) {
        return byName.get(name);
    }

    /** Whether some tensor's name starts with {@code prefix}. */
    public boolean hasTensorWithPrefix(String prefix) {
        for (Tensor t : tensors) {
            if (t.name().startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** The total number of elements of all tensors. */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : tensors) {
            n += t.elementCount();
        }
        return n;
    }

    /** The number of tensors of each type, types in first-seen order. */
    public Map<String, Integer> tensorTypeCounts() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (Tensor t : tensors) {
            m.merge(t.type(), 1, Integer::sum);
        }
        return Collections.unmodifiableMap(m);
    }

    @Override
    public String toString() {
        return "ModelFile[" + path + ", " + format + (version != 0 ? " v" + version : "") + ", " + tensors.size()
                + " tensors, " + metadata.size() + " metadata entries]";
    }

    // ---------------------------------------------------------------------------------------

    /** A buffered little-endian reader over the head of one file; every failure names the file. */
    private static final class Reader {
        private static final int WINDOW = 64 * 1024;
        private static final byte[] GGUF_MAGIC = {'G', 'G', 'U', 'F'};
        private static final byte[] TORCH_LEGACY_MAGIC = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc,
                (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};

        private final Path file;
        private final Source ch;
        private final long size;
        private final ByteBuffer buf = ByteBuffer.allocate(WINDOW).order(ByteOrder.LITTLE_ENDIAN);
        /** File position of buf's index 0. */
        private long bufStart;

        Reader(Path file, long size, Source ch) {
            this.file = file;
            this.ch = ch;
            this.size = size;
            buf.limit(0);
        }

        private InvalidModelFileException invalid(String reason) {
            return new InvalidModelFileException(null, file, reason);
        }

        ModelFile read() throws IOException {
            if (size == 0) {
                throw invalid("is empty (0 bytes)");
            }
            byte[] head = peekHead(16);
            if (startsWith(head, GGUF_MAGIC)) {
                return gguf();
            }
            if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
                return torchZip();
            }
            if (startsWith(head, TORCH_LEGACY_MAGIC)) {
                return new ModelFile(file, Format.TORCH_LEGACY, size, 0, 0, new LinkedHashMap<>(), List.of());
            }
            if (head.length >= 9 && head[8] == '{') {
                return safetensors();
            }
            if (size < 8) {
                throw invalid("is too small to be a model file (" + size + " bytes)");
            }
            throw invalid("is not a model file: no GGUF, safetensors, PyTorch zip or PyTorch pickle header"
                    + " (first bytes " + hex(head, 8) + ")");
        }

        private byte[] peekHead(int n) throws IOException {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(n, size));
            while (b.hasRemaining()) {
                if (ch.read(b, b.position()) < 0) {
                    break;
                }
            }
            return Arrays.copyOf(b.array(), b.position());
        }

        private static boolean startsWith(byte[] a, byte[] prefix) {
            if (a.length < prefix.length) {
                return false;
            }
            for (int k = 0; k < prefix.length; k++) {
                if (a[k] != prefix[k]) {
                    return false;
                }
            }
            return true;
        }

        // ---- buffered sequential reading ----

        private long position() {
            return bufStart + buf.position();
        }

        private void seek(long pos) {
            if (pos >= bufStart && pos <= bufStart + buf.limit()) {
                buf.position((int) (pos - bufStart));
            } else {
                bufStart = pos;
                buf.clear().limit(0);
            }
        }

        /** Makes {@code n <= WINDOW} bytes available at the current position or reports truncation. */
        private void need(int n, String what) throws IOException {
            if (buf.remaining() >= n) {
                return;
            }
            long pos = position();
            if (pos + n > size) {
                throw invalid("truncated: " + what + " needs " + n + " bytes at offset " + pos + " but the file has "
                        + size + " bytes");
            }
            buf.compact(); // keeps the unread bytes at index 0, ready to append after them
            bufStart = pos;
            while (buf.position() < n) {
                if (ch.read(buf, bufStart + buf.position()) < 0) {
                    throw new EOFException("unexpected end of file at " + (bufStart + buf.position()));
                }
            }
            buf.flip();
        }

        private int u8(String what) throws IOException {
            need(1, what);
            return buf.get() & 0xff;
        }

        private int i32(String what) throws IOException {
            need(4, what);
            return buf.getInt();
        }

        private long i64(String what) throws IOException {
            need(8, what);
            return buf.getLong();
        }

        private long u32(String what) throws IOException {
            return i32(what) & 0xffffffffL;
        }

        private int u16(String what) throws IOException {
            need(2, what);
            return buf.getShort() & 0xffff;
        }

        private byte[] bytes(long n, String what) throws IOException {
            long pos = position();
            if (n < 0 || pos + n > size) {
                throw invalid("truncated: " + what + " of " + Long.toUnsignedString(n) + " bytes at offset " + pos
                        + " runs past the end of the file (" + size + " bytes)");
            }
            byte[] out = new byte[Math.toIntExact(n)];
            int done = 0;
            while (done < out.length) {
                int chunk = Math.min(WINDOW, out.length - done);
                need(chunk, what);
                buf.get(out, done, chunk);
                done += chunk;
            }
            return out;
        }

        // ---- GGUF ----

        private ModelFile gguf() throws IOException {
            seek(4);
            long version = u32("GGUF version");
            if (version == 1) {
                throw invalid("GGUF version 1 is no longer supported (sd.cpp reads versions 2 and 3)");
            }
            if (version != 2 && version != 3) {
                throw invalid("unsupported GGUF version " + version + " (2 and 3 are supported"
                        + ((version & 0xffff) == 0 ? "; the file may be big-endian" : "") + ")");
            }
            long nTensors = i64("tensor count");
            long nKv = i64("metadata count");
            // The smallest possible entries: a tensor info is 8 (name length) + 1 + 4 + 4 + 8 bytes,
            // a key-value 8 + 1 + 4 + 1 bytes; more than the rest of the file can hold is a lie.
            long rest = size - position();
            if (nTensors < 0 || nTensors > MAX_ENTRIES || nTensors > rest / 25) {
                throw invalid("absurd tensor count " + nTensors + " (the file's " + size + " bytes can hold at most "
                        + Math.min(MAX_ENTRIES, rest / 25) + ")");
            }
            if (nKv < 0 || nKv > MAX_ENTRIES || nKv > rest / 14) {
                throw invalid("absurd metadata count " + nKv + " (the file's " + size + " bytes can hold at most "
                        + Math.min(MAX_ENTRIES, rest / 14) + ")");
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            long alignment = 32;
            String arrayKey = null;
            for (long k = 0; k < nKv; k++) {
                String key = ggufString("metadata key " + k, true);
                if (key.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                    throw invalid("metadata key " + k + " is longer than " + MAX_NAME_BYTES + " bytes");
                }
                if (key.isEmpty()) {
                    throw invalid("metadata key " + k + " is empty");
                }
                if (meta.containsKey(key)) {
                    throw invalid("duplicate metadata key \"" + StrictJson.abbreviate(key) + "\"");
                }
                int type = i32("type of metadata \"" + key + "\"");
                Object value;
                if (type == 9) {
                    int elementType = i32("element type of array \"" + key + "\"");
                    long n = i64("length of array \"" + key + "\"");
                    if (elementType == 9) {
                        throw invalid("metadata \"" + key + "\" is an array of arrays, which GGUF does not allow");
                    }
                    int minBytes = elementType == 8 ? 8 : scalarBytes(elementType, key);
                    if (n < 0 || n > MAX_ENTRIES * 4L || n > (size - position()) / minBytes) {
                        throw invalid("metadata \"" + key + "\" claims an absurd array length " + Long.toUnsignedString(n)
                                + " (the rest of the file holds at most " + (size - position()) / minBytes + ")");
                    }
                    List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 16));
                    for (long j = 0; j < n; j++) {
                        list.add(ggufValue(elementType, key));
                        if ((j & 4095) == 0) {
                            checkHeaderBound();
                        }
                    }
                    value = Collections.unmodifiableList(list);
                    if (arrayKey == null) {
                        arrayKey = key;
                    }
                } else {
                    value = ggufValue(type, key);
                }
                if (key.equals("general.alignment")) {
                    if (type != 4) {
                        // gguf.cpp asserts (aborts the process) when this key is not a u32.
                        throw invalid("general.alignment must be a u32, found GGUF type " + typeName(type));
                    }
                    alignment = (Long) value;
                    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
                        throw invalid("general.alignment " + alignment + " is not a power of two");
                    }
                }
                meta.put(key, value);
                checkHeaderBound();
            }
            List<Tensor> list = new ArrayList<>((int) nTensors);
            Map<String, Boolean> names = new HashMap<>();
            for (int t = 0; t < nTensors; t++) {
                String name = ggufString("name of tensor " + t, true);
                byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
                if (nameBytes.length == 0 || nameBytes.length > MAX_NAME_BYTES) {
                    throw invalid("tensor " + t + " has a name of " + nameBytes.length + " bytes (1.." + MAX_NAME_BYTES
                            + " allowed): \"" + StrictJson.abbreviate(name) + "\"");
                }
                if (nameBytes.length >= GGML_MAX_NAME && arrayKey != null) {
                    // ggml's reader refuses names this long; sd.cpp then falls back to its own simpler
                    // reader, which misreads array metadata and could then take garbage for lengths.
                    throw invalid("tensor \"" + StrictJson.abbreviate(name) + "\" has a name of " + nameBytes.length
                            + " bytes, which sd.cpp only reads from GGUF files without array metadata (found \""
                            + StrictJson.abbreviate(arrayKey) + "\")");
                }
                if (names.put(name, Boolean.TRUE) != null) {
                    throw invalid("duplicate tensor name \"" + name + "\"");
                }
                long nDims = u32("dimension count of tensor \"" + name + "\"");
                if (nDims > MAX_GGUF_DIMS) {
                    throw invalid("tensor \"" + name + "\" has " + nDims + " dimensions (at most " + MAX_GGUF_DIMS + ")");
                }
                List<Long> shape = new ArrayList<>();
                long elements = 1;
                for (int d = 0; d < nDims; d++) {
                    long ne = i64("dimension " + d + " of tensor \"" + name + "\"");
                    if (ne <= 0) {
                        // A zero makes ggml's reader divide by zero (SIGFPE) while checking the shape.
                        throw invalid("tensor \"" + name + "\" has dimension " + d + " of " + ne + " (must be >= 1)");
                    }
                    elements = multiplyOrFail(elements, ne, "tensor \"" + name + "\" has an absurd shape " + shape + "+" + ne);
                    shape.add(ne);
                }
                int typeId = i32("type of tensor \"" + name + "\"");
                GgmlType type = GGML_TYPES.get(typeId);
                if (type == null) {
                    throw invalid("tensor \"" + name + "\" has unknown ggml type " + Integer.toUnsignedString(typeId));
                }
                long ne0 = shape.isEmpty() ? 1 : shape.getFirst();
                if (ne0 % type.blockSize() != 0) {
                    throw invalid("tensor \"" + name + "\" of type " + type.name() + " has " + ne0
                            + " elements per row, not a multiple of its block size " + type.blockSize());
                }
                long bytes = multiplyOrFail(elements / type.blockSize(), type.blockBytes(),
                        "tensor \"" + name + "\" is absurdly large");
                long offset = i64("data offset of tensor \"" + name + "\"");
                if (offset < 0) {
                    throw invalid("tensor \"" + name + "\" has an absurd data offset " + Long.toUnsignedString(offset));
                }
                if (offset % alignment != 0) {
                    throw invalid("tensor \"" + name + "\" has data offset " + offset + ", not a multiple of the alignment "
                            + alignment);
                }
                list.add(new Tensor(name, type.name(), shape, offset, bytes));
                checkHeaderBound();
            }
            long headerEnd = position();
            long dataStart = (headerEnd + alignment - 1) / alignment * alignment;
            if (dataStart > size) {
                throw invalid("truncated: the tensor data should start at offset " + dataStart + " but the file has "
                        + size + " bytes");
            }
            List<Tensor> placed = new ArrayList<>(list.size());
            for (Tensor t : list) {
                long abs = dataStart + t.offset();
                if (t.offset() > size || abs > size || t.byteSize() > size - abs) {
                    throw invalid("truncated: tensor \"" + t.name() + "\" (" + t.byteSize() + " bytes at data offset "
                            + t.offset() + ") runs past the end of the file (" + size + " bytes)");
                }
                placed.add(new Tensor(t.name(), t.type(), t.shape(), abs, t.byteSize()));
            }
            checkNoOverlap(placed);
            return new ModelFile(file, Format.GGUF, size, (int) version, dataStart, meta, placed);
        }

        private long multiplyOrFail(long a, long b, String message) {
            try {
                return Math.multiplyExact(a, b);
            } catch (ArithmeticException e) {
                throw invalid(message);
            }
        }

        private void checkHeaderBound() {
            if (position() > MAX_GGUF_HEADER_BYTES) {
                throw invalid("GGUF header is larger than " + MAX_GGUF_HEADER_BYTES + " bytes");
            }
        }

        private String ggufString(String what, boolean strict) throws IOException {
            long n = i64("length of " + what);
            if (n < 0 || n > MAX_STRING_BYTES) {
                throw invalid(what + " claims an absurd length of " + Long.toUnsignedString(n) + " bytes (at most "
                        + MAX_STRING_BYTES + ")");
            }
            long pos = position();
            if (pos + n > size) {
                throw invalid("truncated: " + what + " of " + n + " bytes at offset " + pos
                        + " runs past the end of the file (" + size + " bytes)");
            }
            byte[] b = bytes(n, what);
            if (!strict) {
                return new String(b, StandardCharsets.UTF_8);
            }
            for (byte x : b) {
                if (x == 0) {
                    throw invalid(what + " contains a NUL byte");
                }
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw invalid(what + " is not valid UTF-8");
            }
        }

        private int scalarBytes(int type, String key) {
            return switch (type) {
                case 0, 1, 7 -> 1;
                case 2, 3 -> 2;
                case 4, 5, 6 -> 4;
                case 10, 11, 12 -> 8;
                default -> throw invalid("metadata \"" + key + "\" has unknown GGUF type " + typeName(type));
            };
        }

        private Object ggufValue(int type, String key) throws IOException {
            String what = "value of metadata \"" + key + "\"";
            return switch (type) {
                case 0 -> u8(what);
                case 1 -> (int) (byte) u8(what);
                case 2 -> u16(what);
                case 3 -> (int) (short) u16(what);
                case 4 -> u32(what);
                case 5 -> i32(what);
                case 6 -> Float.intBitsToFloat(i32(what));
                case 7 -> {
                    int v = u8(what);
                    if (v > 1) {
                        throw invalid(what + " is a bool of value " + v + " (0 or 1 allowed)");
                    }
                    yield v == 1;
                }
                case 8 -> ggufString(what, false);
                case 10, 11 -> i64(what);
                case 12 -> Double.longBitsToDouble(i64(what));
                default -> throw invalid("metadata \"" + key + "\" has unknown GGUF type " + typeName(type));
            };
        }

        private static String typeName(int type) {
            return type >= 0 && type <= 12
                    ? new String[] {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64"}[type]
                    : Integer.toUnsignedString(type);
        }

        // ---- safetensors ----

        private ModelFile safetensors() throws IOException {
            seek(0);
            long n = i64("safetensors header length");
            if (n < 2 || n > MAX_SAFETENSORS_HEADER_BYTES) {
                throw invalid("absurd safetensors header length " + Long.toUnsignedString(n) + " (2.."
                        + MAX_SAFETENSORS_HEADER_BYTES + " bytes allowed)");
            }
            if (8 + n > size) {
                throw invalid("truncated: the safetensors header claims " + n + " bytes but the file has only "
                        + (size - 8) + " after the length");
            }
            byte[] json = bytes(n, "safetensors header");
            Object root;
            try {
                root = StrictJson.parse(json);
            } catch (StrictJson.JsonException e) {
                throw invalid("safetensors header is not well-formed JSON: " + e.getMessage());
            }
            if (!(root instanceof Map<?, ?> top)) {
                throw invalid("safetensors header is not a JSON object");
            }
            long dataStart = 8 + n;
            long dataSize = size - dataStart;
            Map<String, Object> meta = new LinkedHashMap<>();
            List<Tensor> list = new ArrayList<>(top.size());
            for (Map.Entry<?, ?> e : top.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    if (!(e.getValue() instanceof Map<?, ?> m)) {
                        throw invalid("__metadata__ is not a JSON object");
                    }
                    for (Map.Entry<?, ?> me : m.entrySet()) {
                        if (!(me.getValue() instanceof String v)) {
                            throw invalid("__metadata__ value of \"" + StrictJson.abbreviate((String) me.getKey())
                                    + "\" is not a string");
                        }
                        meta.put((String) me.getKey(), v);
                    }
                    continue;
                }
                list.add(safetensorsTensor(name, e.getValue(), dataStart, dataSize));
            }
            checkNoOverlap(list);
            return new ModelFile(file, Format.SAFETENSORS, size, 0, dataStart, meta, list);
        }

        private Tensor safetensorsTensor(String name, Object value, long dataStart, long dataSize) {
            String q = "tensor \"" + StrictJson.abbreviate(name) + "\"";
            if (name.isEmpty() || name.indexOf('\0') >= 0) {
                throw invalid("tensor name \"" + StrictJson.abbreviate(name) + "\" is empty or contains NUL");
            }
            if (!(value instanceof Map<?, ?> info)) {
                throw invalid(q + " is not a JSON object");
            }
            if (!(info.get("dtype") instanceof String dtype)) {
                throw invalid(q + " has no string \"dtype\"");
            }
            Integer elementBytes = SAFETENSORS_DTYPES.get(dtype);
            if (elementBytes == null) {
                throw invalid(q + " has unknown dtype \"" + StrictJson.abbreviate(dtype) + "\"");
            }
            if (!(info.get("shape") instanceof List<?> shapeJson)) {
                throw invalid(q + " has no \"shape\" array");
            }
            if (shapeJson.size() > MAX_SAFETENSORS_DIMS) {
                throw invalid(q + " has " + shapeJson.size() + " dimensions (at most " + MAX_SAFETENSORS_DIMS + ")");
            }
            List<Long> shape = new ArrayList<>(shapeJson.size());
            long elements = 1;
            for (Object d : shapeJson) {
                if (!(d instanceof Long dim) || dim < 0) {
                    throw invalid(q + " has a shape entry that is not a non-negative 64-bit integer: " + d);
                }
                elements = multiplyOrFail(elements, dim, q + " has an absurd shape " + shapeJson);
                shape.add(dim);
            }
            long bytes = multiplyOrFail(elements, elementBytes, q + " has an absurd shape " + shapeJson);
            if (!(info.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2
                    || !(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)) {
                throw invalid(q + " has no \"data_offsets\" of two integers");
            }
            if (begin < 0 || end < begin) {
                throw invalid(q + " has data_offsets [" + begin + ", " + end + "] that are not 0 <= begin <= end");
            }
            if (end > dataSize) {
                throw invalid(q + " has data_offsets [" + begin + ", " + end + "] past the end of the data ("
                        + dataSize + " bytes; the file may be truncated)");
            }
            if (end - begin != bytes) {
                throw invalid(q + " holds " + (end - begin) + " bytes but dtype " + dtype + " and shape " + shape
                        + " need " + bytes);
            }
            return new Tensor(name, dtype, shape, dataStart + begin, bytes);
        }

        // ---- PyTorch zip ----

        private ModelFile torchZip() throws IOException {
            // The end of central directory record is in the last 22 + 65535 bytes.
            int tailLen = (int) Math.min(size, 22 + 65535);
            long tailStart = size - tailLen;
            seek(tailStart);
            byte[] tail = bytes(tailLen, "zip trailer");
            ByteBuffer t = ByteBuffer.wrap(tail).order(ByteOrder.LITTLE_ENDIAN);
            int eocd = -1;
            for (int k = tailLen - 22; k >= 0; k--) {
                if (t.getInt(k) == 0x06054b50 && k + 22 + (t.getShort(k + 20) & 0xffff) == tailLen) {
                    eocd = k;
                    break;
                }
            }
            if (eocd < 0) {
                throw invalid("zip archive without an end of central directory (truncated?)");
            }
            long entries = t.getShort(eocd + 10) & 0xffff;
            long cdSize = t.getInt(eocd + 12) & 0xffffffffL;
            long cdOffset = t.getInt(eocd + 16) & 0xffffffffL;
            long cdEnd = tailStart + eocd;
            if (entries == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
                int loc = eocd - 20;
                if (loc < 0 || t.getInt(loc) != 0x07064b50) {
                    throw invalid("zip64 archive without a zip64 locator");
                }
                long z64 = t.getLong(loc + 8);
                if (z64 < 0 || z64 + 56 > tailStart + loc) {
                    throw invalid("zip64 end of central directory outside the file");
                }
                seek(z64);
                if (i32("zip64 end of central directory") != 0x06064b50) {
                    throw invalid("bad zip64 end of central directory signature");
                }
                seek(z64 + 32);
                entries = i64("zip64 entry count");
                cdSize = i64("zip64 central directory size");
                cdOffset = i64("zip64 central directory offset");
                cdEnd = z64;
            }
            if (entries <= 0 || cdOffset < 0 || cdSize < 0 || cdOffset > cdEnd || cdSize > cdEnd - cdOffset
                    || entries > cdSize / 46) {
                throw invalid("zip central directory is inconsistent (" + entries + " entries, " + cdSize
                        + " bytes at offset " + cdOffset + ")");
            }
            seek(cdOffset);
            String dataPkl = null;
            for (long k = 0; k < entries; k++) {
                if (i32("zip central directory entry " + k) != 0x02014b50) {
                    throw invalid("zip central directory entry " + k + " has a bad signature");
                }
                need(42, "zip central directory entry " + k);
                buf.position(buf.position() + 24);
                int nameLen = u16("zip entry name length");
                int extraLen = u16("zip entry extra length");
                int commentLen = u16("zip entry comment length");
                buf.position(buf.position() + 8);
                long localOffset = u32("zip local header offset");
                if (localOffset != 0xffffffffL && localOffset >= cdOffset) {
                    throw invalid("zip entry " + k + " points past the central directory");
                }
                String name = new String(bytes(nameLen, "zip entry name"), StandardCharsets.UTF_8);
                seek(position() + extraLen + commentLen);
                if (position() > cdOffset + cdSize) {
                    throw invalid("zip central directory entries run past its end");
                }
                if (dataPkl == null && (name.equals("data.pkl") || name.endsWith("/data.pkl"))) {
                    dataPkl = name;
                }
            }
            if (dataPkl == null) {
                throw invalid("zip archive without a data.pkl: not a PyTorch checkpoint");
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("zip.entries", entries);
            meta.put("zip.data_pkl", dataPkl);
            return new ModelFile(file, Format.TORCH_ZIP, size, 0, 0, meta, List.of());
        }

        // ---- shared ----

        private void checkNoOverlap(List<Tensor> list) {
            List<Tensor> sorted = new ArrayList<>(list);
            sorted.sort(Comparator.comparingLong(Tensor::offset).thenComparingLong(Tensor::byteSize));
            Tensor prev = null;
            for (Tensor t : sorted) {
                if (t.byteSize() == 0) {
                    continue;
                }
                if (prev != null && t.offset() < prev.offset() + prev.byteSize()) {
                    throw invalid("tensors \"" + StrictJson.abbreviate(prev.name()) + "\" and \""
                            + StrictJson.abbreviate(t.name()) + "\" overlap in the file");
                }
                prev = t;
            }
        }

        private static String hex(byte[] b, int n) {
            StringBuilder s = new StringBuilder();
            for (int k = 0; k < Math.min(n, b.length); k++) {
                s.append(String.format(Locale.ROOT, "%02x", b[k]));
            }
            return s.toString();
        }
    }
}
