package dev.sdjava.cli;

import dev.sdjava.Fixtures;
import dev.sdjava.HiresUpscaler;
import dev.sdjava.PreviewMode;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;
import dev.sdjava.SdImage;
import dev.sdjava.WeightType;
import dev.sdjava.synthetic.Architecture;
import dev.sdjava.synthetic.GgufType;
import dev.sdjava.synthetic.Precision;
import dev.sdjava.synthetic.SyntheticModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every command except the generating ones, through picocli with captured output: results,
 * files and each error exit code that needs no generation (2, 3, 4).
 */
class CommandsTest {
    @TempDir
    Path tmp;

    private static String sd1() {
        return Fixtures.sd1().toString();
    }

    // ---- the root command ----

    @Test
    void versionPrintsSdjavaAndSdCppVersions() {
        Cli r = Cli.run("--version").expect(0);
        assertTrue(r.out().startsWith("sdjava "), r.out());
        assertTrue(r.out().contains("stable-diffusion.cpp pypi-0.4.7 (commit "), r.out());
    }

    @Test
    void noCommandPrintsUsageAndExits2() {
        Cli r = Cli.run();
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Usage: sdj"), r.err());
        assertTrue(r.err().contains("generate") && r.err().contains("demo") && r.err().contains("info"), r.err());
    }

    @Test
    void unknownOptionIsOneLineUsageErrorWithASuggestion() {
        Cli r = Cli.run("generate", "-m", sd1(), "--step", "2").expect(2);
        assertTrue(r.lastErr().startsWith("sdj generate: Unknown option") && r.lastErr().contains("'--step'"), r.err());
        assertTrue(r.lastErr().contains("did you mean --steps"), r.err());
    }

    @Test
    void helpOfGenerateListsUpstreamOptionNames() {
        Cli r = Cli.run("generate", "--help").expect(0);
        for (String o : new String[] {"-m, --model", "-p, --prompt", "-n, --negative-prompt", "--cfg-scale", "--sampling-method",
                "--scheduler", "--steps", "-W, --width", "-H, --height", "-s, --seed", "-b, --batch-count", "-o, --output",
                "--type", "-t, --threads", "--clip-skip", "--vae", "--taesd", "--rng", "-i, --init-img", "--strength",
                "--mask", "--control-net", "--control-image", "--control-strength", "--canny", "--lora-model-dir",
                "--lora", "--embd-dir", "--vae-tiling", "--diffusion-model", "--clip_l", "--clip_g", "--t5xxl"}) {
            assertTrue(r.out().contains(o), "help lacks " + o);
        }
    }

    /** Each enum option lists sd.cpp's names of its values in --help, and takes each of them back. */
    @Test
    void enumOptionsListAndTakeSdCppsNames() {
        String help = Cli.run("generate", "--help").expect(0).out().replaceAll("\\s", "");
        for (SdNames<?> names : List.of(new SdNames.Samplers(), new SdNames.Schedulers(), new SdNames.Rngs(),
                new SdNames.Predictions(), new SdNames.LoraModes(), new SdNames.Previews(), new SdNames.WeightTypes(),
                new SdNames.HiresUpscalers())) {
            List<String> listed = roundTrip(names);
            assertTrue(help.contains(String.join(",", listed).replaceAll("\\s", "")), "generate --help lacks " + listed);
        }
        assertEquals(SamplingMethod.values().length, roundTrip(new SdNames.Samplers()).size());
        assertEquals(Scheduler.values().length, roundTrip(new SdNames.Schedulers()).size());
        assertEquals(PreviewMode.values().length, roundTrip(new SdNames.Previews()).size());
        assertEquals(HiresUpscaler.values().length - 2, roundTrip(new SdNames.HiresUpscalers()).size(), "all but MODEL and NONE");
    }

    /** The names {@code names} lists, each converted to its value and back to the same name. */
    private static <E extends Enum<E>> List<String> roundTrip(SdNames<E> names) {
        List<String> listed = new ArrayList<>();
        for (String n : names) {
            assertEquals(n, names.sdName(names.convert(n)));
            listed.add(n);
        }
        assertFalse(listed.isEmpty(), names.getClass().getSimpleName());
        return listed;
    }

    /**
     * {@code --help} must work where the native library cannot load: a child JVM whose library
     * path points nowhere. Needs the API's enums to name their values without native code.
     */
    @Test
    void helpNeedsNoNativeLibrary() throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-Dsdjava.library.path=" + tmp.resolve("no-such-library"), "-cp",
                System.getProperty("java.class.path"), "dev.sdjava.cli.Sdj", "generate", "--help");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("help.txt").toFile());
        pb.environment().remove("SDJAVA_LIBRARY_PATH");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "sdj generate --help did not end");
        String help = Files.readString(tmp.resolve("help.txt"));
        assertEquals(0, p.exitValue(), help);
        assertTrue(help.contains("euler_a") && help.contains("karras") && help.contains("q8_0"), help);
    }

    // ---- system-info ----

    @Test
    void systemInfoNamesVersionsLibraryBackendAndDevices() {
        Cli r = Cli.run("system-info").expect(0);
        assertTrue(r.out().contains("sd.cpp version:     pypi-0.4.7"), r.out());
        assertTrue(r.out().contains("library:            /"), r.out());
        assertTrue(r.out().contains("libstable-diffusion"), r.out());
        assertTrue(r.out().contains("backend:            "), r.out());
        assertTrue(r.out().contains("device:             CPU (cpu: "), r.out());
        assertTrue(r.out().contains("physical cores:     "), r.out());
    }

    @Test
    void systemInfoJson() {
        Cli r = Cli.run("system-info", "--json").expect(0);
        String j = r.out().strip();
        assertTrue(j.startsWith("{\"sdjava\":") && j.endsWith("}"), j);
        assertTrue(j.contains("\"devices\":[{\"name\":\"CPU\""), j);
        assertEquals(1, r.out().strip().lines().count());
    }

    // ---- generate: the errors that need no generation ----

    @Test
    void generateWithoutModelExits2() {
        Cli r = Cli.run("generate", "-p", "x").expect(2);
        assertTrue(r.lastErr().contains("no model: give -m/--model"), r.err());
    }

    @Test
    void generateWithMissingModelFileExits3() {
        Cli r = Cli.run("generate", "-m", tmp.resolve("nope.safetensors").toString(), "-p", "x").expect(3);
        assertTrue(r.lastErr().contains("nope.safetensors does not exist"), r.err());
    }

    @Test
    void generateWithMissingInitImageExits3() {
        Cli r = Cli.run("generate", "-m", sd1(), "-i", tmp.resolve("init.png").toString()).expect(3);
        assertTrue(r.lastErr().contains("init image") && r.lastErr().contains("does not exist"), r.err());
    }

    @Test
    void generateWithUndecodableImageExits3() throws Exception {
        Path bad = Files.writeString(tmp.resolve("init.png"), "not a png");
        Cli r = Cli.run("generate", "-m", sd1(), "-i", bad.toString()).expect(3);
        assertTrue(r.lastErr().contains("not an image"), r.err());
    }

    /** sd-cli takes a .webp from --pm-id-images-dir; Java cannot decode it, so it is an error, not an image fewer. */
    @Test
    void generateWithWebpIdImageExits3() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("ids"));
        Files.writeString(dir.resolve("1.webp"), "RIFF....WEBP");
        Files.writeString(dir.resolve("notes.txt"), "not an image, skipped as by sd-cli");
        Cli r = Cli.run("generate", "-m", sd1(), "--photo-maker", sd1(), "--pm-id-images-dir", dir.toString(),
                "-p", "a man img").expect(3);
        assertTrue(r.lastErr().contains("1.webp") && r.lastErr().contains("not an image"), r.err());
    }

    @Test
    void generateWithMissingLoraOfAPromptTagExits3() {
        Cli r = Cli.run("generate", "-m", sd1(), "--lora-model-dir", tmp.toString(), "-p", "a fox <lora:absent:0.5>").expect(3);
        assertTrue(r.lastErr().contains("LoRA <lora:absent:0.5> not found"), r.err());
    }

    @Test
    void generateWithUnknownSamplerExits2NamingTheKnownOnes() {
        Cli r = Cli.run("generate", "-m", sd1(), "--sampling-method", "euler_x").expect(2);
        assertTrue(r.lastErr().contains("--sampling-method") && r.lastErr().contains("euler_a"), r.err());
    }

    /** Each bad step-cache value: exit 2 before anything loads, naming the flag and what it takes. */
    @Test
    void generateWithABadCacheFlagExits2NamingTheFlagAndTheAcceptedValues() {
        Cli r = Cli.run("generate", "-m", sd1(), "--cache-mode", "fastcache").expect(2);
        assertTrue(r.lastErr().startsWith("sdj generate: Invalid value for option '--cache-mode': unknown cache mode 'fastcache': "
                + "use one of disabled, easycache, ucache, dbcache, taylorseer, cache-dit, spectrum"), r.err());
        r = Cli.run("generate", "-m", sd1(), "--cache-mode", "ucache", "--cache-option", "threshold=0.2,speed=9").expect(2);
        assertEquals("sdj generate: error: --cache-option: unknown cache option 'speed': the keys are threshold, start, end, "
                + "decay, relative, reset, Fn, Bn, warmup, w, m, lam, window, flex, stop", r.lastErr());
        r = Cli.run("generate", "-m", sd1(), "--cache-mode", "ucache", "--cache-option", "start=soon").expect(2);
        assertEquals("sdj generate: error: --cache-option: cache option 'start=soon': 'soon' is not a number", r.lastErr());
        r = Cli.run("generate", "-m", sd1(), "--cache-mode", "ucache", "--cache-option", "threshold").expect(2);
        assertEquals("sdj generate: error: --cache-option: cache option 'threshold' is not key=value", r.lastErr());
        r = Cli.run("generate", "-m", sd1(), "--cache-mode", "spectrum", "--cache-option", "m=2.5").expect(2);
        assertEquals("sdj generate: error: --cache-option: cache option 'm=2.5': '2.5' is not an integer", r.lastErr());
        r = Cli.run("generate", "-m", sd1(), "--cache-mode", "ucache", "--cache-option", "threshold=-1").expect(2);
        assertEquals("sdj generate: error: --cache-option: the cache threshold must be >= 0, got -1.0", r.lastErr());
        r = Cli.run("generate", "-m", sd1(), "--cache-mode", "easycache", "--cache-option", "start=0.6,end=0.5").expect(2);
        assertTrue(r.lastErr().startsWith("sdj generate: error: --cache-option: the cache start must be below its end"), r.err());
        r = Cli.run("generate", "-m", sd1(), "--cache-mode", "ucache", "--cache-option", "end=1.5").expect(2);
        assertEquals("sdj generate: error: --cache-option: cache option 'end=1.5': endPercent must be a finite number in [0.0, 1.0], got 1.5", r.lastErr());
        r = Cli.run("generate", "-m", sd1(), "--cache-mode", "cache-dit", "--scm-mask", "1,1,2").expect(2);
        assertTrue(r.lastErr().startsWith("sdj generate: error: --scm-mask: the scm mask must be 0s and 1s separated by commas"), r.err());
        r = Cli.run("generate", "-m", sd1(), "--cache-mode", "cache-dit", "--scm-policy", "sometimes").expect(2);
        assertTrue(r.lastErr().startsWith("sdj generate: Invalid value for option '--scm-policy': must be dynamic or static, got sometimes"),
                r.err());
    }

    @Test
    void generateWithABadSizeOrListExits2NamingTheOption() {
        Cli r = Cli.run("generate", "-m", sd1(), "--vae-tiling", "--vae-tile-size", "32xz").expect(2);
        assertTrue(r.lastErr().startsWith("sdj generate: Invalid value for option '--vae-tile-size': must be N or XxY, got 32xz"), r.err());
        r = Cli.run("generate", "-m", sd1(), "--sigmas", "14.6,seven").expect(2);
        assertTrue(r.lastErr().contains("'--sigmas': 'seven' is not a number"), r.err());
    }

    /** picocli lets an option inside an @ArgGroup repeat (and drops the rest of its section): sdj does not. */
    @Test
    void generateWithAnOptionGivenTwiceExits2() {
        Cli r = Cli.run("generate", "-m", sd1(), "-W", "64", "-H", "64", "-W", "128").expect(2);
        assertTrue(r.lastErr().startsWith("sdj generate: option '--width' should be specified only once"), r.err());
        Cli.run("generate", "-m", sd1(), "--fa", "--fa").expect(2);
        Cli.run("generate", "-m", sd1(), "-t", "2", "--threads", "3").expect(2);
    }

    @Test
    void generateWithOutOfRangeValueExits2() {
        Cli r = Cli.run("generate", "-m", sd1(), "-W", "63").expect(2);
        assertTrue(r.lastErr().contains("width must be a multiple of 8"), r.err());
    }

    @Test
    void generateWithAFileThatIsNoModelExits4() throws Exception {
        Path png = tmp.resolve("picture.png");
        new SdImage(8, 8, 3, new byte[8 * 8 * 3]).writePng(png);
        Cli r = Cli.run("generate", "-m", png.toString(), "-p", "x").expect(4);
        assertTrue(r.lastErr().contains("picture.png"), r.err());
    }

    @Test
    void generateWithAModelSdCppRejectsExits4() {
        // A well-formed safetensors file, but a LoRA: sd.cpp finds no diffusion model in it.
        Path lora = Fixtures.model(Architecture.SD1_LORA);
        Cli r = Cli.run("generate", "-m", lora.toString(), "-p", "x", "-t", "2").expect(4);
        assertTrue(r.lastErr().startsWith("sdj generate: error: sd.cpp could not load " + lora), r.err());
        assertTrue(r.lastErr().contains("(sd.cpp: "), "the line should say what sd.cpp said: " + r.err());
    }

    @Test
    void verboseShowsSdCppsOwnLogAndDefaultDoesNot() {
        String lora = Fixtures.model(Architecture.SD1_LORA).toString();
        Cli quiet = Cli.run("generate", "-m", lora, "-p", "x", "-t", "2");
        assertEquals(4, quiet.code());
        assertFalse(quiet.err().contains("[sd.cpp INFO]"), quiet.err());
        Cli verbose = Cli.run("generate", "-v", "-m", lora, "-p", "x", "-t", "2");
        assertEquals(4, verbose.code());
        assertTrue(verbose.err().contains("[sd.cpp INFO] "), verbose.err());
        assertTrue(verbose.err().contains("[sd.cpp ERROR] "), verbose.err());
        assertTrue(verbose.err().contains("\tat dev.sdjava."), "-v prints the stack trace: " + verbose.err());
    }

    @Test
    void verboseAddsTheStackTrace() {
        Cli r = Cli.run("-v", "generate", "-m", tmp.resolve("nope.gguf").toString());
        assertEquals(3, r.code());
        assertTrue(r.err().contains("\tat dev.sdjava.cli."), r.err());
    }

    // ---- test-model ----

    @Test
    void testModelWritesTheSameFileAsTheTestFixtures() throws Exception {
        Path out = tmp.resolve("taesd.safetensors");
        Cli r = Cli.run("test-model", "--arch", "taesd", "--precision", "f16", "--seed", "42", "-o", out.toString()).expect(0);
        assertTrue(r.out().startsWith(out + "  taesd  "), r.out());
        assertArrayEquals(Files.readAllBytes(Fixtures.model(Architecture.TAESD)), Files.readAllBytes(out),
                "sdj test-model and the fixtures must write the same bytes");
        assertTrue(r.err().contains("the weights are random"), r.err());
    }

    @Test
    void testModelJsonAndOtherSeed() throws Exception {
        Path out = tmp.resolve("esrgan.safetensors");
        Cli r = Cli.run("test-model", "--arch", "esrgan-x4", "--seed", "7", "-o", out.toString(), "--json").expect(0);
        assertTrue(r.out().contains("\"arch\":\"esrgan-x4\"") && r.out().contains("\"seed\":7"), r.out());
        assertEquals(SyntheticModel.fileSize(Architecture.ESRGAN, Precision.F16, 7), Files.size(out));
    }

    @Test
    void testModelWritesGgufDirectly() throws Exception {
        Path out = tmp.resolve("lora.gguf");
        Cli r = Cli.run("test-model", "--arch", "sd1-lora", "--type", "q4_K", "-o", out.toString(), "--json").expect(0);
        assertTrue(r.out().contains("\"type\":\"q4_K\"") && r.out().contains("\"precision\":\"f16\""), r.out());
        Path api = SyntheticModel.writeGguf(Architecture.SD1_LORA, GgufType.Q4_K, Precision.F16, 42,
                tmp.resolve("api.gguf"), 1);
        assertArrayEquals(Files.readAllBytes(api), Files.readAllBytes(out), "sdj test-model --type and the API");
        Cli bad = Cli.run("test-model", "--arch", "sd1-lora", "--type", "q5_1").expect(2);
        assertTrue(bad.err().contains("unknown GGUF type 'q5_1'; known: f32, f16, bf16, q8_0, q4_0, q4_K"), bad.err());
    }

    @Test
    void testModelListsArchitectures() {
        Cli r = Cli.run("test-model", "--list").expect(0);
        assertEquals(Architecture.values().length, r.out().lines().count());
        assertTrue(r.out().contains("1,066,235,307 parameters"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("sd2 ") && l.contains("1,302,548,651 parameters")
                && l.contains("v-prediction")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("sdxl-vega ") && l.contains("1,646,599,787 parameters")), r.out());
    }

    @Test
    void testModelUnknownArchitectureExits2() {
        Cli r = Cli.run("test-model", "--arch", "sd9").expect(2);
        assertTrue(r.lastErr().contains("unknown architecture 'sd9'"), r.err());
    }

    // ---- info ----

    @Test
    void infoOnTheSyntheticSd1IsRightAndFast() {
        Path model = Fixtures.sd1();
        Cli.run("info", Fixtures.model(Architecture.TAESD).toString()); // class loading and JIT, as any first call
        long t0 = System.nanoTime();
        Cli r = Cli.run("info", model.toString()).expect(0);
        double ms = (System.nanoTime() - t0) / 1e6;
        System.out.printf(Locale.ROOT, "sdj info on the %.2f GB synthetic SD1: %.0f ms in-process%n", model.toFile().length() / 1e9, ms);
        assertTrue(r.out().contains("format:        safetensors"), r.out());
        assertTrue(r.out().contains("tensors:       1130"), r.out());
        assertTrue(r.out().contains("parameters:    1,066,235,307"), r.out());
        assertTrue(r.out().contains("types:         F16 1130"), r.out());
        assertTrue(r.out().contains("architecture:  SD 1.x\n"), r.out());
        assertTrue(r.out().contains("kind:          full checkpoint"), r.out());
        assertTrue(r.out().contains("contains:      diffusion model (UNet), text encoder (CLIP-L), VAE"), r.out());
        assertTrue(r.out().contains("needs:         nothing else"), r.out());
        assertTrue(r.out().contains("size:          2.13 GB"), r.out());
        assertTrue(ms < 2000, "sdj info took " + ms + " ms");
    }

    /**
     * Every synthetic family, as {@code sdj info} names it and what it says the file still needs; the base models'
     * names are the versions sd-cli reports for the same files ("Version: SD 2.x", "SDXL (Vega)", ...).
     */
    @ParameterizedTest
    @EnumSource(Architecture.class)
    void infoIdentifiesEverySyntheticFamily(Architecture arch) throws Exception {
        String expected = switch (arch) {
            case SD1 -> "SD 1.x, full checkpoint: needs nothing else";
            case SD2 -> "SD 2.x, full checkpoint: needs nothing else";
            case SDXL_VEGA -> "SDXL (Vega), full checkpoint: needs nothing else";
            case SD1_TINY -> "SD 1.x Tiny UNet, full checkpoint: needs nothing else";
            case SDXS -> "SDXS (512-DS), full checkpoint: needs nothing else";
            case TAESD -> "TAESD (tiny autoencoder), VAE (tiny): also needs a diffusion model";
            case SD1_LORA -> "LoRA for SD 1.x / 2.x, LoRA adapter: also needs a base model (SD 1.x / 2.x)";
            case SD1_CONTROLNET -> "ControlNet (SD 1.x), ControlNet: also needs a base model (SD 1.x), a control image";
            case ESRGAN -> "ESRGAN (RRDBNet, 4x), upscaler: also needs an image to enlarge";
            case FLUX_SCHNELL_DIT -> "FLUX.1 [schnell], diffusion model (needs other files): also needs --vae (ae.safetensors), --clip_l, --t5xxl";
            case FLUX_DEV_DIT -> "FLUX.1 [dev], diffusion model (needs other files): also needs --vae (ae.safetensors), --clip_l, --t5xxl";
            case CHROMA_DIT -> "Chroma, diffusion model (needs other files): also needs --vae (ae.safetensors), --t5xxl";
            case CHROMA_RADIANCE_DIT -> "Chroma Radiance, diffusion model (needs other files): also needs --t5xxl";
            case FLUX_VAE -> "VAE (16 latent channels: SD3/FLUX.1), VAE: also needs a diffusion model (SD3/FLUX.1)";
            case CLIP_L -> "CLIP-L text encoder, text encoder: also needs a diffusion model (FLUX.1, SD3 or SDXL)";
            case WAN21_T2V_1_3B -> "Wan (video), diffusion model (needs other files): also needs --vae (Wan VAE), --t5xxl (umt5-xxl)";
            case WAN21_VAE -> "Wan VAE (video, causal 3D), VAE: also needs a Wan or Qwen-Image diffusion model";
            case UMT5_XXL -> "umt5-xxl text encoder (Wan), text encoder: also needs a Wan diffusion model";
            case WAN22_TI2V_5B -> "Wan 2.2 TI2V 5B (video), diffusion model (needs other files): also needs --vae (Wan 2.2 VAE), --t5xxl (umt5-xxl)";
            case WAN22_T2V_A14B -> "Wan 14B (video: Wan 2.1 14B, or a Wan 2.2 A14B expert), diffusion model (needs other files): also needs --vae (Wan VAE), --t5xxl (umt5-xxl), --high-noise-diffusion-model (for Wan 2.2 A14B: its other expert)";
            case WAN22_VAE -> "Wan 2.2 VAE (video, causal 3D, 48 latent channels), VAE: also needs a Wan 2.2 TI2V 5B diffusion model";
            case QWEN3_4B_LLM -> "Qwen3 4B text encoder (1 layer), text encoder: also needs a diffusion model: Z-Image or FLUX.2 [klein] 4B (which reads layers 9, 18 and 27)";
            case QWEN3_4B_KLEIN_LLM -> "Qwen3 4B text encoder (27 layers), text encoder: also needs a diffusion model: Z-Image or FLUX.2 [klein] 4B (which reads layers 9, 18 and 27)";
            case QWEN3_1_7B_LLM -> "Qwen3 1.7B text encoder (28 layers), text encoder: also needs a diffusion model: Ovis-Image";
            case QWEN3_0_6B_LLM -> "Qwen3 0.6B text encoder (28 layers), text encoder: also needs a diffusion model: Anima";
            case QWEN2_5_VL_7B_LLM -> "Qwen2.5-VL 7B text encoder (1 layer), text encoder: also needs a diffusion model: Qwen-Image";
            case MISTRAL_SMALL_3_2_LLM -> "Mistral Small 3.2 24B text encoder (30 layers), text encoder: also needs a diffusion model: FLUX.2 [dev] (which reads layers 10, 20 and 30)";
            case MINISTRAL_3_3B_LLM -> "Ministral 3 3B text encoder (1 layer), text encoder: also needs a diffusion model: ERNIE-Image";
            case FLUX2_KLEIN_4B_DIT -> "FLUX.2 [klein] 4B, diffusion model (needs other files): also needs --vae (FLUX.2 VAE), --llm (Qwen3 4B)";
            case FLUX2_DEV_DIT -> "FLUX.2 [dev], diffusion model (needs other files): also needs --vae (FLUX.2 VAE), --llm (Mistral Small 3.2 24B)";
            case FLUX2_VAE -> "VAE (32 latent channels: FLUX.2), VAE: also needs a diffusion model (FLUX.2)";
            case QWEN_IMAGE_DIT -> "Qwen-Image / Qwen-Image-Edit, diffusion model (needs other files): also needs --vae (Qwen-Image VAE), --llm (Qwen2.5-VL 7B)";
            case QWEN25_VL_VISION -> "Qwen2.5-VL vision encoder, vision encoder: also needs a Qwen-Image-Edit diffusion model, --llm (Qwen2.5-VL 7B)";
            case Z_IMAGE_DIT -> "Z-Image, diffusion model (needs other files): also needs --vae (ae.safetensors), --llm (Qwen3 4B)";
            case OVIS_IMAGE_DIT -> "Ovis-Image, diffusion model (needs other files): also needs --vae (ae.safetensors), --llm (Qwen3 1.7B, of Ovis 2.5)";
            case ERNIE_IMAGE_DIT -> "ERNIE-Image, diffusion model (needs other files): also needs --vae (FLUX.2 VAE), --llm (Ministral 3 3B)";
            case ANIMA_DIT -> "Anima, diffusion model (needs other files): also needs --vae (Qwen-Image VAE), --llm (Qwen3 0.6B)";
            case SD3_MEDIUM_DIT -> "SD3 / SD3.5 (MMDiT), diffusion model (needs other files): also needs --clip_l, --clip_g, --t5xxl (optional: zeros without it), --vae";
            case SD35_MEDIUM_DIT -> "SD3 / SD3.5 (MMDiT), diffusion model (needs other files): also needs --clip_l, --clip_g, --t5xxl (optional: zeros without it), --vae";
            case SD35_LARGE_DIT -> "SD3 / SD3.5 (MMDiT), diffusion model (needs other files): also needs --clip_l, --clip_g, --t5xxl (optional: zeros without it), --vae";
            case CLIP_G -> "CLIP-G text encoder, text encoder: also needs a diffusion model (SD3 or SDXL)";
            case SDXL -> "SDXL, full checkpoint: needs nothing else";
            case SSD_1B -> "SDXL (SSD-1B), full checkpoint: needs nothing else";
            case SD1_INPAINT -> "SD 1.x Inpaint, full checkpoint: needs nothing else";
            case SD1_PIX2PIX -> "SD 1.x Instruct-Pix2Pix, full checkpoint: needs nothing else";
            case SDXL_INPAINT -> "SDXL Inpaint, full checkpoint: needs nothing else";
            case SDXL_PIX2PIX -> "SDXL Instruct-Pix2Pix, full checkpoint: needs nothing else";
            case PHOTOMAKER_V1 -> "PhotoMaker v1, ID encoder + UNet LoRA: also needs an SDXL model, --pm-id-images-dir";
            case PHOTOMAKER_V2 -> "PhotoMaker v2, ID encoder + UNet LoRA: also needs an SDXL model, --pm-id-images-dir, --pm-id-embed-path (id_embeds of face_detect.py)";
        };
        // The real header over a sparse file of the model's size: sdj info reads only the header, so the families of
        // several GB cost nothing here (the files themselves are proven by ParityTest and scripts/models.sh).
        Path file = SyntheticModel.writeHeaderOnly(arch, Precision.F16, SyntheticModel.DEFAULT_SEED,
                tmp.resolve(SyntheticModel.fileName(arch, Precision.F16, SyntheticModel.DEFAULT_SEED)));
        Cli r = Cli.run("info", file.toString()).expect(0);
        assertTrue(r.out().contains("summary:       " + expected + "\n"), r.out());
        assertTrue(r.out().contains("tensors:       " + arch.tensorCount() + "\n"), r.out());
        if (arch == Architecture.FLUX2_KLEIN_4B_DIT || arch == Architecture.FLUX2_DEV_DIT) {
            // As sd.cpp counts them; dev keeps all 48 single blocks, since single_blocks.47 is what makes it dev.
            String blocks = arch == Architecture.FLUX2_DEV_DIT ? "1 double + 48 single" : "1 double + 1 single";
            assertTrue(r.out().contains("contains:      diffusion model (DiT, " + blocks + " blocks)\n"), r.out());
        }
        if (arch == Architecture.WAN22_TI2V_5B) {
            // sd.cpp's log for the same file: "Wan2.2-TI2V-5B".
            assertTrue(r.out().contains("contains:      diffusion model (DiT, 30 blocks, 48 latent channels)\n"), r.out());
            assertTrue(r.out().contains("usage:         sdj video --diffusion-model " + file.getFileName()
                    + " --vae FILE --t5xxl FILE -p \"...\""), r.out());
        }
        if (arch == Architecture.ERNIE_IMAGE_DIT) {
            assertTrue(r.out().contains("contains:      diffusion model (DiT, 1 layers)\n"), r.out());
        }
        if (arch == Architecture.ANIMA_DIT) {
            assertTrue(r.out().contains("contains:      diffusion model (DiT, 1 blocks)\n"), r.out());
        }
        if (arch == Architecture.SD3_MEDIUM_DIT) {
            // sd.cpp's log for the same file: "MMDiT layers: 24 (including 0 MMDiT-x layers)".
            assertTrue(r.out().contains("contains:      diffusion model (MMDiT, 24 joint blocks, 0 MMDiT-X)\n"), r.out());
            assertTrue(r.out().contains("usage:         sdj generate --diffusion-model " + file.getFileName()
                    + " --clip_l FILE --clip_g FILE [--t5xxl FILE] --vae FILE -p \"...\" --cfg-scale 4.5 --sampling-method euler\n"), r.out());
        }
        if (arch == Architecture.SD35_MEDIUM_DIT) {
            assertTrue(r.out().contains("contains:      diffusion model (MMDiT, 24 joint blocks, 13 MMDiT-X)\n"), r.out());
        }
        if (arch == Architecture.SD1_INPAINT) {
            assertTrue(r.out().contains("usage:         sdj generate -m " + file.getFileName() + " -p \"...\" -i IMAGE --mask MASK\n"), r.out());
        }
        if (arch == Architecture.FLUX_SCHNELL_DIT) {
            // The block counts sd.cpp reads from the names (its log: "flux: depth = 1, depth_single_blocks = 1").
            assertTrue(r.out().contains("contains:      diffusion model (DiT, 1 double + 1 single blocks)\n"), r.out());
            assertTrue(r.out().contains("usage:         sdj generate --diffusion-model " + file.getFileName()
                    + " --vae FILE --clip_l FILE --t5xxl FILE -p \"...\" --cfg-scale 1.0 --sampling-method euler --steps 4\n"), r.out());
        }
        if (arch == Architecture.FLUX_DEV_DIT) {
            // Kontext [dev] is the same layout (nothing in the file tells them apart), so info says so.
            assertTrue(r.out().contains("contains:      diffusion model (DiT, 1 double + 1 single blocks; Kontext [dev] has"
                    + " this layout too)\n"), r.out());
        }
        if (arch == Architecture.CHROMA_DIT) {
            // docs/chroma.md: --cfg-scale 4.0; no --clip_l (T5-XXL is Chroma's only text encoder).
            assertTrue(r.out().contains("usage:         sdj generate --diffusion-model " + file.getFileName()
                    + " --vae FILE --t5xxl FILE -p \"...\" --cfg-scale 4.0 --sampling-method euler\n"), r.out());
        }
        if (arch == Architecture.CHROMA_RADIANCE_DIT) {
            assertTrue(r.out().contains("contains:      diffusion model (DiT in pixel space, no VAE, 1 double + 1 single"
                    + " blocks)\n"), r.out());
        }
    }

    /**
     * The families too big to write as synthetic models: a file with the tensor names sd.cpp's {@code get_sd_version}
     * tells them apart by (in the naming of each family's standalone diffusion-model file, one element each) is
     * named as sd.cpp would take it, with the files its docs/*.md put beside it.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "joint_blocks.0.x_block.attn.qkv.weight,x_embedder.proj.weight | SD3 / SD3.5 (MMDiT), diffusion model (needs other files): also needs --clip_l, --clip_g, --t5xxl (optional: zeros without it), --vae",
        "double_blocks.0.img_attn.qkv.weight,single_blocks.0.linear1.weight,guidance_in.in_layer.weight,img_in.weight | FLUX.1 [dev], diffusion model (needs other files): also needs --vae (ae.safetensors), --clip_l, --t5xxl",
        "double_blocks.0.img_attn.qkv.weight,distilled_guidance_layer.in_proj.weight,img_in.weight | Chroma, diffusion model (needs other files): also needs --vae (ae.safetensors), --t5xxl",
        "double_blocks.0.img_attn.qkv.weight,nerf_final_layer_conv.conv.weight | Chroma Radiance, diffusion model (needs other files): also needs --t5xxl",
        "double_stream_modulation_img.lin.weight,double_blocks.0.img_attn.qkv.weight,single_blocks.19.linear1.weight | FLUX.2 [klein], diffusion model (needs other files): also needs --vae (FLUX.2 VAE), --llm (Qwen3 4B or 8B)",
        "double_stream_modulation_img.lin.weight,double_blocks.0.img_attn.qkv.weight,single_blocks.47.linear1.weight | FLUX.2 [dev], diffusion model (needs other files): also needs --vae (FLUX.2 VAE), --llm (Mistral Small 3.2 24B)",
        "v.patch_embd.weight,v.blk.0.attn_q.weight,mm.0.weight | Qwen2.5-VL vision encoder, vision encoder: also needs a Qwen-Image-Edit diffusion model, --llm (Qwen2.5-VL 7B)",
        "model.embed_tokens.weight,model.layers.0.self_attn.q_proj.weight,visual.merger.ln_q.weight | LLM text encoder (1 layer), text encoder: also needs a diffusion model",
        "transformer_blocks.0.img_mod.1.weight,img_in.weight,__index_timestep_zero__ | Qwen-Image-Edit-2511, diffusion model (needs other files): also needs --vae (Qwen-Image VAE), --llm (Qwen2.5-VL 7B)",
        "transformer_blocks.0.img_mod.1.weight,img_in.weight | Qwen-Image / Qwen-Image-Edit, diffusion model (needs other files): also needs --vae (Qwen-Image VAE), --llm (Qwen2.5-VL 7B)",
        "cap_embedder.0.weight,layers.0.attention.qkv.weight | Z-Image, diffusion model (needs other files): also needs --vae (ae.safetensors), --llm (Qwen3 4B)",
        "double_blocks.0.img_mlp.gate_proj.weight,img_in.weight | Ovis-Image, diffusion model (needs other files): also needs --vae (ae.safetensors), --llm (Qwen3 1.7B, of Ovis 2.5)",
        "layers.0.adaLN_sa_ln.weight | ERNIE-Image, diffusion model (needs other files): also needs --vae (FLUX.2 VAE), --llm (Ministral 3 3B)",
        "llm_adapter.blocks.0.cross_attn.q_proj.weight,blocks.0.cross_attn.norm_k.weight | Anima, diffusion model (needs other files): also needs --vae (Qwen-Image VAE), --llm (Qwen3 0.6B)",
        "blocks.0.cross_attn.norm_k.weight,patch_embedding.weight | Wan (video), diffusion model (needs other files): also needs --vae (Wan VAE), --t5xxl (umt5-xxl)",
    })
    void infoNamesTheFamiliesTooBigToWrite(String names, String expected) throws Exception {
        Path file = tmp.resolve("family-" + Integer.toHexString(names.hashCode()) + ".safetensors");
        StringBuilder header = new StringBuilder("{");
        String[] list = names.split(",");
        for (int i = 0; i < list.length; i++) {
            header.append(i == 0 ? "" : ",").append('"').append(list[i]).append("\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[")
                    .append(2 * i).append(',').append(2 * i + 2).append("]}");
        }
        byte[] json = header.append('}').toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + json.length + 2 * list.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Files.write(file, b.array());
        Cli r = Cli.run("info", file.toString()).expect(0);
        assertTrue(r.out().contains("summary:       " + expected + "\n"), r.out());
    }

    @Test
    void infoRecognisesTheHelperModels() {
        assertTrue(Cli.run("info", Fixtures.model(Architecture.SD1_LORA).toString()).expect(0).out()
                .contains("architecture:  LoRA for SD 1.x / 2.x"));
        assertTrue(Cli.run("info", Fixtures.model(Architecture.TAESD).toString()).expect(0).out()
                .contains("architecture:  TAESD (tiny autoencoder)"));
        Cli esrgan = Cli.run("info", Fixtures.model(Architecture.ESRGAN).toString()).expect(0);
        assertTrue(esrgan.out().contains("architecture:  ESRGAN (RRDBNet, 4x)"), esrgan.out());
        assertTrue(esrgan.out().contains("usage:         sdj upscale --upscale-model"), esrgan.out());
    }

    @Test
    void infoOnGgufShowsItsQuantTypes() {
        Cli r = Cli.run("info", "--json", Fixtures.sd1Gguf(WeightType.Q8_0).toString()).expect(0);
        assertTrue(r.out().contains("\"format\":\"gguf\""), r.out());
        assertTrue(r.out().contains("\"Q8_0\":"), r.out());
        assertTrue(r.out().contains("\"architecture\":\"SD 1.x\""), r.out());
        assertTrue(r.out().contains("\"parameters\":1066235307"), r.out());
    }

    @Test
    void infoOnMissingFileExits3AndOnGarbageExits4() throws Exception {
        Cli.run("info", tmp.resolve("none.gguf").toString()).expect(3);
        Path junk = Files.writeString(tmp.resolve("junk.safetensors"), "this is not a model at all");
        Cli r = Cli.run("info", junk.toString()).expect(4);
        assertTrue(r.lastErr().contains("junk.safetensors"), r.err());
    }

    // ---- convert ----

    @Test
    void convertWritesGgufOfTheRequestedType() {
        Path out = tmp.resolve("lora-q8.gguf");
        Cli r = Cli.run("convert", "-m", Fixtures.model(Architecture.SD1_LORA).toString(), "--type", "q8_0", "-o", out.toString()).expect(0);
        assertTrue(r.out().startsWith(out + "  q8_0  "), r.out());
        Cli info = Cli.run("info", out.toString()).expect(0);
        assertTrue(info.out().contains("format:        gguf"), info.out());
        // sd.cpp quantizes the tensors whose rows fit q8_0's blocks (lora_down) and keeps the rest.
        assertTrue(info.out().contains("Q8_0 232"), info.out());
        assertTrue(info.out().contains("architecture:  LoRA for SD 1.x / 2.x"), info.out());
        assertFalse(tmp.toFile().list((d, n) -> n.contains(".tmp-")).length > 0, "temporary file left behind");
    }

    @Test
    void convertNeedsATypeAndAnInput() {
        Cli.run("convert", "-m", Fixtures.model(Architecture.TAESD).toString()).expect(2);
        Cli.run("convert", "-m", tmp.resolve("x.safetensors").toString(), "--type", "q8_0").expect(3);
        Cli r = Cli.run("convert", "-m", Fixtures.model(Architecture.TAESD).toString(), "--type", "q9_9").expect(2);
        assertTrue(r.lastErr().contains("--type"), r.err());
    }

    // ---- upscale ----

    @Test
    void upscaleEnlargesByTheModelsFactor() throws Exception {
        Path in = tmp.resolve("in.png");
        byte[] px = new byte[16 * 16 * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 7);
        }
        new SdImage(16, 16, 3, px).writePng(in);
        Path out = tmp.resolve("up.png");
        Cli r = Cli.run("upscale", "--upscale-model", Fixtures.model(Architecture.ESRGAN).toString(), "-i", in.toString(),
                "-o", out.toString(), "-t", "2").expect(0);
        assertEquals(out + "  64x64", r.out().strip());
        SdImage up = SdImage.read(out);
        assertEquals(64, up.width());
        assertEquals(64, up.height());
    }

    @Test
    void upscaleErrors() throws Exception {
        Path in = tmp.resolve("in.png");
        new SdImage(8, 8, 3, new byte[8 * 8 * 3]).writePng(in);
        Cli r0 = Cli.run("upscale", "-i", in.toString()).expect(2);
        assertTrue(r0.lastErr().startsWith("sdj upscale: Missing required option: '--upscale-model=FILE'"), r0.err());
        Cli.run("upscale", "--upscale-model", Fixtures.model(Architecture.ESRGAN).toString(), "-i", tmp.resolve("no.png").toString()).expect(3);
        Cli r = Cli.run("upscale", "--upscale-model", Fixtures.model(Architecture.TAESD).toString(), "-i", in.toString(),
                "-o", tmp.resolve("x.png").toString(), "-t", "2").expect(4);
        assertTrue(r.lastErr().contains("could not load the upscaler"), r.err());
    }
}
