package dev.sdjava;

import dev.sdjava.synthetic.GgufType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The proof that the synthetic GGUF writer encodes as sd.cpp does: the SD1 checkpoint (every kind of tensor: linear
 * and attention weights, 1x1 and 3x3 convolutions, norm scales, biases, the token and position embeddings, the
 * UNet's time embedding) written directly as GGUF, against the f16 safetensors file converted by sd.cpp's own
 * {@code convert()} (the function {@code sd-cli -M convert} calls), for q8_0, q4_0 and q4_K: the same tensor names,
 * types, shapes and byte-identical data, no metadata in either, and the whole files identical whenever sd.cpp's
 * loader threads happened to write the tensors in name order.
 */
class GgufWriterParityTest {

    @ParameterizedTest
    @EnumSource(value = WeightType.class, names = {"Q8_0", "Q4_0", "Q4_K"})
    void directGgufEqualsSdCppConvert(WeightType type) throws IOException {
        GgufType direct = GgufType.fromName(type.name());
        Path mine = Fixtures.sd1GgufDirect(direct);
        Path theirs = Fixtures.sd1Gguf(type);
        ModelFile a = ModelFile.read(mine);
        ModelFile b = ModelFile.read(theirs);
        assertEquals(3, a.version());
        assertEquals(b.version(), a.version());
        assertEquals(Map.of(), a.metadata(), "convert writes no metadata");
        assertEquals(b.metadata(), a.metadata());
        assertEquals(b.fileSize(), a.fileSize(), "file size");
        assertEquals(b.dataOffset(), a.dataOffset(), "header size");
        Map<String, ModelFile.Tensor> theirTensors = new TreeMap<>();
        b.tensors().forEach(t -> theirTensors.put(t.name(), t));
        assertEquals(theirTensors.keySet(), new java.util.TreeSet<>(a.tensors().stream().map(ModelFile.Tensor::name).toList()));
        List<ModelFile.Tensor> sorted = a.tensors().stream().sorted(Comparator.comparing(ModelFile.Tensor::name)).toList();
        assertEquals(sorted, a.tensors(), "the writer's tensors are in name order");
        int quantized = 0;
        try (FileChannel fa = FileChannel.open(mine, StandardOpenOption.READ);
             FileChannel fb = FileChannel.open(theirs, StandardOpenOption.READ)) {
            for (ModelFile.Tensor t : a.tensors()) {
                ModelFile.Tensor u = theirTensors.get(t.name());
                assertEquals(u.type(), t.type(), t.name() + ": type");
                assertEquals(u.shape(), t.shape(), t.name() + ": shape");
                assertEquals(u.byteSize(), t.byteSize(), t.name() + ": size");
                assertSameBytes(fa, t.offset(), fb, u.offset(), t.byteSize(), t.name());
                if (t.type().equals(type.name())) {
                    quantized++;
                }
            }
            boolean sameOrder = a.tensors().stream().map(ModelFile.Tensor::name).toList()
                    .equals(b.tensors().stream().map(ModelFile.Tensor::name).toList());
            if (sameOrder) {
                assertSameBytes(fa, 0, fb, 0, a.fileSize(), "the whole file");
            }
        }
        // SD1 has 440 linear/attention/norm weights with rows of 32s and 297 with rows of 256s
        assertEquals(type == WeightType.Q4_K ? 297 : 440, quantized, "tensors of type " + type);
        assertTrue(a.tensorTypeCounts().get("F16") > 0, "biases and 3x3 kernels stay f16");
    }

    private static void assertSameBytes(FileChannel a, long pa, FileChannel b, long pb, long n, String what)
            throws IOException {
        ByteBuffer x = ByteBuffer.allocate(1 << 20);
        ByteBuffer y = ByteBuffer.allocate(1 << 20);
        for (long done = 0; done < n; ) {
            int len = (int) Math.min(x.capacity(), n - done);
            x.clear().limit(len);
            y.clear().limit(len);
            while (x.hasRemaining() && a.read(x, pa + done + x.position()) > 0) {
                // read on
            }
            while (y.hasRemaining() && b.read(y, pb + done + y.position()) > 0) {
                // read on
            }
            x.flip();
            y.flip();
            int at = x.mismatch(y);
            if (at >= 0) {
                throw new AssertionError(what + ": bytes differ at offset " + (done + at) + " of " + n);
            }
            done += len;
        }
    }
}
