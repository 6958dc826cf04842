package dev.sdjava;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java header reader and validator of model files, on real synthetic models and crafted bad ones. */
class ModelFileTest {
    @TempDir
    Path tmp;

    static final String GOOD_ST = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"a.weight\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
            + "\"b.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[12,24]}}";

    static BadFiles.Gguf goodGguf() {
        return new BadFiles.Gguf()
                .kvString("general.name", "tiny")
                .kvU32("general.alignment", 32)
                .kvStringArray("tokenizer.tokens", "a", "b", "c")
                .tensor("w", 0, 4, 4, 4)               // F32 4x4
                .tensorAt("q", 8, 64, 32, 2)            // Q8_0: 2 rows of one 32-element block (34 bytes)
                .extraData(68);
    }

    // ---- the synthetic models, read fast and exactly ----

    @Test
    void readsTheSyntheticSafetensorsCheckpointExactlyAndFast() {
        Path sd1 = Fixtures.sd1();
        long t0 = System.nanoTime();
        ModelFile m = ModelFile.read(sd1);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(ModelFile.Format.SAFETENSORS, m.format());
        assertEquals(1130, m.tensors().size());
        assertEquals(1_066_235_307L, m.parameterCount());
        assertEquals("SD1", m.metadata().get("sdjava.synthetic.architecture"));
        long data = m.tensors().stream().mapToLong(ModelFile.Tensor::byteSize).sum();
        assertEquals(m.fileSize(), m.dataOffset() + data, "tensors cover the data exactly");
        ModelFile.Tensor t = m.tensor("model.diffusion_model.time_embed.0.weight");
        assertEquals(List.of(1280L, 320L), t.shape());
        assertEquals("F16", t.type());
        assertEquals(1280L * 320 * 2, t.byteSize());
        assertTrue(ms < 5000, "reading the header of a 2 GB file took " + ms + " ms");
    }

    @Test
    void readsTheSyntheticGgufCheckpointExactly() {
        ModelFile m = ModelFile.read(Fixtures.sd1Gguf(WeightType.Q8_0));
        assertEquals(ModelFile.Format.GGUF, m.format());
        assertEquals(3, m.version());
        assertEquals(1130, m.tensors().size());
        assertEquals(1_066_235_307L, m.parameterCount());
        assertEquals(440, m.tensorTypeCounts().get("Q8_0"));
        assertEquals(690, m.tensorTypeCounts().get("F16"));
        assertEquals(0, m.dataOffset() % 32);
        ModelFile.Tensor last = m.tensors().getLast();
        assertTrue(last.offset() + last.byteSize() <= m.fileSize());
    }

    @Test
    void readsEveryFieldOfACraftedGguf() {
        ModelFile m = ModelFile.read(BadFiles.write(tmp, "tiny.bin", goodGguf().build()));
        assertEquals(ModelFile.Format.GGUF, m.format());
        assertEquals("tiny", m.metadata().get("general.name"));
        assertEquals(32L, m.metadata().get("general.alignment"));
        assertEquals(List.of("a", "b", "c"), m.metadata().get("tokenizer.tokens"));
        assertEquals(new ModelFile.Tensor("w", "F32", List.of(4L, 4L), m.dataOffset(), 64), m.tensor("w"));
        assertEquals(new ModelFile.Tensor("q", "Q8_0", List.of(32L, 2L), m.dataOffset() + 64, 68), m.tensor("q"));
        assertNull(m.tensor("nope"));
    }

    @Test
    void readsACraftedSafetensors() {
        ModelFile m = ModelFile.read(BadFiles.write(tmp, "x.safetensors", BadFiles.safetensors(GOOD_ST, 24)));
        assertEquals(Map.of("format", "pt"), m.metadata());
        assertEquals(2, m.tensors().size());
        assertEquals(8 + GOOD_ST.length() + 12, m.tensor("b.bias").offset());
    }

    @Test
    void recognisesPyTorchZipAndLegacyCheckpoints() throws IOException {
        ModelFile zip = ModelFile.read(BadFiles.write(tmp, "m.ckpt", zip("archive/data.pkl", "archive/data/0")));
        assertEquals(ModelFile.Format.TORCH_ZIP, zip.format());
        assertEquals("archive/data.pkl", zip.metadata().get("zip.data_pkl"));
        assertEquals(List.of(), zip.tensors());

        byte[] legacy = new byte[64];
        byte[] magic = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20,
                0x6a, (byte) 0xa8, 0x50, 0x19};
        System.arraycopy(magic, 0, legacy, 0, magic.length);
        assertEquals(ModelFile.Format.TORCH_LEGACY, ModelFile.read(BadFiles.write(tmp, "old.pt", legacy)).format());

        assertInvalid(BadFiles.write(tmp, "nopkl.ckpt", zip("readme.txt")), "data.pkl");
        byte[] ok = zip("archive/data.pkl", "archive/data/0");
        assertInvalid(BadFiles.write(tmp, "cut.ckpt", java.util.Arrays.copyOf(ok, ok.length - 10)), "zip");
    }

    // ---- files that are not model files at all ----

    @Test
    void refusesMissingDirectoryEmptyAndRandomFiles() {
        assertInvalid(tmp.resolve("missing.gguf"), "does not exist");
        assertInvalid(tmp, "is a directory");
        assertInvalid(BadFiles.write(tmp, "empty.safetensors", new byte[0]), "is empty");
        assertInvalid(BadFiles.write(tmp, "tiny.gguf", new byte[] {1, 2, 3}), "too small");
        for (String name : List.of("r.gguf", "r.safetensors", "r.ckpt", "r.pt", "r.bin")) {
            for (int seed = 0; seed < 20; seed++) {
                assertInvalid(BadFiles.random(tmp, seed + name, 4096, seed), "");
            }
        }
    }

    @Test
    void everyTruncationOfASmallValidFileIsRefused() {
        byte[] gguf = goodGguf().build();
        byte[] st = BadFiles.safetensors(GOOD_ST, 24);
        for (byte[] whole : List.of(gguf, st)) {
            ModelFile.parse(whole, whole.length, tmp.resolve("whole"));
            for (int cut = 0; cut < whole.length; cut++) {
                byte[] part = java.util.Arrays.copyOf(whole, cut);
                int c = cut;
                var e = assertThrows(InvalidModelFileException.class, () -> ModelFile.parse(part, part.length, tmp.resolve("cut")),
                        () -> "cut at " + c + " of " + whole.length + " was accepted");
                assertTrue(!e.reason().isEmpty());
            }
        }
    }

    @Test
    void truncatedSyntheticModelsAreRefusedAtEveryCutPoint() {
        Path st = Fixtures.sd1();
        ModelFile m = ModelFile.read(st);
        long h = m.dataOffset();
        for (long cut : new long[] {1, 8, 9, 100, h / 2, h - 1, h, h + 1000, m.fileSize() / 2, m.fileSize() - 1}) {
            Path out = BadFiles.truncated(st, h, cut, tmp.resolve("st-" + cut + ".safetensors"));
            assertInvalid(out, "");
        }
        Path gguf = Fixtures.sd1Gguf(WeightType.Q8_0);
        ModelFile g = ModelFile.read(gguf);
        long d = g.dataOffset();
        for (long cut : new long[] {2, 4, 8, 16, 24, 1000, d / 2, d - 100, d, d + 1, g.fileSize() / 2, g.fileSize() - 1}) {
            Path out = BadFiles.truncated(gguf, d, cut, tmp.resolve("g-" + cut + ".gguf"));
            assertInvalid(out, "");
        }
    }

    // ---- safetensors headers that lie ----

    @Test
    void refusesSafetensorsHeadersThatLie() {
        String t = "{\"t\":{\"dtype\":\"F16\",\"shape\":%s,\"data_offsets\":%s}}";
        st(BadFiles.safetensorsWithLength(1L << 62, "{}", 16), "absurd safetensors header length");
        st(BadFiles.safetensorsWithLength(-1, "{}", 16), "absurd safetensors header length");
        st(BadFiles.safetensorsWithLength(1000, "{}", 16), "truncated");
        st(BadFiles.safetensors("{\"t\":1}", 16), "is not a JSON object");            // aborts sd.cpp
        st(BadFiles.safetensors(t.formatted("[\"a\"]", "[0,2]"), 16), "shape");         // aborts sd.cpp
        st(BadFiles.safetensors(t.formatted("[-1]", "[0,2]"), 16), "shape");
        st(BadFiles.safetensors(t.formatted("[1.5]", "[0,2]"), 16), "shape");
        st(BadFiles.safetensors(t.formatted("[1,1,1,1,1,1,1,1,1]", "[0,2]"), 16), "dimensions");
        st(BadFiles.safetensors(t.formatted("[4294967296,4294967296]", "[0,2]"), 16), "absurd shape");
        st(BadFiles.safetensors(t.formatted("[99999999999999999999]", "[0,2]"), 16), "shape");
        st(BadFiles.safetensors(t.formatted("[8]", "[0,160000]"), 16), "past the end");
        st(BadFiles.safetensors(t.formatted("[8]", "[8,4]"), 16), "begin <= end");
        st(BadFiles.safetensors(t.formatted("[8]", "[0,8]"), 16), "need 16");
        st(BadFiles.safetensors(t.formatted("[8]", "[0]"), 16), "data_offsets");
        st(BadFiles.safetensors(t.formatted("[8]", "[0,\"16\"]"), 16), "data_offsets");
        st(BadFiles.safetensors("{\"t\":{\"dtype\":\"Q9\",\"shape\":[1],\"data_offsets\":[0,1]}}", 16), "unknown dtype");
        st(BadFiles.safetensors("{\"t\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 16), "dtype");
        st(BadFiles.safetensors("{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[4,12]}}", 16), "overlap");
        st(BadFiles.safetensors("{\"__metadata__\":{\"k\":1}}", 16), "not a string");
        st(BadFiles.safetensors("{\"__metadata__\":[]}", 16), "__metadata__");
        st(BadFiles.safetensors("{\"t\":{}, \"t\":{}}", 16), "duplicate key");
        st(BadFiles.safetensors("{\"t\":", 16), "JSON");
        st(BadFiles.safetensors("{} x", 16), "JSON");
        st(BadFiles.safetensors("{\"a\":\"\\ud800\"}", 16), "surrogate");
        st(BadFiles.safetensors("{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}", 16), "nested");
        byte[] badUtf8 = BadFiles.safetensors("{\"a\":\"xx\"}", 16);
        badUtf8[14] = (byte) 0xff;
        st(badUtf8, "UTF-8");
        // padding with spaces, as the reference writer does, is fine
        ModelFile.parse(BadFiles.safetensors(GOOD_ST + "      ", 24), 8 + GOOD_ST.length() + 6 + 24, tmp);
    }

    // ---- GGUF headers that lie ----

    @Test
    void refusesGgufHeadersThatLie() {
        gg(g -> g.version = 1, "version 1");
        gg(g -> g.version = 4, "unsupported GGUF version 4");
        gg(g -> g.version = 0x03000000, "big-endian");
        gg(g -> g.tensorCountOverride = -1L, "absurd tensor count");
        gg(g -> g.tensorCountOverride = 1L << 40, "absurd tensor count");
        gg(g -> g.tensorCountOverride = 100_000L, "absurd tensor count");
        gg(g -> g.kvCountOverride = Long.MAX_VALUE, "absurd metadata count");
        gg(g -> g.kvCountOverride = 5L, "");                                      // one more key than present
        gg(g -> g.tensorCountOverride = 3L, "");                                  // one more tensor than present
        gguf(new BadFiles.Gguf().kvRaw("k", 8, BadFiles.le64(1L << 62)), "absurd length");
        gguf(new BadFiles.Gguf().kvRaw("k", 8, BadFiles.le64(1000)), "truncated");
        gguf(new BadFiles.Gguf().kvRaw("k", 13, new byte[8]), "unknown GGUF type");
        gguf(new BadFiles.Gguf().kvRaw("k", 7, new byte[] {2}), "bool");
        gguf(new BadFiles.Gguf().kvRaw("k", 9, concat(BadFiles.le32(9), BadFiles.le64(1))), "array of arrays");
        gguf(new BadFiles.Gguf().kvRaw("k", 9, concat(BadFiles.le32(4), BadFiles.le64(1L << 40))), "absurd array length");
        gguf(new BadFiles.Gguf().kvRaw("k", 9, concat(BadFiles.le32(77), BadFiles.le64(1))), "unknown GGUF type");
        gguf(new BadFiles.Gguf().kvU32("k", 1).kvU32("k", 2), "duplicate metadata key");
        gguf(new BadFiles.Gguf().kvU32("", 1), "empty");
        gguf(new BadFiles.Gguf().kvString("general.alignment", "abc").tensor("w", 0, 4, 4), "must be a u32"); // aborts sd.cpp
        gguf(new BadFiles.Gguf().kvU32("general.alignment", 3).tensor("w", 0, 4, 4), "power of two");
        gguf(new BadFiles.Gguf().tensor("w", 0, 4, 4, 0), "dimension 1 of 0");                          // SIGFPE in sd.cpp
        gguf(new BadFiles.Gguf().tensor("w", 0, 4, -4), "dimension 0 of -4");
        gguf(new BadFiles.Gguf().tensor("w", 0, 4, 1, 1, 1, 1, 1), "5 dimensions");
        gguf(new BadFiles.Gguf().tensorAt("w", 0, 0, 1L << 32, 1L << 32), "absurd shape");
        gguf(new BadFiles.Gguf().tensorAt("w", 0, 0, 1L << 40), "past the end");
        gguf(new BadFiles.Gguf().tensor("w", 99, 4, 4), "unknown ggml type 99");
        gguf(new BadFiles.Gguf().tensor("w", 4, 4, 4), "unknown ggml type 4");                          // removed Q4_2
        gguf(new BadFiles.Gguf().tensor("w", -1, 4, 4), "unknown ggml type");
        gguf(new BadFiles.Gguf().tensor("w", 8, 34, 33), "block size 32");
        gguf(new BadFiles.Gguf().tensorAt("w", 0, 7, 4).extraData(64), "alignment");
        gguf(new BadFiles.Gguf().tensorAt("w", 0, -32, 4), "absurd data offset");
        gguf(new BadFiles.Gguf().tensorAt("a", 0, 0, 8).tensorAt("b", 0, 0, 8).extraData(64), "overlap");
        gguf(new BadFiles.Gguf().tensor("w", 0, 4, 4).tensor("w", 0, 4, 4), "duplicate tensor name");
        gguf(new BadFiles.Gguf().tensor("", 0, 4, 4), "name of 0 bytes");
        gguf(new BadFiles.Gguf().tensor("a\0b", 0, 4, 4), "NUL");
        gguf(new BadFiles.Gguf().kvStringArray("k", "x").tensor("n".repeat(70), 0, 4, 4), "without array metadata");
        BadFiles.Gguf huge = new BadFiles.Gguf();
        huge.rawInfo(concat(BadFiles.le64(1L << 62), new byte[16]));
        huge.tensorCountOverride = 1L;
        huge.extraData(1024);
        gguf(huge, "absurd length");
        // long names alone are fine: sd.cpp's own converter writes them
        ModelFile.read(BadFiles.write(tmp, "long.gguf", new BadFiles.Gguf().tensor("n".repeat(70), 0, 4, 4).build()));
    }

    // ---- helpers ----

    private interface Change {
        void apply(BadFiles.Gguf g);
    }

    private void gg(Change change, String reason) {
        BadFiles.Gguf g = goodGguf();
        change.apply(g);
        gguf(g, reason);
    }

    private void gguf(BadFiles.Gguf g, String reason) {
        byte[] b = g.build();
        assertInvalid(BadFiles.write(tmp, "bad.gguf", b), reason);
    }

    private void st(byte[] b, String reason) {
        assertInvalid(BadFiles.write(tmp, "bad.safetensors", b), reason);
    }

    static InvalidModelFileException assertInvalid(Path p, String reason) {
        var e = assertThrows(InvalidModelFileException.class, () -> ModelFile.read(p), () -> p + " was accepted");
        assertTrue(e.reason().contains(reason), () -> "expected \"" + reason + "\" in: " + e.getMessage());
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        assertEquals(p, e.file());
        return e;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] zip(String... names) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (String n : names) {
                ZipEntry e = new ZipEntry(n);
                e.setTimeLocal(java.time.LocalDateTime.of(2020, 1, 1, 0, 0)); // the same bytes on every run
                z.putNextEntry(e);
                z.write(new byte[] {(byte) 0x80, 2, '.'});
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
