package dev.sdjava;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every bad input of issue 7 given to the API: each fails with a specific exception before it can
 * reach a native abort, the JVM survives, and the shared context still makes the same pixels
 * afterwards. Cases marked "sd.cpp: abort" / "SIGFPE" crash upstream's own CLI (checked by hand
 * with target/native/cpu/bin/sd-cli; see docs/RELIABILITY.md).
 */
class BadInputTest {
    @TempDir
    static Path tmp;
    private static SdImage reference;
    private static final List<String> OUTCOMES = new ArrayList<>();

    @BeforeAll
    static void reference() {
        reference = stillAlive();
    }

    private static SdImage stillAlive() {
        return Fixtures.sharedSd1().generate(Fixtures.small("still alive").steps(1).build()).getFirst().image();
    }

    /** After all the bad inputs, the shared context is still usable and deterministic. */
    @AfterAll
    static void sharedContextStillMakesTheSamePixels() {
        assertEquals(reference, stillAlive());
    }

    @AfterAll
    static void printOutcomes() {
        System.out.println("| input | outcome |\n|---|---|");
        OUTCOMES.forEach(System.out::println);
    }

    // ---- model paths ----

    @Test
    void modelPathsThatAreNotModelFilesFailBeforeNativeCode() throws IOException {
        Path sd1 = Fixtures.sd1();
        ModelFile st = ModelFile.read(sd1);
        Path gguf = Fixtures.sd1Gguf(WeightType.Q8_0);
        ModelFile g = ModelFile.read(gguf);
        Path dir = Files.createDirectories(tmp.resolve("models"));

        badModel("missing file", dir.resolve("missing.safetensors"), "does not exist");
        badModel("a directory", dir, "is a directory");
        badModel("empty file", BadFiles.write(dir, "empty.safetensors", new byte[0]), "is empty");
        for (String ext : List.of("gguf", "safetensors", "ckpt")) {
            badModel("64 KiB of random bytes named ." + ext, BadFiles.random(dir, "random." + ext, 65536, 7), "not a model file");
        }
        for (long cut : new long[] {9, st.dataOffset() / 2, st.dataOffset() + 4096, st.fileSize() - 1}) {
            badModel("SD1 safetensors cut at byte " + cut,
                    BadFiles.truncated(sd1, st.dataOffset(), cut, dir.resolve("cut-" + cut + ".safetensors")), "");
        }
        for (long cut : new long[] {12, g.dataOffset() / 2, g.dataOffset() + 4096, g.fileSize() - 1}) {
            badModel("SD1 Q8_0 GGUF cut at byte " + cut,
                    BadFiles.truncated(gguf, g.dataOffset(), cut, dir.resolve("cut-" + cut + ".gguf")), "truncated");
        }
        String one = "{\"model.diffusion_model.out.2.bias\":{\"dtype\":\"F16\",\"shape\":%s,\"data_offsets\":%s}%s}";
        badModel("safetensors: data_offsets past the end", st(dir, one.formatted("[4]", "[0,800]", "")), "past the end");
        badModel("safetensors: overlapping tensors", st(dir, one.formatted("[4]", "[0,8]",
                ",\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[4,12]}")), "overlap");
        badModel("safetensors: absurd shape [2^32, 2^32]", st(dir, one.formatted("[4294967296,4294967296]", "[0,8]", "")), "absurd shape");
        badModel("safetensors: header length 2^62", BadFiles.write(dir, "h.safetensors",
                BadFiles.safetensorsWithLength(1L << 62, "{}", 64)), "absurd safetensors header length");
        badModel("safetensors: tensor entry not an object (sd.cpp: abort, uncaught json type_error)",
                st(dir, "{\"t\":1}"), "not a JSON object");
        badModel("safetensors: shape of strings (sd.cpp: abort)", st(dir, one.formatted("[\"4\"]", "[0,8]", "")), "shape");
        badModel("GGUF: tensor count 2^40", gg(dir, b -> b.tensorCountOverride = 1L << 40), "absurd tensor count");
        badModel("GGUF: key/value count 2^62", gg(dir, b -> b.kvCountOverride = 1L << 62), "absurd metadata count");
        badModel("GGUF: string length 2^62", gguf(dir, new BadFiles.Gguf().kvRaw("k", 8, BadFiles.le64(1L << 62))), "absurd length");
        badModel("GGUF: dimensions [2^32, 2^32]", gguf(dir, new BadFiles.Gguf().tensorAt("w", 0, 0, 1L << 32, 1L << 32)), "absurd shape");
        badModel("GGUF: a zero dimension (sd.cpp: SIGFPE)", gguf(dir, new BadFiles.Gguf().tensor("w", 0, 4, 4, 0)), "dimension 1 of 0");
        badModel("GGUF: unknown ggml type 99", gguf(dir, new BadFiles.Gguf().tensor("w", 99, 4, 4)), "unknown ggml type 99");
        badModel("GGUF: general.alignment a string (sd.cpp: GGML_ASSERT abort)",
                gguf(dir, new BadFiles.Gguf().kvString("general.alignment", "32").tensor("w", 0, 4, 4)), "must be a u32");
    }

    @Test
    void unreadableModelFile() throws IOException {
        Path p = BadFiles.random(tmp, "unreadable.safetensors", 4096, 3);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("---------"));
        if (isRoot()) {
            // root reads files whatever their mode bits, as sd.cpp would: the content decides.
            badModel("mode 000 file (tests run as root: readable anyway, refused by content)", p, "not a model file");
        } else {
            badModel("mode 000 file", p, "not readable");
        }
    }

    @Test
    void validFilesOfTheWrongKindAreRefusedBySdCppWithoutCrashing() {
        Path vaeAlone = BadFiles.subset(Fixtures.sd1(), List.of("first_stage_model."), tmp.resolve("vae-alone.safetensors"));
        wrongKind("the VAE alone (cut out of SD1) as model", Fixtures.config(vaeAlone), "get sd version");
        wrongKind("TAESD as model", Fixtures.config(Fixtures.model(dev.sdjava.synthetic.Architecture.TAESD)), "get sd version");
        wrongKind("the SD1 LoRA as model", Fixtures.config(Fixtures.model(dev.sdjava.synthetic.Architecture.SD1_LORA)), "get sd version");
        wrongKind("ESRGAN as model", Fixtures.config(Fixtures.model(dev.sdjava.synthetic.Architecture.ESRGAN)), "get sd version");
        wrongKind("the VAE alone as diffusionModel",
                ModelConfig.builder().diffusionModel(vaeAlone).threads(Fixtures.THREADS), "get sd version");
    }

    @Test
    void componentFilesAreCheckedLikeTheModel() {
        Path junk = BadFiles.random(tmp, "junk.safetensors", 4096, 11);
        Path sd1 = Fixtures.sd1();
        badComponent("random bytes as vae", "vae", () -> StableDiffusion.load(Fixtures.config(sd1).vae(junk).build()));
        badComponent("random bytes as taesd", "taesd", () -> StableDiffusion.load(Fixtures.config(sd1).taesd(junk).build()));
        badComponent("random bytes as controlNet", "controlNet",
                () -> StableDiffusion.load(Fixtures.config(sd1).controlNet(junk).build()));
        badComponent("random bytes as upscaler model", "upscaler model", () -> Upscaler.load(junk, 1, 128));
        StableDiffusion sd = Fixtures.sharedSd1();
        badComponent("missing LoRA file", "LoRA file",
                () -> sd.generate(Fixtures.small("x").lora(Lora.of(tmp.resolve("nope.safetensors"), 1)).build()));
        badComponent("random bytes as LoRA", "LoRA file", () -> sd.generate(Fixtures.small("x").lora(Lora.of(junk, 1)).build()));
        badComponent("LoRA with a tensor entry that aborts sd.cpp", "LoRA file",
                () -> sd.generate(Fixtures.small("x").lora(Lora.of(st(tmp, "{\"t\":1}"), 1)).build()));
    }

    @Test
    void aLoraOfTheWrongKindChangesNothing() {
        // sd.cpp warns "Only (0 / 134) LoRA tensors have been applied" and generates as without it.
        Path taesd = Fixtures.model(dev.sdjava.synthetic.Architecture.TAESD);
        SdImage with = Fixtures.sharedSd1().generate(Fixtures.small("still alive").steps(1).lora(Lora.of(taesd, 1)).build())
                .getFirst().image();
        assertEquals(reference, with);
        OUTCOMES.add("| TAESD given as a LoRA | generates; sd.cpp applies 0 of 134 tensors (warning); same pixels as without |");
    }

    // ---- parameters ----

    @Test
    void parametersOutOfRangeFailWhenSet() {
        var b = GenerationRequest.builder("x");
        param("width 0", "width", () -> b.width(0));
        param("width -64", "width", () -> b.width(-64));
        param("height 65 (not a multiple of 8)", "height", () -> b.height(65));
        param("size 1048576 x 1048576 (would need ~TBs)", "width", () -> b.size(1 << 20, 1 << 20));
        param("steps 0", "steps", () -> b.steps(0));
        param("steps -1", "steps", () -> b.steps(-1));
        param("steps 1,000,000", "steps", () -> b.steps(1_000_000));
        param("cfgScale NaN", "cfgScale", () -> b.cfgScale(Float.NaN));
        param("cfgScale +infinity", "cfgScale", () -> b.cfgScale(Float.POSITIVE_INFINITY));
        param("cfgScale -infinity", "cfgScale", () -> b.cfgScale(Float.NEGATIVE_INFINITY));
        param("strength -0.1", "strength", () -> b.strength(-0.1f));
        param("strength 1.5", "strength", () -> b.strength(1.5f));
        param("strength NaN", "strength", () -> b.strength(Float.NaN));
        param("batchCount 0", "batchCount", () -> b.batchCount(0));
        param("batchCount 1,000,000", "batchCount", () -> b.batchCount(1_000_000));
        param("threads 0", "threads", () -> ModelConfig.builder().threads(0));
        param("LoRA multiplier NaN", "multiplier", () -> Lora.of(tmp, Float.NaN));
    }

    @Test
    void imagesOfTheWrongSizeFailBeforeNativeCode() {
        StableDiffusion sd = Fixtures.sharedSd1();
        SdImage small = new SdImage(32, 32, 3, new byte[32 * 32 * 3]);
        SdImage right = new SdImage(64, 64, 3, new byte[64 * 64 * 3]);
        SdImage rightMask = new SdImage(64, 64, 1, new byte[64 * 64]);
        SdImage smallMask = new SdImage(32, 32, 1, new byte[32 * 32]);
        param("init image 32x32 for a 64x64 request", "initImage", () -> sd.generate(Fixtures.small("x").initImage(small).build()));
        param("mask 32x32 for a 64x64 request", "mask",
                () -> sd.generate(Fixtures.small("x").initImage(right).mask(smallMask).build()));
        param("mask without init image", "mask", () -> sd.generate(Fixtures.small("x").mask(rightMask).build()));
        param("control image 32x32 for a 64x64 request", "controlImage",
                () -> sd.generate(Fixtures.small("x").controlImage(small).build()));
    }

    @Test
    void promptTextThatCCannotCarryFails() {
        StableDiffusion sd = Fixtures.sharedSd1();
        param("prompt with a NUL character", "prompt", () -> sd.generate(Fixtures.small("a\0b").build()));
        param("prompt with an unpaired high surrogate", "prompt", () -> sd.generate(Fixtures.small("bad \uD800 x").build()));
        param("prompt with an unpaired low surrogate", "prompt", () -> sd.generate(Fixtures.small("bad \uDC00 x").build()));
        param("negative prompt with a NUL", "negativePrompt",
                () -> sd.generate(Fixtures.small("x").negativePrompt("n\0").build()));
        // A surrogate pair is fine.
        assertEquals(1, sd.generate(Fixtures.small("a fox \uD83E\uDD8A").steps(1).build()).size());
        OUTCOMES.add("| prompt with an emoji (valid surrogate pair) | generates |");
    }

    @Test
    void longPromptsFailCleanlyOrWorkWhateverTheCallersStack() throws Exception {
        String huge = "a red lighthouse on a cliff at dusk, ".repeat(3000).substring(0, 100_000);
        param("prompt of 100,000 chars", "prompt", () -> GenerationRequest.builder(huge));
        param("negative prompt of 100,000 chars", "negativePrompt", () -> GenerationRequest.builder("x").negativePrompt(huge));
        // 8,000 spaces: sd.cpp's prompt regexes recurse ~320 bytes per char (2.5 MiB here), more than
        // a default Java thread stack, yet the tokenizer collapses them, so this is the short prompt.
        // Run from a thread with only 256 KiB of stack: generation must not depend on the caller's stack.
        String spaced = "a lighthouse" + " ".repeat(8000) + "at dusk";
        StableDiffusion sd = Fixtures.sharedSd1();
        var out = new java.util.concurrent.atomic.AtomicReference<Object>();
        Thread small = new Thread(null, () -> {
            try {
                out.set(sd.generate(Fixtures.small(spaced).steps(1).build()).getFirst().image());
            } catch (Throwable t) {
                out.set(t);
            }
        }, "small-stack", 256 * 1024);
        small.start();
        small.join(600_000);
        assertTrue(out.get() instanceof SdImage, () -> "generation failed: " + out.get());
        assertEquals(sd.generate(Fixtures.small("a lighthouse at dusk").steps(1).build()).getFirst().image(), out.get(),
                "whitespace collapses to the same tokens");
        OUTCOMES.add("| prompt with a run of 8,000 spaces, from a thread with a 256 KiB stack (sd.cpp's regexes"
                + " need ~2.5 MiB: without sdjava's big native stack the JVM segfaults) | generates; same pixels as the"
                + " collapsed prompt |");
    }

    // ---- helpers ----

    private static void badModel(String input, Path file, String reason) {
        var e = assertThrows(InvalidModelFileException.class, () -> StableDiffusion.load(Fixtures.config(file).build()),
                () -> input + ": accepted");
        assertEquals("model", e.argument(), e.getMessage());
        assertEquals(file, e.file());
        assertTrue(e.reason().contains(reason), () -> input + ": expected \"" + reason + "\" in " + e.getMessage());
        OUTCOMES.add("| " + input + " | `InvalidModelFileException`: " + e.reason().replace("|", "\\|") + " |");
    }

    private static void wrongKind(String input, ModelConfig.Builder config, String logged) {
        var e = assertThrows(StableDiffusionException.class, () -> StableDiffusion.load(config.build()), () -> input + ": loaded");
        assertEquals(StableDiffusionException.Kind.MODEL_LOAD_FAILED, e.kind(), e.getMessage());
        assertTrue(String.join("\n", e.nativeLog()).contains(logged), () -> input + ": " + e.getMessage());
        OUTCOMES.add("| " + input + " | `StableDiffusionException(MODEL_LOAD_FAILED)`, sd.cpp: \"" + logged + "...\" |");
    }

    private static void badComponent(String input, String argument, Executable call) {
        var e = assertThrows(InvalidModelFileException.class, call, () -> input + ": accepted");
        assertEquals(argument, e.argument(), e.getMessage());
        OUTCOMES.add("| " + input + " | `InvalidModelFileException` (" + argument + "): " + e.reason() + " |");
    }

    private static void param(String input, String named, Executable call) {
        var e = assertThrows(IllegalArgumentException.class, call, () -> input + ": accepted");
        assertTrue(e.getMessage().contains(named), () -> input + ": message should name " + named + ": " + e.getMessage());
        OUTCOMES.add("| " + input + " | `IllegalArgumentException`: " + e.getMessage().replace("|", "\\|") + " |");
    }

    private static int counter;

    private static Path st(Path dir, String json) {
        return BadFiles.write(dir, "st-" + (counter++) + ".safetensors", BadFiles.safetensors(json, 64));
    }

    private static Path gguf(Path dir, BadFiles.Gguf g) {
        return BadFiles.write(dir, "g-" + (counter++) + ".gguf", g.build());
    }

    private interface Change {
        void apply(BadFiles.Gguf g);
    }

    private static Path gg(Path dir, Change c) {
        BadFiles.Gguf g = ModelFileTest.goodGguf();
        c.apply(g);
        return gguf(dir, g);
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
