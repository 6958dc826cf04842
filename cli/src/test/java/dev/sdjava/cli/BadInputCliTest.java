package dev.sdjava.cli;

import dev.sdjava.Fixtures;
import dev.sdjava.SdImage;
import dev.sdjava.synthetic.Architecture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bad inputs of docs/RELIABILITY.md through {@code sdj generate}: each ends with its documented
 * exit code and exactly one error line ({@link Cli#expect}), in this JVM, which must survive them
 * all (the build fails on any hs_err file).
 */
class BadInputCliTest {
    @TempDir
    static Path dir;

    private static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static Path write(String name, byte[]... parts) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(p)) {
            for (byte[] b : parts) {
                out.write(b);
            }
        }
        return p;
    }

    /** A safetensors file: header length, JSON, {@code data} zero bytes. */
    private static Path safetensors(String name, String json, int data) throws IOException {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        return write(name, le64(j.length), j, new byte[data]);
    }

    private static byte[] ggufHead(long tensors, long kvs) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).put("GGUF".getBytes(StandardCharsets.US_ASCII))
                .putInt(3).putLong(tensors).putLong(kvs).array();
    }

    /** A GGUF tensor info: name "w", the dimensions, ggml type, offset 0. */
    private static byte[] tensorInfo(int type, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(8 + 1 + 4 + 8 * dims.length + 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(1).put((byte) 'w').putInt(dims.length);
        for (long d : dims) {
            b.putLong(d);
        }
        return b.putInt(type).putLong(0).array();
    }

    private static Path prefix(Path source, String name, long length) throws IOException {
        try (InputStream in = Files.newInputStream(source)) {
            return write(name, in.readNBytes((int) length));
        }
    }

    static Stream<Arguments> badModelFiles() throws IOException {
        Path sd1 = Fixtures.sd1();
        Path gguf = Fixtures.sd1Gguf(dev.sdjava.WeightType.Q8_0);
        byte[] noise = new byte[65536];
        new Random(7).nextBytes(noise);
        String ok = "\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}";
        Path unreadable = write("unreadable.safetensors", new byte[] {1});
        unreadable.toFile().setReadable(false, false);
        List<Arguments> cases = new ArrayList<>(List.of(
                Arguments.of("missing file", dir.resolve("nope.safetensors"), 3),
                Arguments.of("a directory", Files.createDirectories(dir.resolve("models.safetensors")), 3),
                // Root (as in CI) reads a mode-000 file anyway, which is then refused by content (4).
                Arguments.of("unreadable file", unreadable, Files.isReadable(unreadable) ? 4 : 3),
                Arguments.of("empty file", write("empty.safetensors"), 4),
                Arguments.of("random bytes .gguf", write("noise.gguf", noise), 4),
                Arguments.of("random bytes .safetensors", write("noise.safetensors", noise), 4),
                Arguments.of("random bytes .ckpt", write("noise.ckpt", noise), 4),
                Arguments.of("SD1 safetensors cut at 9 bytes", prefix(sd1, "cut9.safetensors", 9), 4),
                Arguments.of("SD1 safetensors cut in its header", prefix(sd1, "cuthead.safetensors", 77_604), 4),
                Arguments.of("SD1 safetensors cut after its header", prefix(sd1, "cutdata.safetensors", 155_208 + 1000), 4),
                Arguments.of("Q8_0 GGUF cut at 12 bytes", prefix(gguf, "cut12.gguf", 12), 4),
                Arguments.of("Q8_0 GGUF cut in its header", prefix(gguf, "cuthead.gguf", 57_072), 4),
                Arguments.of("safetensors offsets past the end", safetensors("past.safetensors",
                        "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4000]}}", 4), 4),
                Arguments.of("safetensors overlapping tensors", safetensors("overlap.safetensors", "{" + ok
                        + ",\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[2,6]}}", 6), 4),
                Arguments.of("safetensors absurd shape", safetensors("shape.safetensors",
                        "{\"a\":{\"dtype\":\"F16\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4), 4),
                Arguments.of("safetensors huge header length", write("hugeheader.safetensors", le64(1L << 62),
                        "{}".getBytes(StandardCharsets.US_ASCII)), 4),
                Arguments.of("safetensors entry not an object (aborts sd.cpp)", safetensors("notobject.safetensors",
                        "{\"t\":1}", 64), 4),
                Arguments.of("GGUF absurd tensor count", write("count.gguf", ggufHead(1L << 40, 0), new byte[64]), 4),
                Arguments.of("GGUF absurd string length", write("string.gguf", ggufHead(0, 1), le64(1L << 62),
                        new byte[64]), 4),
                Arguments.of("GGUF absurd dimensions", write("dims.gguf", ggufHead(1, 0),
                        tensorInfo(0, 1L << 32, 1L << 32), new byte[64]), 4),
                Arguments.of("GGUF unknown type", write("type.gguf", ggufHead(1, 0), tensorInfo(99, 4), new byte[64]), 4),
                Arguments.of("GGUF zero dimension (SIGFPE in sd.cpp)", write("zero.gguf", ggufHead(1, 0),
                        tensorInfo(0, 4, 0), new byte[64]), 4),
                Arguments.of("TAESD as the model", Fixtures.model(Architecture.TAESD), 4),
                Arguments.of("a LoRA as the model", Fixtures.model(Architecture.SD1_LORA), 4)));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: exit {2}")
    @MethodSource("badModelFiles")
    void badModelFileIsOneLineAndItsExitCode(String what, Path model, int code) {
        Cli r = Cli.run("generate", "-m", model.toString(), "-p", "x", "-W", "64", "-H", "64", "--steps", "1",
                "-t", "2", "-o", dir.resolve("never.png").toString()).expect(code);
        assertTrue(r.lastErr().startsWith("sdj generate: error: "), r.err());
        assertTrue(Files.notExists(dir.resolve("never.png")), "no output for " + what);
    }

    static Stream<Arguments> badParameters() {
        String longPrompt = "a".repeat(100_000);
        return Stream.of(
                Arguments.of("width 0", List.of("-W", "0")),
                Arguments.of("width -64", List.of("-W", "-64")),
                Arguments.of("width 65", List.of("-W", "65")),
                Arguments.of("width 2^20 (must fail fast)", List.of("-W", "1048576", "-H", "1048576")),
                Arguments.of("steps 0", List.of("--steps", "0")),
                Arguments.of("steps -1", List.of("--steps", "-1")),
                Arguments.of("steps 1,000,000", List.of("--steps", "1000000")),
                Arguments.of("cfg NaN", List.of("--cfg-scale", "NaN")),
                Arguments.of("cfg infinite", List.of("--cfg-scale", "Infinity")),
                Arguments.of("strength -0.1", List.of("--strength", "-0.1")),
                Arguments.of("strength 1.5", List.of("--strength", "1.5")),
                Arguments.of("batch 0", List.of("-b", "0")),
                Arguments.of("prompt of 100k chars", List.of("-p", longPrompt)),
                Arguments.of("prompt with NUL", List.of("-p", "a\u0000b")),
                Arguments.of("prompt with a lone high surrogate", List.of("-p", "a\ud800b")),
                Arguments.of("prompt with a lone low surrogate", List.of("-p", "a\udc00b")),
                Arguments.of("negative prompt with NUL", List.of("-n", "x\u0000")),
                Arguments.of("max-memory without a number", List.of("--max-memory", "2X")),
                Arguments.of("max-memory below 1 MiB", List.of("--max-memory", "512K")),
                Arguments.of("max-memory negative", List.of("--max-memory", "-1G")),
                Arguments.of("max-memory that no plan meets", List.of("--max-memory", "1G")));
    }

    @Test
    void maxMemoryErrorsSayWhatToDo() {
        List<String> args = List.of("generate", "-m", Fixtures.sd1().toString(), "-p", "x", "-W", "64", "-H", "64",
                "--steps", "1", "-o", dir.resolve("never.png").toString(), "--max-memory");
        Cli r = Cli.run(concat(args, "2X")).expect(2);
        assertTrue(r.lastErr().contains("must be a size such as 2G, 1.5G or 512M (K/M/G/T = 1024^n bytes), got 2X"), r.err());
        r = Cli.run(concat(args, "1G")).expect(2);
        assertTrue(r.lastErr().contains("maxMemory 1.00 GiB cannot be met for 64x64 images: the smallest plan "
                + "(diffusion flash attention, VAE tiling, q4_0 weights) needs an estimated "), r.err());
        assertTrue(r.lastErr().endsWith("or allow TAESD (maxMemoryTaesd)"), r.err());
    }

    private static String[] concat(List<String> a, String b) {
        List<String> all = new ArrayList<>(a);
        all.add(b);
        return all.toArray(String[]::new);
    }

    @ParameterizedTest(name = "{0}: exit 2")
    @MethodSource("badParameters")
    void badParameterIsAUsageErrorBeforeAnyLoad(String what, List<String> bad) {
        List<String> args = new ArrayList<>(List.of("generate", "-m", Fixtures.sd1().toString(), "-p", "x",
                "-W", "64", "-H", "64", "--steps", "1", "-t", "2", "-o", dir.resolve("never.png").toString()));
        args.addAll(bad);
        Cli r = Cli.run(args.toArray(String[]::new)).expect(2);
        assertTrue(r.lastErr().startsWith("sdj generate: "), what + ": " + r.err());
        assertTrue(Files.notExists(dir.resolve("never.png")), "no output for " + what);
    }

    @Test
    void missingLoraNamedInThePromptExits3() {
        Cli r = Cli.run("generate", "-m", Fixtures.sd1().toString(), "-p", "x<lora:nope:1>", "--lora-model-dir",
                dir.toString(), "-W", "64", "-H", "64", "--steps", "1").expect(3);
        assertTrue(r.lastErr().contains("nope"), r.err());
    }

    @Test
    void initImageAndMaskOfAnotherSizeAreResizedAsUpstreamDoes() throws IOException {
        Path init = dir.resolve("init32.png");
        Fixtures.gradient(32, 32).writePng(init);
        Path mask = dir.resolve("mask48.png");
        new SdImage(48, 48, 1, new byte[48 * 48]).writePng(mask);
        Path out = dir.resolve("resized.png");
        Cli.run("generate", "-m", Fixtures.sd1().toString(), "-p", "x", "-i", init.toString(), "--mask", mask.toString(),
                "-W", "64", "-H", "64", "--steps", "1", "-t", "2", "-o", out.toString()).expect(0);
        SdImage img = SdImage.read(out);
        assertEquals(64, img.width());
        assertEquals(64, img.height());
    }
}
