package dev.sdjava;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A deterministic mutation fuzzer of the GGUF and safetensors header validators: seeded random
 * byte flips, overwrites with boundary integers, truncations, insertions and deletions over the
 * headers of the synthetic models and small crafted files. Every mutant must either be accepted
 * with consistent results or refused with {@link InvalidModelFileException}; any other exception
 * (an overflow, an index error, an out-of-memory) is a finding, reported with the seed and
 * iteration to replay it.
 *
 * <p>The default run is {@value #DEFAULT_ITERATIONS} mutants (seconds). A longer run:
 * {@code mvn -pl api -Dsdj.skipNative=true test -Dtest=ModelFileFuzzTest -Dsdjava.fuzz.iterations=5000000
 * -Dsdjava.fuzz.seed=123}.
 */
class ModelFileFuzzTest {
    static final int DEFAULT_ITERATIONS = 100_000;
    private static final long[] BOUNDARY = {0, 1, -1, 2, 7, 8, 31, 32, 63, 64, 255, 256, 4095, 65535, 65536,
            Integer.MAX_VALUE, Integer.MIN_VALUE, 0xffffffffL, 1L << 32, (1L << 32) + 1, 1L << 40, 1L << 62,
            Long.MAX_VALUE, Long.MIN_VALUE, 100_000_000, 100_000_001};

    /** The first bytes of a seed file, up to its tensor data, and the whole file's size. */
    record Seed(String name, byte[] head, long size) {
    }

    @Test
    void mutatedHeadersAreAcceptedConsistentlyOrRefusedWithInvalidModelFileException() {
        int iterations = Integer.getInteger("sdjava.fuzz.iterations", DEFAULT_ITERATIONS);
        long seed = Long.getLong("sdjava.fuzz.seed", 20250101L);
        List<Seed> seeds = seeds();
        SplittableRandom rnd = new SplittableRandom(seed);
        int accepted = 0;
        long t0 = System.nanoTime();
        Path name = Path.of("fuzz");
        for (int i = 0; i < iterations; i++) {
            Seed s = seeds.get(rnd.nextInt(seeds.size()));
            byte[] b = mutate(s.head(), rnd);
            // The file either ends with the (mutated) header, or continues past it with zeros.
            long size = rnd.nextInt(4) == 0 ? b.length : Math.max(b.length, s.size() + (rnd.nextInt(3) - 1) * rnd.nextInt(64));
            try {
                ModelFile m = ModelFile.parse(b, size, name);
                check(m, size);
                accepted++;
            } catch (InvalidModelFileException expected) {
                assertTrue(!expected.reason().isEmpty());
            } catch (Throwable t) {
                fail("finding: " + t + " on mutant " + i + " of seed file " + s.name() + " (replay with -Dsdjava.fuzz.seed="
                        + seed + "); first bytes " + hex(b), t);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("fuzz: %d mutants of %d seed files in %.1f s (%.0f/s), %d accepted, %d refused, 0 findings%n",
                iterations, seeds.size(), seconds, iterations / seconds, accepted, iterations - accepted);
        assertTrue(accepted > 0 && accepted < iterations, "the mutator should produce both kinds: " + accepted);
    }

    /** What an accepted file must satisfy whatever its bytes. */
    static void check(ModelFile m, long size) {
        long prevEnd = -1;
        List<ModelFile.Tensor> sorted = new ArrayList<>(m.tensors());
        sorted.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        for (ModelFile.Tensor t : sorted) {
            if (t.offset() < m.dataOffset() || t.byteSize() < 0 || t.offset() + t.byteSize() > size) {
                fail("accepted a tensor outside the data: " + t + " in " + m);
            }
            if (t.byteSize() > 0 && t.offset() < prevEnd) {
                fail("accepted overlapping tensors at " + t);
            }
            if (t.byteSize() > 0) {
                prevEnd = t.offset() + t.byteSize();
            }
            for (long d : t.shape()) {
                if (d < 0) {
                    fail("accepted a negative dimension: " + t);
                }
            }
        }
    }

    private static byte[] mutate(byte[] in, SplittableRandom rnd) {
        byte[] b = in.clone();
        int rounds = 1 + rnd.nextInt(4);
        for (int r = 0; r < rounds && b.length > 0; r++) {
            int at = rnd.nextInt(b.length);
            switch (rnd.nextInt(7)) {
                case 0 -> b[at] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> b[at] = (byte) rnd.nextInt(256);
                case 2 -> { // a boundary integer over 4 or 8 bytes, little-endian
                    long v = BOUNDARY[rnd.nextInt(BOUNDARY.length)];
                    int width = rnd.nextBoolean() ? 4 : 8;
                    for (int k = 0; k < width && at + k < b.length; k++) {
                        b[at + k] = (byte) (v >>> (8 * k));
                    }
                }
                case 3 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncate
                case 4 -> { // delete a run
                    int n = Math.min(1 + rnd.nextInt(16), b.length - at);
                    byte[] out = new byte[b.length - n];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(b, at + n, out, at, b.length - at - n);
                    b = out;
                }
                case 5 -> { // insert a run of one byte
                    int n = 1 + rnd.nextInt(16);
                    byte[] out = new byte[b.length + n];
                    System.arraycopy(b, 0, out, 0, at);
                    String pool = "0 9{}[]\",:-e.\\";
                    Arrays.fill(out, at, at + n, (byte) pool.charAt(rnd.nextInt(pool.length())));
                    System.arraycopy(b, at, out, at + n, b.length - at);
                    b = out;
                }
                default -> { // a digit in JSON text, or any byte, made another digit
                    b[at] = (byte) ('0' + rnd.nextInt(10));
                }
            }
        }
        return b;
    }

    static List<Seed> seeds() {
        List<Seed> seeds = new ArrayList<>();
        byte[] gguf = ModelFileTest.goodGguf().build();
        seeds.add(new Seed("crafted.gguf", gguf, gguf.length));
        byte[] st = BadFiles.safetensors(ModelFileTest.GOOD_ST, 24);
        seeds.add(new Seed("crafted.safetensors", st, st.length));
        try {
            seeds.add(new Seed("zip.ckpt", ModelFileTest.zip("archive/data.pkl", "archive/data/0"), 0));
            // PyTorch's legacy (pre-zip) format: its magic number pickled, then the rest.
            seeds.add(new Seed("legacy.ckpt", new byte[] {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc,
                    (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19, 0x2e}, 0));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        // The real headers (first bytes up to the tensor data) of synthetic models: the GGUF made by
        // sd.cpp's own converter and the safetensors of several architectures.
        for (Path p : List.of(Fixtures.model(dev.sdjava.synthetic.Architecture.ESRGAN),
                Fixtures.model(dev.sdjava.synthetic.Architecture.TAESD),
                Fixtures.model(dev.sdjava.synthetic.Architecture.SD1_LORA))) {
            seeds.add(head(p));
        }
        seeds.add(head(Fixtures.sd1Gguf(WeightType.Q8_0)));
        seeds.replaceAll(s -> s.size() == 0 ? new Seed(s.name(), s.head(), s.head().length) : s);
        return seeds;
    }

    private static Seed head(Path p) {
        ModelFile m = ModelFile.read(p);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate((int) m.dataOffset()).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
                // read the header
            }
            return new Seed(p.getFileName().toString(), b.array(), m.fileSize());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(32, b.length); i++) {
            s.append(String.format("%02x", b[i]));
        }
        return s.toString();
    }
}
