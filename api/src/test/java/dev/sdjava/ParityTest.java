package dev.sdjava;

import dev.sdjava.synthetic.Architecture;
import dev.sdjava.synthetic.GgufType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The correctness oracle: the same job through the Java API and through upstream's sd-cli
 * (built from the same tree; same model file, parameters, seed and threads) must give exactly
 * the same pixels.
 */
class ParityTest {
    @TempDir
    static Path tmp;

    /** Contexts per model configuration, loaded once for all cases that share them. */
    private static final Map<String, StableDiffusion> CONTEXTS = new HashMap<>();
    /** What sd.cpp logged while each context loaded. */
    private static final Map<String, List<String>> LOAD_LOGS = new HashMap<>();

    @AfterAll
    static void closeContexts() {
        CONTEXTS.values().forEach(StableDiffusion::close);
    }

    /**
     * The model files of a case: a full checkpoint ({@code -m}), or separate components ({@code --diffusion-model},
     * {@code --vae}, {@code --clip_l}), each null when not given.
     */
    record Models(Path model, Path diffusionModel, Path vae, Path clipL) {
        static Models checkpoint(Path model) {
            return new Models(model, null, null, null);
        }

        /** The same files as a ModelConfig, with the test thread count. */
        ModelConfig.Builder config() {
            return ModelConfig.builder().threads(Fixtures.THREADS).model(model).diffusionModel(diffusionModel).vae(vae).clipL(clipL);
        }

        /** The same files as sd-cli switches. */
        List<String> cliArgs() {
            List<String> a = new ArrayList<>();
            addIf(a, "-m", model);
            addIf(a, "--diffusion-model", diffusionModel);
            addIf(a, "--vae", vae);
            addIf(a, "--clip_l", clipL);
            return a;
        }

        private static void addIf(List<String> a, String flag, Path p) {
            if (p != null) {
                a.addAll(List.of(flag, p.toString()));
            }
        }

        @Override
        public String toString() {
            return model + "|" + diffusionModel + "|" + vae + "|" + clipL;
        }
    }

    /**
     * One job: a name, the model switches (Java and CLI), the request, and lines sd.cpp must log when it loads the
     * model, in sdjava and in sd-cli alike (the version and prediction type it detected).
     */
    record Case(String name, Models models, Path taesd, List<Lora> loras, GenerationRequest request, List<String> loadLog) {
        Case(String name, Path model, Path taesd, List<Lora> loras, GenerationRequest request, List<String> loadLog) {
            this(name, Models.checkpoint(model), taesd, loras, request, loadLog);
        }

        Case(String name, Path model, Path taesd, List<Lora> loras, GenerationRequest request) {
            this(name, model, taesd, loras, request, List.of());
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Case txt(String name, GenerationRequest.Builder b) {
        return new Case(name, Fixtures.sd1(), null, List.of(), b.build());
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        for (SamplingMethod m : List.of(SamplingMethod.EULER, SamplingMethod.EULER_A, SamplingMethod.HEUN,
                SamplingMethod.DPMPP_2M, SamplingMethod.LCM)) {
            c.add(txt("sampler " + m, Fixtures.small("a red fox").samplingMethod(m)));
        }
        for (Scheduler s : List.of(Scheduler.KARRAS, Scheduler.EXPONENTIAL, Scheduler.SGM_UNIFORM)) {
            c.add(txt("scheduler " + s, Fixtures.small("a red fox").samplingMethod(SamplingMethod.EULER).scheduler(s)));
        }
        c.add(txt("cfg 1", Fixtures.small("a red fox").cfgScale(1f)));
        c.add(txt("cfg 7 + negative prompt", Fixtures.small("a red fox").cfgScale(7f).negativePrompt("blurry, dark")));
        c.add(txt("batch 2", Fixtures.small("a red fox").batchCount(2)));
        c.add(txt("clip skip 2", Fixtures.small("a red fox").clipSkip(2)));
        c.add(txt("non-square 96x64", Fixtures.small("a red fox").size(96, 64)));
        SdImage init = Fixtures.gradient(64, 64);
        c.add(txt("img2img strength 0.6", Fixtures.small("a red fox").initImage(init).strength(0.6f)));
        c.add(txt("inpaint", Fixtures.small("a red fox").initImage(init).mask(halfMask(64, 64)).strength(1f)));
        c.add(new Case("taesd", Fixtures.sd1(), Fixtures.model(Architecture.TAESD), List.of(), Fixtures.small("a red fox").build()));
        Path lora = Fixtures.model(Architecture.SD1_LORA);
        c.add(new Case("lora", Fixtures.sd1(), null, List.of(Lora.of(lora, 1f)), Fixtures.small("a red fox").lora(Lora.of(lora, 1f)).build()));
        // q8_0 written directly by the synthetic GGUF writer, q4_0 converted by sd.cpp: both load paths stay covered
        c.add(new Case("gguf q8_0 (direct writer)", Fixtures.sd1GgufDirect(GgufType.Q8_0), null, List.of(),
                Fixtures.small("a red fox").build()));
        c.add(new Case("gguf q4_0", Fixtures.sd1Gguf(WeightType.Q4_0), null, List.of(), Fixtures.small("a red fox").build()));
        // Other families, last: each is loaded alone (context() closes the previous model's contexts).
        c.add(new Case("sd2 v-prediction", Fixtures.model(Architecture.SD2), null, List.of(), Fixtures.family("a red fox").build(),
                List.of("Version: SD 2.x", "running in v-prediction mode")));
        c.add(new Case("sdxl vega", Fixtures.model(Architecture.SDXL_VEGA), null, List.of(), Fixtures.family("a red fox").build(),
                List.of("Version: SDXL (Vega)", "running in eps-prediction mode")));
        // FLUX.1 [schnell] from separate files (no T5-XXL: its 24 layers are not detected from the names, so a
        // synthetic one would be 4.8 billion parameters), at 8x8, the smallest size sd.cpp takes (a multiple of 8).
        Models flux = new Models(null, Fixtures.model(Architecture.FLUX_SCHNELL_DIT), Fixtures.model(Architecture.FLUX_VAE),
                Fixtures.model(Architecture.CLIP_L));
        c.add(new Case("flux.1 schnell, separate files", flux, null, List.of(), Fixtures.family("a red fox").size(8, 8).build(),
                List.of("Version: Flux", "flux: depth = 1, depth_single_blocks = 1, guidance_embed = false",
                        "running in Flux FLOW mode")));
        // FLUX.1 [dev] (guidance_in, --guidance) with a reference image, which is how FLUX.1 Kontext [dev] runs: it
        // has dev's layout, and sd.cpp adds the -r image's VAE latent as extra tokens. The 8x8 reference is resized
        // to the output's area rounded to 16 (16x16), sd-cli's default.
        Models fluxDev = new Models(null, Fixtures.model(Architecture.FLUX_DEV_DIT), flux.vae(), flux.clipL());
        c.add(new Case("flux.1 dev, kontext reference image", fluxDev, null, List.of(), Fixtures.family("make it red")
                .size(8, 8).distilledGuidance(3.5f).referenceImage(Fixtures.gradient(8, 8)).autoResizeReferenceImages(true)
                .build(), List.of("Version: Flux", "flux: depth = 1, depth_single_blocks = 1, guidance_embed = true")));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void javaMatchesUpstreamCli(Case k) throws Exception {
        StableDiffusion sd = context(k);
        List<GeneratedImage> java = sd.generate(k.request());
        Path dir = Files.createTempDirectory(tmp, k.name().replaceAll("\\W+", "_"));
        List<SdImage> cli = Fixtures.runCli(dir, cliArgs(k, sd, dir), k.request().batchCount() == null ? 1 : k.request().batchCount());
        String cliLog = Files.readString(dir.resolve("sd-cli.log"));
        for (String line : k.loadLog()) {
            assertTrue(cliLog.contains(line), k.name() + ": sd-cli did not log '" + line + "'");
            assertTrue(LOAD_LOGS.get(key(k)).stream().anyMatch(l -> l.contains(line)),
                    k.name() + ": sdjava's load did not log '" + line + "': " + LOAD_LOGS.get(key(k)));
        }
        assertEquals(cli.size(), java.size());
        for (int i = 0; i < cli.size(); i++) {
            SdImage j = java.get(i).image();
            assertEquals(cli.get(i).width(), j.width(), "width");
            assertEquals(cli.get(i).height(), j.height(), "height");
            assertArrayEquals(cli.get(i).pixels(), j.pixels(), k.name() + ": image " + i + " differs from sd-cli's");
            assertTrue(distinctValues(j) > 16, "image should not be flat");
        }
    }

    /**
     * Wan 2.1 T2V 1.3B (full size: sd.cpp accepts only 30 or 40 blocks) from two files, without a text encoder
     * (sd.cpp then conditions on zeros; the real umt5-xxl is 11 GB): 32x32, 5 frames (two latent frames),
     * 2 steps, CFG 1. Every frame equals sd-cli's {@code -M vid_gen} frame, and both log the detected model.
     */
    @Test
    void wanVideoMatchesUpstreamCli() throws Exception {
        synchronized (CONTEXTS) { // one big model in memory at a time
            closeContexts();
            CONTEXTS.clear();
        }
        Path dit = Fixtures.model(Architecture.WAN21_T2V_1_3B);
        Path vae = Fixtures.model(Architecture.WAN21_VAE);
        VideoRequest request = VideoRequest.builder("a lovely cat").size(32, 32).frames(5).steps(2).cfgScale(1f)
                .samplingMethod(SamplingMethod.EULER).seed(42).build();
        List<String> log = new ArrayList<>();
        GeneratedVideo java;
        try (StableDiffusion sd = Fixtures.capturingNativeLog(log, () -> StableDiffusion.load(ModelConfig.builder()
                .diffusionModel(dit).vae(vae).vaeDecodeOnly(false).threads(Fixtures.THREADS).build()))) {
            assertTrue(sd.supportsVideoGeneration());
            assertTrue(!sd.supportsImageGeneration());
            java = Fixtures.capturingNativeLog(log, () -> sd.generateVideo(request));
        }
        Path dir = Files.createTempDirectory(tmp, "wan");
        List<SdImage> cli = Fixtures.runCli(dir, List.of("-M", "vid_gen", "--diffusion-model", dit.toString(),
                "--vae", vae.toString(), "-t", String.valueOf(Fixtures.THREADS), "-p", request.prompt(),
                "-W", "32", "-H", "32", "--video-frames", "5", "--steps", "2", "--cfg-scale", "1",
                "--sampling-method", "euler", "-s", "42"), 5);
        String cliLog = Files.readString(dir.resolve("sd-cli.log"));
        for (String line : List.of("Version: Wan 2.x", "Wan2.1-T2V-1.3B", "generate_video 32x32x5")) {
            assertTrue(cliLog.contains(line), "sd-cli did not log '" + line + "'");
            assertTrue(log.stream().anyMatch(l -> l.contains(line)), "sdjava's run did not log '" + line + "'");
        }
        assertEquals(42, java.seed());
        assertEquals(5, java.frames().size());
        for (int i = 0; i < 5; i++) {
            SdImage j = java.frames().get(i);
            assertEquals(32, j.width());
            assertEquals(32, j.height());
            assertArrayEquals(cli.get(i).pixels(), j.pixels(), "frame " + i + " differs from sd-cli's");
            assertTrue(distinctValues(j) > 16, "frame " + i + " should not be flat");
        }
        assertNotEquals(java.frames().get(0), java.frames().get(1), "the frames of a video should differ");
    }

    @Test
    void reportedSeedReproducesTheImage() {
        StableDiffusion sd = Fixtures.sharedSd1();
        GenerationRequest random = GenerationRequest.builder("a red fox").size(64, 64).steps(2).build();
        GeneratedImage first = sd.generate(random).getFirst();
        GeneratedImage again = sd.generate(random.toBuilder().seed(first.seed()).build()).getFirst();
        assertEquals(first.image(), again.image(), "the reported seed must reproduce the image");
        GeneratedImage other = sd.generate(random.toBuilder().seed(first.seed() + 1).build()).getFirst();
        assertNotEquals(first.image(), other.image(), "a different seed should give a different image");
    }

    private static String key(Case k) {
        return k.models() + "|" + k.taesd();
    }

    /**
     * The context of the case's model, loaded once; a case on another model file closes the contexts before it,
     * so that only one of the big models is in memory at a time (the cases are ordered by model).
     */
    private static StableDiffusion context(Case k) {
        String key = key(k);
        synchronized (CONTEXTS) {
            if (!CONTEXTS.containsKey(key) && CONTEXTS.keySet().stream().noneMatch(x -> x.startsWith(k.models() + "|"))) {
                closeContexts();
                CONTEXTS.clear();
            }
            return CONTEXTS.computeIfAbsent(key, x -> {
                ModelConfig.Builder b = k.models().config();
                if (k.taesd() != null) {
                    b.taesd(k.taesd());
                }
                List<String> log = new ArrayList<>();
                StableDiffusion sd = Fixtures.capturingNativeLog(log, () -> StableDiffusion.load(b.build()));
                LOAD_LOGS.put(key, log);
                return sd;
            });
        }
    }

    /** Upstream CLI flags for the same job. */
    private static List<String> cliArgs(Case k, StableDiffusion sd, Path dir) throws Exception {
        GenerationRequest r = k.request();
        List<String> a = new ArrayList<>(k.models().cliArgs());
        a.addAll(List.of("-t", String.valueOf(Fixtures.THREADS)));
        Fixtures.requestFlags(a, r);
        String prompt = r.prompt();
        if (!k.loras().isEmpty()) {
            Lora l = k.loras().getFirst();
            a.addAll(List.of("--lora-model-dir", l.path().getParent().toString()));
            String stem = l.path().getFileName().toString().replaceFirst("\\.safetensors$", "");
            prompt = prompt + "<lora:" + stem + ":" + String.format(Locale.ROOT, "%s", l.multiplier()) + ">";
        }
        a.addAll(List.of("-p", prompt));
        if (!r.negativePrompt().isEmpty()) {
            a.addAll(List.of("-n", r.negativePrompt()));
        }
        if (r.samplingMethod() != null) {
            a.addAll(List.of("--sampling-method", r.samplingMethod().sdName()));
        }
        if (r.scheduler() != null) {
            a.addAll(List.of("--scheduler", r.scheduler().sdName()));
        }
        if (k.taesd() != null) {
            a.addAll(List.of("--taesd", k.taesd().toString()));
        }
        if (r.initImage() != null) {
            Path init = dir.resolve("init.png");
            r.initImage().writePng(init);
            a.addAll(List.of("-i", init.toString()));
            Fixtures.flag(a, "--strength", r.strength());
        }
        for (int i = 0; i < r.referenceImages().size(); i++) {
            Path ref = dir.resolve("ref" + i + ".png");
            r.referenceImages().get(i).writePng(ref);
            a.addAll(List.of("-r", ref.toString()));
        }
        if (!r.referenceImages().isEmpty() && !Boolean.TRUE.equals(r.autoResizeReferenceImages())) {
            a.add("--disable-auto-resize-ref-image"); // sd-cli resizes by default, the API does not
        }
        if (r.mask() != null) {
            Path mask = dir.resolve("mask.png");
            r.mask().writePng(mask);
            a.addAll(List.of("--mask", mask.toString()));
        }
        return a;
    }

    static SdImage halfMask(int w, int h) {
        byte[] px = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = w / 2; x < w; x++) {
                px[y * w + x] = (byte) 255;
            }
        }
        return new SdImage(w, h, 1, px);
    }

    static int distinctValues(SdImage img) {
        boolean[] seen = new boolean[256];
        int n = 0;
        for (byte b : img.pixels()) {
            if (!seen[b & 0xff]) {
                seen[b & 0xff] = true;
                n++;
            }
        }
        return n;
    }
}
