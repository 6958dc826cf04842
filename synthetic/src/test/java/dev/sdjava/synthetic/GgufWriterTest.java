package dev.sdjava.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GGUF writer without the native library: layout, type rules, the quantizers' arithmetic. Its equality with
 * sd.cpp's own converter is the api module's {@code GgufWriterParityTest}.
 */
class GgufWriterTest {

    /** A tensor record read back: ne (innermost first), ggml type id, data offset, and its data. */
    record Read(String name, long[] ne, int type, long offset, byte[] data) {
    }

    /** Parses a GGUF file of this writer (version 3, no keys), checking the layout as it goes. */
    static Map<String, Read> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        b.get(magic);
        assertArrayEquals("GGUF".getBytes(StandardCharsets.US_ASCII), magic);
        assertEquals(3, b.getInt(), "version");
        long n = b.getLong();
        assertEquals(0, b.getLong(), "sd.cpp's convert writes no metadata keys");
        List<Read> heads = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            byte[] name = new byte[(int) b.getLong()];
            b.get(name);
            long[] ne = new long[b.getInt()];
            for (int d = 0; d < ne.length; d++) {
                ne[d] = b.getLong();
            }
            heads.add(new Read(new String(name, StandardCharsets.UTF_8), ne, b.getInt(), b.getLong(), null));
        }
        int dataStart = (b.position() + 31) / 32 * 32;
        for (int i = b.position(); i < dataStart; i++) {
            assertEquals(0, b.get(i), "header padding");
        }
        Map<String, Read> out = new TreeMap<>();
        for (int i = 0; i < heads.size(); i++) {
            Read h = heads.get(i);
            assertEquals(0, h.offset % 32, h.name + " aligned");
            long end = i + 1 < heads.size() ? heads.get(i + 1).offset : b.capacity() - dataStart;
            byte[] data = new byte[(int) (end - h.offset)];
            b.get(dataStart + (int) h.offset, data);
            out.put(h.name, new Read(h.name, h.ne, h.type, h.offset, data));
        }
        List<String> names = heads.stream().map(Read::name).toList();
        assertEquals(names.stream().sorted().toList(), names, "tensors in name order");
        return out;
    }

    private static TensorSpec random(String name, long... shape) {
        return new TensorSpec(name, shape, 0.1, 0);
    }

    @Test
    void typeRulesAreSdCppConverts() {
        String norm = "model.diffusion_model.input_blocks.1.1.norm.weight";
        assertTrue(GgufWriter.converts(norm, 320, GgufType.Q8_0), "1-D rows of whole blocks are quantized");
        assertTrue(GgufWriter.converts(norm, 320, GgufType.Q4_0));
        assertFalse(GgufWriter.converts(norm, 320, GgufType.Q4_K), "320 is not a multiple of 256");
        assertTrue(GgufWriter.converts("x.attn1.to_q.weight", 768, GgufType.Q4_K));
        assertFalse(GgufWriter.converts("x.proj_in.bias", 320, GgufType.Q8_0));
        assertFalse(GgufWriter.converts("x.lora.scale", 320, GgufType.Q8_0));
        assertFalse(GgufWriter.converts("model.diffusion_model.time_embed.0.weight", 320, GgufType.Q8_0));
        assertFalse(GgufWriter.converts("text_model.embeddings.token_embedding.weight", 768, GgufType.Q8_0));
        assertFalse(GgufWriter.converts("input_blocks.0.0.weight", 3, GgufType.Q8_0), "3x3 kernels");
        assertTrue(GgufWriter.converts("input_blocks.0.0.weight", 3, GgufType.F16), "float types have no blocks");
        assertFalse(GgufWriter.converts("double_blocks.0.img_in.weight", 3072, GgufType.F16));
    }

    @Test
    void layoutReversesShapesDropsTrailingOnesAndAligns(@TempDir Path dir) throws IOException {
        List<TensorSpec> specs = List.of(
                random("b.weight", 64, 32),          // rows of 32: q8_0
                random("a.weight", 8, 4, 3, 3),      // 3x3 kernel: kept in f16
                random("c.proj.weight", 16, 64, 1, 1),
                random("d.bias", 7),
                random("e.alpha"),                   // a scalar: ne [1]
                random("f.weight", 1, 96),           // [1, 96]: ne [96]
                random("g.weight", 8, 3, 1, 2, 2));  // a 3D kernel: out and in folded, ne [2, 2, 1, 24]
        List<GgufWriter.Entry> layout = GgufWriter.layout(specs, GgufType.Q8_0, Precision.F16);
        assertEquals(List.of("a.weight", "b.weight", "c.proj.weight", "d.bias", "e.alpha", "f.weight", "g.weight"),
                layout.stream().map(e -> e.spec().name()).toList());
        Path f = dir.resolve("t.gguf");
        GgufWriter.write(specs, GgufType.Q8_0, Precision.F16, 42, f, 2);
        assertEquals(GgufWriter.fileSize(specs, GgufType.Q8_0, Precision.F16), Files.size(f));
        Map<String, Read> r = read(f);
        assertArrayEquals(new long[] {3, 3, 4, 8}, r.get("a.weight").ne());
        assertEquals(GgufType.F16.id(), r.get("a.weight").type());
        assertArrayEquals(new long[] {32, 64}, r.get("b.weight").ne());
        assertArrayEquals(new long[] {2, 2, 1, 24}, r.get("g.weight").ne(), "sd.cpp's Conv3d: ne[3] = out * in");
        assertEquals(GgufType.F16.id(), r.get("g.weight").type());
        assertEquals(GgufType.Q8_0.id(), r.get("b.weight").type());
        assertEquals(64 * 34, r.get("b.weight").data().length, "64 blocks, no padding needed");
        assertArrayEquals(new long[] {1, 1, 64, 16}, r.get("c.proj.weight").ne());
        assertEquals(GgufType.F16.id(), r.get("c.proj.weight").type(), "1x1 kernel rows of 1 stay f16");
        assertEquals(GgufType.F16.id(), r.get("d.bias").type());
        assertEquals(32, r.get("d.bias").data().length, "14 bytes padded to 32");
        assertArrayEquals(new long[] {1}, r.get("e.alpha").ne());
        assertArrayEquals(new long[] {96}, r.get("f.weight").ne());
        assertEquals(GgufType.Q8_0.id(), r.get("f.weight").type());
        byte[] bias = r.get("d.bias").data();
        for (int i = 14; i < 32; i++) {
            assertEquals(0, bias[i], "tensor padding is zeros");
        }
    }

    @Test
    void floatTensorsHoldTheSafetensorsValues(@TempDir Path dir) throws IOException {
        Path st = SyntheticModel.write(Architecture.TAESD, Precision.F16, 42, dir.resolve("t.safetensors"), 2);
        Path gg = SyntheticModel.writeGguf(Architecture.TAESD, GgufType.Q8_0, Precision.F16, 42,
                dir.resolve("t.gguf"), 2);
        SafetensorsReader.Header h = SafetensorsReader.read(st);
        byte[] all = Files.readAllBytes(st);
        long base = h.dataStart();
        Map<String, Read> g = read(gg);
        assertEquals(h.entries().size(), g.size());
        for (SafetensorsReader.Entry e : h.entries()) {
            Read t = g.get(e.name());
            assertEquals(GgufType.F16.id(), t.type(), e.name() + ": TAESD is all 3x3 kernels and biases");
            byte[] want = java.util.Arrays.copyOfRange(all, (int) (base + e.begin()), (int) (base + e.end()));
            assertArrayEquals(want, java.util.Arrays.copyOf(t.data(), want.length), e.name());
        }
    }

    @Test
    void bytesAreTheSameWhateverTheThreadCount(@TempDir Path dir) throws IOException {
        for (GgufType t : List.of(GgufType.Q8_0, GgufType.Q4_0, GgufType.Q4_K)) {
            Path one = SyntheticModel.writeGguf(Architecture.SD1_LORA, t, Precision.F16, 42, dir.resolve("1.gguf"), 1);
            Path three = SyntheticModel.writeGguf(Architecture.SD1_LORA, t, Precision.F16, 42, dir.resolve("3.gguf"),
                    3);
            assertArrayEquals(Files.readAllBytes(one), Files.readAllBytes(three), t.toString());
            assertEquals(SyntheticModel.ggufFileSize(Architecture.SD1_LORA, t, Precision.F16), Files.size(one));
        }
    }

    /**
     * Pins the LoRA's GGUF files. These digests are of files whose tensors were compared with sd-cli's
     * {@code -M convert} of the F16 safetensors LoRA (sd.cpp 0.4.7's tree): same names, types, shapes and bytes, and
     * for q4_0 and q4_K, where sd-cli's threads happened to write in name order, the whole files were identical.
     */
    @Test
    void loraGgufIsPinned(@TempDir Path dir) throws Exception {
        assertEquals(1, SyntheticModel.GENERATOR_VERSION, "update the pinned values below with the version");
        Map<GgufType, String> want = Map.of(
                GgufType.Q8_0, "6d8e6814a87f3fece56cd8ba21f8eff3d5f596b537f9a938cdb46881b6c90029",
                GgufType.Q4_0, "ee61ac3cbbd1102189b3bb8a3814358111e598965ceef9d4c40674a5abc6d548",
                GgufType.Q4_K, "747ee5d2f983a27e179922bf50c12d275c811daeb1c77fb4dedae10de8bf5033");
        for (Map.Entry<GgufType, String> e : want.entrySet()) {
            Path f = SyntheticModel.writeGguf(Architecture.SD1_LORA, e.getKey(), Precision.F16, 42,
                    dir.resolve(e.getKey() + ".gguf"), 2);
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
            assertEquals(e.getValue(), HexFormat.of().formatHex(digest), e.getKey().toString());
        }
    }

    /** Java's float-to-half conversion is ggml's software one (ggml-impl.h, round to nearest even) on finite floats. */
    @Test
    void halfConversionIsGgmls() {
        for (long bits = 0; bits <= 0xFFFFFFFFL; bits += 4093) {
            float f = Float.intBitsToFloat((int) bits);
            if (Float.isNaN(f)) {
                continue;
            }
            assertEquals(ggmlFp32ToFp16(f), Float.floatToFloat16(f), () -> Float.toString(f));
        }
        for (float f : new float[] {0.5f * 0x1p-24f, 0x1p-25f, 65504f, 65520f, 65519.996f, -0.0f}) {
            assertEquals(ggmlFp32ToFp16(f), Float.floatToFloat16(f), () -> Float.toString(f));
        }
    }

    /** ggml_compute_fp32_to_fp16 without F16C, transcribed. */
    private static short ggmlFp32ToFp16(float f) {
        float base = (Math.abs(f) * 0x1.0p+112f) * 0x1.0p-110f;
        int w = Float.floatToRawIntBits(f);
        int shl1W = w + w;
        int sign = w & 0x80000000;
        int bias = shl1W & 0xFF000000;
        if (Integer.compareUnsigned(bias, 0x71000000) < 0) {
            bias = 0x71000000;
        }
        base = Float.intBitsToFloat((bias >>> 1) + 0x07800000) + base;
        int b = Float.floatToRawIntBits(base);
        int expBits = (b >>> 13) & 0x00007C00;
        int mantissaBits = b & 0x00000FFF;
        int nonsign = expBits + mantissaBits;
        return (short) ((sign >>> 16) | (Integer.compareUnsigned(shl1W, 0xFF000000) > 0 ? 0x7E00 : nonsign));
    }

    @Test
    void nearestIntRoundsHalvesToEven() {
        assertEquals(0, Quantizer.nearestInt(0.5f));
        assertEquals(2, Quantizer.nearestInt(1.5f));
        assertEquals(2, Quantizer.nearestInt(2.5f));
        assertEquals(0, Quantizer.nearestInt(-0.5f));
        assertEquals(-2, Quantizer.nearestInt(-1.5f));
        assertEquals(-7, Quantizer.nearestInt(-7.2f));
    }

    /** q8_0 of -16..15: scale 16/127, and each byte round(x * 127 / 16) with halves away from zero. */
    @Test
    void q8_0KnownBlock() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 16;
        }
        ByteBuffer out = ByteBuffer.allocate(34).order(ByteOrder.LITTLE_ENDIAN);
        Quantizer.q8_0(x, 32, out);
        assertEquals(Float.floatToFloat16(16f / 127), out.getShort(0));
        assertEquals(-127, out.get(2));
        assertEquals(0, out.get(2 + 16));
        assertEquals(8, out.get(2 + 17), "1 * 127/16 = 7.94");
        assertEquals(119, out.get(2 + 31), "15 * 127/16 = 119.06");
    }

    /** q4_0 and q4_K decode (as ggml's dequantize_row_*) to within a fraction of each block's range. */
    @Test
    void q4BlocksDecodeCloseToTheirInput() {
        int n = 512;
        float[] x = new float[n];
        long key = SafetensorsWriter.tensorKey(7, "w");
        for (int i = 0; i < n; i++) {
            x[i] = SafetensorsWriter.centeredSum(key, i) / 65536f;
        }
        Quantizer.Scratch s = new Quantizer.Scratch();
        ByteBuffer q40 = ByteBuffer.allocate(n / 32 * 18).order(ByteOrder.LITTLE_ENDIAN);
        Quantizer.quantize(GgufType.Q4_0, x, 1, n, q40, s);
        assertEquals(q40.capacity(), q40.position());
        double worst = 0;
        for (int b = 0; b < n / 32; b++) {
            float d = Float.float16ToFloat(q40.getShort(b * 18));
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[b * 32 + j]));
            }
            for (int j = 0; j < 16; j++) {
                int q = q40.get(b * 18 + 2 + j) & 0xFF;
                worst = Math.max(worst, Math.abs(d * ((q & 0xF) - 8) - x[b * 32 + j]) / amax);
                worst = Math.max(worst, Math.abs(d * ((q >> 4) - 8) - x[b * 32 + j + 16]) / amax);
            }
        }
        assertTrue(worst < 0.15, "q4_0 worst error / block max = " + worst);

        ByteBuffer q4k = ByteBuffer.allocate(n / 256 * 144).order(ByteOrder.LITTLE_ENDIAN);
        Quantizer.quantize(GgufType.Q4_K, x, 1, n, q4k, s);
        assertEquals(q4k.capacity(), q4k.position());
        worst = 0;
        for (int b = 0; b < n / 256; b++) {
            int o = b * 144;
            float d = Float.float16ToFloat(q4k.getShort(o));
            float dmin = Float.float16ToFloat(q4k.getShort(o + 2));
            float amax = 0;
            for (int j = 0; j < 256; j++) {
                amax = Math.max(amax, Math.abs(x[b * 256 + j]));
            }
            for (int sub = 0; sub < 8; sub++) {
                int sc;
                int m;
                int[] q = new int[12];
                for (int k = 0; k < 12; k++) {
                    q[k] = q4k.get(o + 4 + k) & 0xFF;
                }
                if (sub < 4) {
                    sc = q[sub] & 63;
                    m = q[sub + 4] & 63;
                } else {
                    sc = (q[sub + 4] & 0xF) | ((q[sub - 4] >> 6) << 4);
                    m = (q[sub + 4] >> 4) | ((q[sub] >> 6) << 4);
                }
                for (int l = 0; l < 32; l++) {
                    int byteAt = o + 16 + (sub / 2) * 32 + l;
                    int nib = sub % 2 == 0 ? q4k.get(byteAt) & 0xF : (q4k.get(byteAt) & 0xFF) >> 4;
                    float v = d * sc * nib - dmin * m;
                    worst = Math.max(worst, Math.abs(v - x[b * 256 + sub * 32 + l]) / amax);
                }
            }
        }
        assertTrue(worst < 0.15, "q4_K worst error / block max = " + worst);
    }

    @Test
    void namesAndErrors() {
        assertEquals("sd1-q4_K-f16-s42-g1.gguf",
                SyntheticModel.ggufFileName(Architecture.SD1, GgufType.Q4_K, Precision.F16, 42));
        assertEquals(GgufType.Q4_K, GgufType.fromName("q4_k"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GgufType.fromName("q5_1"));
        assertEquals("unknown GGUF type 'q5_1'; known: f32, f16, bf16, q8_0, q4_0, q4_K", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.layout(
                List.of(random("x", 1, 2, 3, 4, 5, 6)), GgufType.Q8_0, Precision.F16));
    }
}
