package dev.sdjava.synthetic;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Writes a synthetic model as a GGUF file of a chosen type, streaming: the file sd.cpp's {@code convert}
 * ({@code sd-cli -M convert --type T}) makes from the same model written as safetensors in the source
 * {@link Precision}, without writing that file first or holding the model in memory (one chunk of about
 * {@value SafetensorsWriter#CHUNK_ELEMENTS} elements per thread).
 *
 * <p>What it mirrors, from the pinned sd.cpp:
 * <ul>
 *   <li><b>Types</b> ({@code ModelLoader::tensor_should_be_converted}): a tensor gets the requested type unless the
 *       type is quantized and its rows (ggml's {@code ne[0]}, PyTorch's last dimension) are not a whole number of
 *       blocks, or its name ends in {@code .bias} or {@code .scale}, or contains one of the names sd.cpp keeps
 *       (FLUX's {@code img_in.}, {@code txt_in.}, {@code time_in.}, {@code vector_in.}, {@code guidance_in.},
 *       {@code final_layer.}; MMDiT's {@code x_embedder.}, {@code t_embedder.}, {@code y_embedder.},
 *       {@code pos_embed}, {@code context_embedder.}; the UNet's {@code time_embed.}, {@code label_emb.}; any
 *       {@code embedding}). Those keep the source type. 1-D tensors are not special: a norm scale of 320 elements
 *       becomes q8_0 and q4_0 (320 = 10 blocks of 32) but stays in the source type for q4_K (blocks of 256).</li>
 *   <li><b>Values</b>: each element is the synthetic value rounded to the source precision (what the safetensors
 *       file would hold), then converted as {@code convert_tensor} does: quantized by {@link Quantizer}, or written
 *       as f32, f16 or bf16.</li>
 *   <li><b>Layout</b> ({@code gguf_write_to_file}): GGUF version 3, no metadata keys (convert writes none), the
 *       tensor records, zeros up to the 32-byte alignment, then each tensor's data padded to 32 bytes. Tensor
 *       records list ggml's {@code ne} (innermost first) with ggml_n_dims' count (trailing 1s dropped, at least
 *       one); a 5-D tensor (a 3D convolution's kernel) has its two outermost dimensions folded into one, as sd.cpp's
 *       safetensors reader does.</li>
 *   <li><b>Order</b>: by name. sd.cpp reads a safetensors header into a sorted JSON object and its converter
 *       appends tensors as its loader threads reach them, so sd.cpp's own order is by name only with one thread;
 *       the tensors (names, types, shapes, bytes) are the same whatever the order.</li>
 * </ul>
 * Names that sd.cpp drops when loading ({@code is_unused_tensor}: {@code position_ids}, {@code logit_scale}...)
 * do not occur in the synthetic tables.
 */
final class GgufWriter {
    /** ggml's {@code GGUF_DEFAULT_ALIGNMENT}. */
    static final int ALIGNMENT = 32;
    private static final int GGUF_VERSION = 3;
    private static final String[] KEPT_NAMES = {
        "img_in.", "txt_in.", "time_in.", "vector_in.", "guidance_in.", "final_layer.",
        "x_embedder.", "t_embedder.", "y_embedder.", "pos_embed", "context_embedder.",
        "time_embed.", "label_emb.", "embedding"};

    private GgufWriter() {
    }

    /**
     * One tensor of the file.
     *
     * @param spec   the synthetic tensor
     * @param ne     ggml's dimensions, innermost first, as many as ggml_n_dims counts
     * @param type   its type in the file
     * @param offset its data's offset from the start of the data section
     * @param bytes  its data's size without padding
     */
    record Entry(TensorSpec spec, long[] ne, GgufType type, long offset, long bytes) {
        long rowLength() {
            return ne[0];
        }
    }

    /**
     * sd.cpp's {@code tensor_should_be_converted}: whether a tensor named {@code name} with rows of {@code ne0}
     * elements gets {@code type}.
     */
    static boolean converts(String name, long ne0, GgufType type) {
        if (type.isQuantized() && ne0 % type.blockSize() != 0) {
            return false;
        }
        if (name.endsWith(".bias") || name.endsWith(".scale")) {
            return false;
        }
        for (String kept : KEPT_NAMES) {
            if (name.contains(kept)) {
                return false;
            }
        }
        return true;
    }

    /** The tensors in file order with their types, shapes and offsets. */
    static List<Entry> layout(List<TensorSpec> tensors, GgufType type, Precision source) {
        List<TensorSpec> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparing(TensorSpec::name));
        List<Entry> out = new ArrayList<>(sorted.size());
        long offset = 0;
        for (TensorSpec t : sorted) {
            long[] shape = t.shape();
            if (shape.length == 5) {
                // A 3D convolution's [out, in, kt, kh, kw]: sd.cpp's safetensors reader folds the two outermost
                // dimensions into one (ne[3] = out * in) and its Conv3d asks for that shape, so convert writes it so.
                shape = new long[] {shape[0] * shape[1], shape[2], shape[3], shape[4]};
            }
            if (shape.length > 4) {
                throw new IllegalArgumentException(t.name() + " has " + shape.length + " dimensions; GGUF takes at most 4 (a 3D kernel's 5, folded)");
            }
            int nDims = 1;
            for (int i = 0; i < shape.length; i++) {
                if (shape[shape.length - 1 - i] != 1) {
                    nDims = i + 1;
                }
            }
            long[] ne = new long[nDims];
            for (int i = 0; i < nDims; i++) {
                ne[i] = i < shape.length ? shape[shape.length - 1 - i] : 1;
            }
            GgufType tt = converts(t.name(), ne[0], type) ? type : GgufType.of(source);
            long bytes = t.elementCount() / tt.blockSize() * tt.blockBytes();
            out.add(new Entry(t, ne, tt, offset, bytes));
            offset += pad(bytes);
        }
        return out;
    }

    private static long pad(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** The header: magic, version, counts, tensor records, padded to {@link #ALIGNMENT}. */
    static byte[] header(List<Entry> entries) {
        long size = 4 + 4 + 8 + 8;
        for (Entry e : entries) {
            size += 8 + e.spec.name().getBytes(StandardCharsets.UTF_8).length + 4 + 8L * e.ne.length + 4 + 8;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(pad(size))).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {'G', 'G', 'U', 'F'}).putInt(GGUF_VERSION).putLong(entries.size()).putLong(0);
        for (Entry e : entries) {
            byte[] name = e.spec.name().getBytes(StandardCharsets.UTF_8);
            b.putLong(name.length).put(name).putInt(e.ne.length);
            for (long d : e.ne) {
                b.putLong(d);
            }
            b.putInt(e.type.id()).putLong(e.offset);
        }
        return b.array();
    }

    /** The size of the whole file. */
    static long fileSize(List<TensorSpec> tensors, GgufType type, Precision source) {
        List<Entry> entries = layout(tensors, type, source);
        Entry last = entries.getLast();
        return header(entries).length + last.offset + pad(last.bytes);
    }

    /** A run of whole rows of one tensor: elements {@code start .. start+count}. */
    private record Chunk(int entry, long start, int count) {
    }

    /** Writes the file at {@code out} (created or truncated) with {@code threads} threads. */
    static void write(List<TensorSpec> tensors, GgufType type, Precision source, long seed, Path out, int threads)
            throws IOException {
        List<Entry> entries = layout(tensors, type, source);
        byte[] header = header(entries);
        List<Chunk> chunks = new ArrayList<>();
        long[] keys = new long[entries.size()];
        int maxCount = 0;
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            keys[i] = SafetensorsWriter.tensorKey(seed, e.spec.name());
            long n = e.spec.elementCount();
            long row = e.rowLength();
            long per = e.type.isQuantized()
                    ? Math.max(1, SafetensorsWriter.CHUNK_ELEMENTS / row) * row : SafetensorsWriter.CHUNK_ELEMENTS;
            for (long s = 0; s < n; s += per) {
                int count = Math.toIntExact(Math.min(per, n - s));
                chunks.add(new Chunk(i, s, count));
                maxCount = Math.max(maxCount, count);
            }
        }
        long total = header.length + entries.getLast().offset + pad(entries.getLast().bytes);
        int bufferElements = maxCount;
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ParallelWrites.writeFully(ch, ByteBuffer.wrap(header), 0);
            ParallelWrites.run(ch, out, chunks.size(), threads, () -> {
                float[] x = new float[bufferElements];
                ByteBuffer buf = ByteBuffer.allocateDirect(bufferElements * 4 + ALIGNMENT)
                        .order(ByteOrder.LITTLE_ENDIAN);
                Quantizer.Scratch scratch = new Quantizer.Scratch();
                return (k, c) -> {
                    Chunk chunk = chunks.get(k);
                    Entry e = entries.get(chunk.entry);
                    for (int i = 0; i < chunk.count; i++) {
                        x[i] = rounded(SafetensorsWriter.value(e.spec, keys[chunk.entry], chunk.start + i), source);
                    }
                    buf.clear();
                    encode(e.type, x, chunk.count, (int) e.rowLength(), buf, scratch);
                    long position = header.length + e.offset + chunk.start / e.type.blockSize() * e.type.blockBytes();
                    if (chunk.start + chunk.count == e.spec.elementCount()) {
                        for (long z = pad(e.bytes) - e.bytes; z > 0; z--) {
                            buf.put((byte) 0);
                        }
                    }
                    buf.flip();
                    ParallelWrites.writeFully(c, buf, position);
                };
            });
            if (ch.size() != total) {
                throw new IOException("wrote " + ch.size() + " bytes to " + out + ", expected " + total);
            }
        }
    }

    /** {@code v} rounded to what a safetensors file of precision {@code p} holds, back as a float. */
    static float rounded(float v, Precision p) {
        return switch (p) {
            case F32 -> v;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            case BF16 -> Float.intBitsToFloat((SafetensorsWriter.toBf16(v) & 0xFFFF) << 16);
        };
    }

    private static void encode(GgufType type, float[] x, int count, int rowLength, ByteBuffer buf,
                               Quantizer.Scratch scratch) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < count; i++) {
                    buf.putFloat(x[i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    buf.putShort(Float.floatToFloat16(x[i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    buf.putShort(SafetensorsWriter.toBf16(x[i]));
                }
            }
            default -> Quantizer.quantize(type, x, count / rowLength, rowLength, buf, scratch);
        }
    }
}
