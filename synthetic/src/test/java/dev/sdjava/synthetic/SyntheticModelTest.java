package dev.sdjava.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Fast tests of the synthetic model writer; nothing here needs the native library or writes a big file. */
class SyntheticModelTest {

    @TempDir
    Path tmp;

    /** The header of every architecture is valid safetensors JSON with contiguous, correctly sized tensors. */
    @ParameterizedTest
    @EnumSource(Architecture.class)
    void headerParses(Architecture arch) {
        for (Precision p : Precision.values()) {
            byte[] bytes = SafetensorsWriter.header(arch.tensors(), p, SyntheticModel.metadata(arch, p, 42));
            assertEquals(0, bytes.length % 8, "header padded to 8 bytes");
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(bytes.length - 8, n);
            SafetensorsReader.Header h = SafetensorsReader.parse(Arrays.copyOfRange(bytes, 8, bytes.length));
            assertEquals(arch.name(), h.metadata().get("sdjava.synthetic.architecture"));
            assertEquals(arch.tensorCount(), h.entries().size());
            long offset = 0;
            long params = 0;
            for (int i = 0; i < h.entries().size(); i++) {
                SafetensorsReader.Entry e = h.entries().get(i);
                TensorSpec t = arch.tensors().get(i);
                assertEquals(t.name(), e.name());
                assertArrayEquals(t.shape(), e.shape());
                assertEquals(p.safetensorsDtype(), e.dtype());
                assertEquals(offset, e.begin(), e.name());
                assertEquals(t.elementCount() * p.bytesPerElement(), e.end() - e.begin(), e.name());
                offset = e.end();
                params += t.elementCount();
            }
            assertEquals(arch.parameterCount(), params);
            assertEquals(SyntheticModel.fileSize(arch, p, 42), bytes.length + offset);
        }
    }

    @Test
    void sd1MatchesTheRealCheckpoint() {
        Architecture a = Architecture.SD1;
        assertEquals(1130, a.tensorCount());
        // v1-5-pruned-emaonly: UNet 859,520,964 + CLIP 123,060,480 + VAE 83,653,863
        assertEquals(1_066_235_307L, a.parameterCount());
        assertEquals(686, count(a, "model.diffusion_model."));
        assertEquals(196, count(a, "cond_stage_model.transformer.text_model."));
        assertEquals(248, count(a, "first_stage_model."));
        assertEquals(859_520_964L, params(a, "model.diffusion_model."));
        assertEquals(123_060_480L, params(a, "cond_stage_model."));
        assertEquals(83_653_863L, params(a, "first_stage_model."));
        assertShape(a, "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight", 49408, 768);
        assertShape(a, "model.diffusion_model.input_blocks.0.0.weight", 320, 4, 3, 3);
        assertShape(a, "model.diffusion_model.middle_block.1.proj_in.weight", 1280, 1280, 1, 1);
        assertShape(a, "model.diffusion_model.output_blocks.11.1.transformer_blocks.0.attn2.to_k.weight", 320, 768);
        assertShape(a, "model.diffusion_model.output_blocks.8.2.conv.weight", 640, 640, 3, 3);
        assertShape(a, "first_stage_model.decoder.conv_in.weight", 512, 4, 3, 3);
        assertShape(a, "first_stage_model.decoder.mid.attn_1.q.weight", 512, 512, 1, 1);
        assertTrue(SyntheticModel.fileSize(a, Precision.F16, 42) > 2_132_000_000L);
    }

    /**
     * SD 2.x: the SD 1.x UNet layout with linear projections and a 1024-wide context, OpenCLIP ViT-H/14 in its own
     * naming (sd-cli 90e87bc8 reads this file as "Version: SD 2.x" and "running in v-prediction mode").
     */
    @Test
    void sd2HasTheShapesSdCppDetects() {
        Architecture a = Architecture.SD2;
        assertEquals(1226, a.tensorCount());
        assertEquals(865_910_724L, params(a, "model.diffusion_model."));
        assertEquals(352_984_064L, params(a, "cond_stage_model."));
        assertEquals(83_653_863L, params(a, "first_stage_model."));
        // get_sd_version: token embedding 1024 wide + middle_block.1 present = VERSION_SD2
        assertShape(a, "cond_stage_model.model.token_embedding.weight", 49408, 1024);
        assertTrue(has(a, "model.diffusion_model.middle_block.1.norm.weight"));
        assertShape(a, "cond_stage_model.model.positional_embedding", 77, 1024);
        assertShape(a, "cond_stage_model.model.transformer.resblocks.23.attn.in_proj_weight", 3072, 1024);
        assertShape(a, "cond_stage_model.model.transformer.resblocks.23.mlp.c_fc.weight", 4096, 1024);
        assertShape(a, "model.diffusion_model.input_blocks.1.1.proj_in.weight", 320, 320);
        assertShape(a, "model.diffusion_model.output_blocks.11.1.transformer_blocks.0.attn2.to_k.weight", 320, 1024);
        TensorSpec bias = a.tensors().stream().filter(t -> t.name().equals("model.diffusion_model.out.2.bias"))
                .findFirst().orElseThrow();
        assertEquals(Tables.SD2_V_PREDICTION_BIAS, bias.constant());
        assertFalse(bias.isRandom());
    }

    /** SDXL Vega (sd-cli 90e87bc8 reads this file as "Version: SDXL (Vega)"). */
    @Test
    void sdxlVegaHasTheShapesSdCppDetects() {
        Architecture a = Architecture.SDXL_VEGA;
        assertEquals(1397, a.tensorCount());
        assertEquals(745_225_604L, params(a, "model.diffusion_model."));
        assertEquals(123_060_480L, params(a, "conditioner.embedders.0."));
        assertEquals(694_659_840L, params(a, "conditioner.embedders.1."));
        // get_sd_version: a UNet + conditioner.embedders.1 = SDXL; no middle_block.1 and no
        // output_blocks.3.1.transformer_blocks.1 = VERSION_SDXL_VEGA
        assertFalse(has(a, "model.diffusion_model.middle_block.1.norm.weight"));
        assertTrue(has(a, "model.diffusion_model.middle_block.0.in_layers.0.weight"));
        assertEquals(0, count(a, "model.diffusion_model.output_blocks.3.1.transformer_blocks.1"));
        assertTrue(has(a, "model.diffusion_model.output_blocks.0.1.transformer_blocks.1.attn1.to_q.weight"));
        assertEquals(0, count(a, "model.diffusion_model.input_blocks.1.1."));
        assertShape(a, "model.diffusion_model.label_emb.0.0.weight", 1280, 2816);
        assertShape(a, "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight", 640, 2048);
        assertShape(a, "conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight", 49408, 768);
        assertShape(a, "conditioner.embedders.1.model.token_embedding.weight", 49408, 1280);
        assertShape(a, "conditioner.embedders.1.model.transformer.resblocks.31.attn.in_proj_weight", 3840, 1280);
        assertShape(a, "conditioner.embedders.1.model.text_projection", 1280, 1280);
        assertShape(a, "first_stage_model.decoder.conv_in.weight", 512, 4, 3, 3);
    }

    /** The tensors sd.cpp's version detection (model.cpp get_sd_version) looks at. */
    @Test
    void variantsAreDetectableAsTheirVersion() {
        assertTrue(has(Architecture.SD1, "model.diffusion_model.middle_block.1.norm.weight"));
        assertFalse(has(Architecture.SD1_TINY, "model.diffusion_model.middle_block.1.norm.weight"));
        assertTrue(has(Architecture.SD1_TINY, "model.diffusion_model.output_blocks.7.1.norm.weight"));
        assertFalse(has(Architecture.SDXS, "model.diffusion_model.middle_block.0.in_layers.0.weight"));
        assertEquals(0, count(Architecture.SDXS, "model.diffusion_model.output_blocks.7.1"));
        assertTrue(has(Architecture.SDXS, "first_stage_model.decoder.layers.18.weight"));
        assertEquals(count(Architecture.TAESD, ""), count(Architecture.SDXS, "first_stage_model."));
        assertEquals(340, Architecture.SD1_CONTROLNET.tensorCount());
        assertEquals(264 * 3, Architecture.SD1_LORA.tensorCount());
        assertTrue(has(Architecture.ESRGAN, "conv_up2.weight"));
        assertTrue(has(Architecture.ESRGAN, "body.0.rdb3.conv5.weight"));
        for (Architecture a : Architecture.values()) {
            Set<String> names = new HashSet<>();
            a.tensors().forEach(t -> assertTrue(names.add(t.name()), t.name()));
        }
    }

    /**
     * The FLUX.1 variants carry the names sd.cpp tells them apart by (flux.hpp FluxRunner, model.cpp
     * get_sd_version): guidance_in for dev, distilled_guidance_layer and no per-block modulation for Chroma,
     * nerf_final_layer_conv and img_in_patch for Chroma1-Radiance; schnell's table is unchanged (48 tensors, the
     * cached file stays valid).
     */
    @Test
    void fluxVariantsAreDetectableAsTheirVersion() {
        assertEquals(48, Architecture.FLUX_SCHNELL_DIT.tensorCount());
        assertEquals(535_318_336L, Architecture.FLUX_SCHNELL_DIT.parameterCount());
        assertFalse(has(Architecture.FLUX_SCHNELL_DIT, "guidance_in.in_layer.weight"));
        assertTrue(has(Architecture.FLUX_DEV_DIT, "guidance_in.in_layer.weight"));
        assertEquals(Architecture.FLUX_SCHNELL_DIT.tensorCount() + 4, Architecture.FLUX_DEV_DIT.tensorCount());
        for (Architecture a : new Architecture[] {Architecture.CHROMA_DIT, Architecture.CHROMA_RADIANCE_DIT}) {
            assertTrue(has(a, "distilled_guidance_layer.in_proj.weight"), a.name());
            // 5 layers (fixed in code): an RMS norm and an MLP embedder (in_layer, out_layer: weight and bias) each
            assertEquals(5, count(a, "distilled_guidance_layer.norms."), a.name());
            assertEquals(5 * 4, count(a, "distilled_guidance_layer.layers."), a.name());
            assertEquals(0, count(a, "time_in.") + count(a, "vector_in.") + count(a, "guidance_in."), a.name());
            assertFalse(has(a, "double_blocks.0.img_mod.lin.weight"), a.name());
            assertFalse(has(a, "single_blocks.0.modulation.lin.weight"), a.name());
            assertFalse(has(a, "final_layer.adaLN_modulation.1.weight"), a.name());
        }
        assertTrue(has(Architecture.CHROMA_DIT, "final_layer.linear.weight"));
        assertFalse(has(Architecture.CHROMA_DIT, "nerf_final_layer_conv.conv.weight"));
        assertTrue(has(Architecture.CHROMA_RADIANCE_DIT, "nerf_final_layer_conv.conv.weight"));
        assertEquals(0, count(Architecture.CHROMA_RADIANCE_DIT, "final_layer.") + count(Architecture.CHROMA_RADIANCE_DIT, "img_in."));
        assertShape(Architecture.CHROMA_RADIANCE_DIT, "img_in_patch.weight", 3072, 3, 16, 16);
        assertEquals(4, count(Architecture.CHROMA_RADIANCE_DIT, "nerf_blocks.") / 3);
        assertShape(Architecture.CHROMA_RADIANCE_DIT, "nerf_blocks.3.param_generator.weight", 3 * 64 * 64 * 4, 3072);
    }

    /** SD3 and the SDXL / SD 1.x UNet variants, as sd.cpp's constructors and get_sd_version see them. */
    @Test
    void sd3AndUnetVariantsMatchSdCpp() {
        // The SDXL base UNet of sd_xl_base_1.0.safetensors has 2,567,463,684 parameters.
        assertEquals(2_567_463_684L, params(Architecture.SDXL, "model.diffusion_model."));
        assertTrue(has(Architecture.SDXL, "model.diffusion_model.middle_block.1.transformer_blocks.9.attn1.to_q.weight"));
        // SSD-1B: no middle attention; output_blocks.3.1 two deep (what tells it from Vega), 4.1 and 5.1 one deep.
        assertEquals(0, count(Architecture.SSD_1B, "model.diffusion_model.middle_block.1."));
        assertTrue(has(Architecture.SSD_1B, "model.diffusion_model.output_blocks.3.1.transformer_blocks.1.attn1.to_q.weight"));
        assertFalse(has(Architecture.SSD_1B, "model.diffusion_model.output_blocks.4.1.transformer_blocks.1.attn1.to_q.weight"));
        assertTrue(has(Architecture.SSD_1B, "model.diffusion_model.input_blocks.8.1.transformer_blocks.3.attn1.to_q.weight"));
        assertFalse(has(Architecture.SSD_1B, "model.diffusion_model.input_blocks.8.1.transformer_blocks.4.attn1.to_q.weight"));
        assertTrue(has(Architecture.SSD_1B, "model.diffusion_model.output_blocks.2.1.transformer_blocks.9.attn1.to_q.weight"));
        assertFalse(has(Architecture.SSD_1B, "model.diffusion_model.output_blocks.1.1.transformer_blocks.4.attn1.to_q.weight"));
        // SD3: 24 joint blocks of width 64 x 24; the last context block is pre-only (qkv and a 2-way modulation).
        assertTrue(has(Architecture.SD3_MEDIUM_DIT, "joint_blocks.23.x_block.mlp.fc2.weight"));
        assertEquals(0, count(Architecture.SD3_MEDIUM_DIT, "joint_blocks.24."));
        assertShape(Architecture.SD3_MEDIUM_DIT, "joint_blocks.0.x_block.attn.qkv.weight", 3 * 1536, 1536);
        assertFalse(has(Architecture.SD3_MEDIUM_DIT, "joint_blocks.23.context_block.attn.proj.weight"));
        assertShape(Architecture.SD3_MEDIUM_DIT, "joint_blocks.23.context_block.adaLN_modulation.1.weight", 2 * 1536, 1536);
        assertShape(Architecture.SD3_MEDIUM_DIT, "pos_embed", 1, 36864, 1536);
        // SD3.5 Medium: attn2 (9-way modulation) in blocks 0-12, q/k norms of 64, the doubled position table.
        assertShape(Architecture.SD35_MEDIUM_DIT, "joint_blocks.12.x_block.adaLN_modulation.1.weight", 9 * 1536, 1536);
        assertFalse(has(Architecture.SD35_MEDIUM_DIT, "joint_blocks.13.x_block.attn2.qkv.weight"));
        assertShape(Architecture.SD35_MEDIUM_DIT, "joint_blocks.23.context_block.attn.ln_k.weight", 64);
        assertShape(Architecture.SD35_MEDIUM_DIT, "pos_embed", 1, 4 * 36864, 1536);
        // SD3.5 Large: 38 blocks, so width 64 x 38.
        assertShape(Architecture.SD35_LARGE_DIT, "joint_blocks.37.x_block.mlp.fc1.weight", 4 * 2432, 2432);
        assertEquals(0, count(Architecture.SD35_LARGE_DIT, "joint_blocks.38."));
        assertShape(Architecture.CLIP_G, "text_projection.weight", 1280, 1280);
        assertShape(Architecture.SD1_INPAINT, "model.diffusion_model.input_blocks.0.0.weight", 320, 9, 3, 3);
        assertShape(Architecture.SD1_PIX2PIX, "model.diffusion_model.input_blocks.0.0.weight", 320, 8, 3, 3);
        assertEquals(Architecture.SD1.tensorCount(), Architecture.SD1_INPAINT.tensorCount());
        assertShape(Architecture.SDXL_INPAINT, "model.diffusion_model.input_blocks.0.0.weight", 320, 9, 3, 3);
        assertShape(Architecture.SDXL_PIX2PIX, "model.diffusion_model.input_blocks.0.0.weight", 320, 8, 3, 3);
        assertEquals(Architecture.SDXL.parameterCount() + 5 * 320 * 9, Architecture.SDXL_INPAINT.parameterCount());
    }

    @Test
    void writtenFileParsesAndHasTheDocumentedValues(@TempDir Path dir) throws IOException {
        Path f = SyntheticModel.write(Architecture.ESRGAN, Precision.F32, 7, dir.resolve("esrgan.safetensors"));
        SafetensorsReader.Header h = SafetensorsReader.read(f);
        long dataEnd = h.entries().get(h.entries().size() - 1).end();
        assertEquals(h.dataStart() + dataEnd, Files.size(f));
        assertEquals(SyntheticModel.fileSize(Architecture.ESRGAN, Precision.F32, 7), Files.size(f));

        // conv_body.weight: [64, 64, 3, 3], std = 0.85 / sqrt(576)
        float[] w = SafetensorsReader.floats(f, h, h.get("conv_body.weight"));
        double mean = 0;
        double sq = 0;
        float maxAbs = 0;
        for (float v : w) {
            mean += v;
            sq += (double) v * v;
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        mean /= w.length;
        double std = Math.sqrt(sq / w.length - mean * mean);
        double expected = 0.85 / Math.sqrt(64 * 9);
        assertEquals(0, mean, expected * 0.05);
        assertEquals(expected, std, expected * 0.03);
        assertTrue(maxAbs <= expected * Math.sqrt(12) * 1.0001, "bounded by sqrt(12) std");
        for (float v : SafetensorsReader.floats(f, h, h.get("conv_body.bias"))) {
            assertEquals(0f, v);
        }
        for (float v : SafetensorsReader.floats(f, h, h.get("conv_last.bias"))) {
            assertEquals(0.5f, v);
        }
        // the values are those of the documented generator
        TensorSpec spec = Architecture.ESRGAN.tensors().stream()
                .filter(t -> t.name().equals("conv_body.weight")).findFirst().orElseThrow();
        long key = SafetensorsWriter.tensorKey(7, spec.name());
        for (int i : new int[] {0, 1, 1000, w.length - 1}) {
            assertEquals(SafetensorsWriter.value(spec, key, i), w[i]);
        }
    }

    @Test
    void normScalesAreOneAndLowerPrecisionsRound(@TempDir Path dir) throws IOException {
        Path f32 = SyntheticModel.write(Architecture.TAESD, Precision.F32, 1, dir.resolve("a.safetensors"));
        Path f16 = SyntheticModel.write(Architecture.TAESD, Precision.F16, 1, dir.resolve("b.safetensors"));
        Path bf16 = SyntheticModel.write(Architecture.TAESD, Precision.BF16, 1, dir.resolve("c.safetensors"));
        SafetensorsReader.Header h32 = SafetensorsReader.read(f32);
        SafetensorsReader.Header h16 = SafetensorsReader.read(f16);
        SafetensorsReader.Header hb = SafetensorsReader.read(bf16);
        String name = "decoder.layers.2.conv.0.weight";
        float[] a = SafetensorsReader.floats(f32, h32, h32.get(name));
        float[] b = SafetensorsReader.floats(f16, h16, h16.get(name));
        float[] c = SafetensorsReader.floats(bf16, hb, hb.get(name));
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(a[i])), b[i]);
            assertEquals(a[i], c[i], Math.abs(a[i]) / 128 + 1e-30);
        }

        Path sd = SyntheticModel.write(Architecture.SD1_LORA, Precision.F16, 1, dir.resolve("l.safetensors"));
        SafetensorsReader.Header hl = SafetensorsReader.read(sd);
        SafetensorsReader.Entry alpha = hl.get("lora_te_text_model_encoder_layers_0_mlp_fc1.alpha");
        assertEquals(0, alpha.shape().length);
        assertEquals(4f, SafetensorsReader.floats(sd, hl, alpha)[0]);
        assertArrayEquals(new long[] {4, 320, 1, 1},
                hl.get("lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight").shape());
    }

    @Test
    void bytesAreDeterministicWhateverTheThreadCount(@TempDir Path dir) throws IOException {
        for (Architecture a : List.of(Architecture.TAESD, Architecture.SD1_LORA)) {
            Path one = SyntheticModel.write(a, Precision.F16, 42, dir.resolve(a + "-1.safetensors"), 1);
            Path three = SyntheticModel.write(a, Precision.F16, 42, dir.resolve(a + "-3.safetensors"), 3);
            Path again = SyntheticModel.write(a, Precision.F16, 42, dir.resolve(a + "-d.safetensors"));
            Path other = SyntheticModel.write(a, Precision.F16, 43, dir.resolve(a + "-o.safetensors"));
            byte[] x = Files.readAllBytes(one);
            assertArrayEquals(x, Files.readAllBytes(three));
            assertArrayEquals(x, Files.readAllBytes(again));
            byte[] y = Files.readAllBytes(other);
            assertEquals(x.length, y.length);
            assertFalse(Arrays.equals(x, y), "another seed gives other weights");
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp files left");
        }
    }

    /**
     * Pins the generator and the tables: when this fails because the values or tensors changed on purpose, bump
     * {@link SyntheticModel#GENERATOR_VERSION} (so caches are not reused) and update the expected values.
     */
    @Test
    void generatorIsPinned(@TempDir Path dir) throws Exception {
        assertEquals(1, SyntheticModel.GENERATOR_VERSION, "update the pinned values below with the version");
        long key = SafetensorsWriter.tensorKey(42, "conv_first.weight");
        int[] sums = new int[4];
        for (int i = 0; i < sums.length; i++) {
            sums[i] = SafetensorsWriter.centeredSum(key, i);
        }
        assertArrayEquals(new int[] {25262, -57966, -15790, 56925}, sums);
        Path f = SyntheticModel.write(Architecture.TAESD, Precision.F16, 42, dir.resolve("taesd.safetensors"));
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
        assertEquals("1ca04c8ac2006d58b87a18b54e2e79608d203d21c4b2977a0361031ae379e583",
                HexFormat.of().formatHex(digest));
    }

    @Test
    void cacheWritesOnceAndReuses(@TempDir Path dir) throws Exception {
        Path first = SyntheticModel.cached(Architecture.ESRGAN, Precision.F16, 5, dir);
        assertEquals(dir.toAbsolutePath().resolve(SyntheticModel.fileName(Architecture.ESRGAN, Precision.F16, 5)),
                first);
        assertEquals("esrgan-x4-f16-s5-g" + SyntheticModel.GENERATOR_VERSION + ".safetensors",
                first.getFileName().toString());
        FileTime old = FileTime.fromMillis(1_000_000_000L);
        Files.setLastModifiedTime(first, old);
        assertEquals(first, SyntheticModel.cached(Architecture.ESRGAN, Precision.F16, 5, dir));
        assertEquals(old, Files.getLastModifiedTime(first), "reused, not rewritten");

        // a truncated file is replaced
        byte[] good = Files.readAllBytes(first);
        Files.write(first, Arrays.copyOf(good, 100));
        assertArrayEquals(good, Files.readAllBytes(SyntheticModel.cached(Architecture.ESRGAN, Precision.F16, 5, dir)));

        // concurrent callers all get the same complete file
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Path>> jobs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                jobs.add(() -> SyntheticModel.cached(Architecture.TAESD, Precision.F16, 5, dir));
            }
            Set<Path> paths = new HashSet<>();
            for (Future<Path> f : pool.invokeAll(jobs)) {
                paths.add(f.get());
            }
            assertEquals(1, paths.size());
            Path p = paths.iterator().next();
            assertEquals(SyntheticModel.fileSize(Architecture.TAESD, Precision.F16, 5), Files.size(p));
        } finally {
            pool.shutdownNow();
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp files left");
        }
    }

    @Test
    void cacheDirectoryFollowsTheSystemProperty() {
        String old = System.getProperty(SyntheticModel.CACHE_PROPERTY);
        try {
            System.setProperty(SyntheticModel.CACHE_PROPERTY, tmp.toString());
            assertEquals(tmp, SyntheticModel.cacheDirectory());
            System.clearProperty(SyntheticModel.CACHE_PROPERTY);
            if (System.getenv(SyntheticModel.CACHE_ENV) == null) {
                assertEquals(Path.of(System.getProperty("user.home"), ".cache", "sdjava", "models"),
                        SyntheticModel.cacheDirectory());
            }
        } finally {
            if (old == null) {
                System.clearProperty(SyntheticModel.CACHE_PROPERTY);
            } else {
                System.setProperty(SyntheticModel.CACHE_PROPERTY, old);
            }
        }
    }

    @Test
    void fileNamesAreDistinctAndUsableAsLoraNames() {
        Set<String> names = new HashSet<>();
        for (Architecture a : Architecture.values()) {
            for (Precision p : Precision.values()) {
                String n = SyntheticModel.fileName(a, p, 42);
                assertTrue(n.matches("[a-z0-9.-]+"), n);
                assertTrue(names.add(n), n);
            }
        }
        assertNotEquals(SyntheticModel.fileName(Architecture.SD1, Precision.F16, 1),
                SyntheticModel.fileName(Architecture.SD1, Precision.F16, 2));
    }

    /**
     * Qwen-Image's DiT has the names and shapes sd.cpp's QwenImageModel builds (one block: it counts them) and the
     * modulation biases that let the conditioning through; the vision tower has llm.hpp's fixed 32 blocks.
     */
    @Test
    void qwenImageHasTheShapesSdCppReads() {
        Architecture dit = Architecture.QWEN_IMAGE_DIT;
        assertEquals(45, dit.tensorCount());
        assertEquals(380_354_624L, dit.parameterCount());
        // 2 streams x (mod + 2 MLP linears) x (weight, bias), 8 attention linears x 2, 4 query/key norms
        assertEquals(2 * 3 * 2 + 8 * 2 + 4, count(dit, "transformer_blocks.0."));
        assertFalse(has(dit, "transformer_blocks.1.img_mod.1.weight"));
        assertShape(dit, "transformer_blocks.0.img_mod.1.weight", 6 * 3072, 3072);
        assertShape(dit, "transformer_blocks.0.img_mlp.net.0.proj.weight", 4 * 3072, 3072);
        assertShape(dit, "transformer_blocks.0.attn.norm_added_k.weight", 128);
        assertShape(dit, "txt_in.weight", 3072, 3584);
        assertShape(dit, "proj_out.weight", 64, 3072);
        TensorSpec bias = dit.tensors().stream().filter(t -> t.name().equals("transformer_blocks.0.txt_mod.1.bias"))
                .findFirst().orElseThrow();
        assertFalse(bias.isRandom());
        assertEquals(Tables.QWEN_MOD_BIAS, bias.constant());

        Architecture vision = Architecture.QWEN25_VL_VISION;
        assertEquals(390, vision.tensorCount());
        assertEquals(676_550_144L, vision.parameterCount());
        assertEquals(32 * 12, count(vision, "blocks."));
        assertShape(vision, "patch_embed.proj.weight", 1280, 3, 2, 14, 14);
        assertShape(vision, "blocks.31.mlp.gate_proj.weight", 3420, 1280);
        assertShape(vision, "merger.mlp.2.weight", 3584, 5120);
    }

    /**
     * ERNIE-Image and Anima carry the names sd.cpp detects them by and reads their sizes from; the parameter counts
     * are the sums worked out by hand from ernie_image.hpp and anima.hpp (docs/MODELS.md).
     */
    @Test
    void ernieImageAndAnimaHaveWhatSdCppReads() {
        Architecture e = Architecture.ERNIE_IMAGE_DIT;
        assertTrue(has(e, "layers.0.adaLN_sa_ln.weight")); // get_sd_version: VERSION_ERNIE_IMAGE
        assertEquals(0, count(e, "layers.1."));
        assertShape(e, "x_embedder.proj.weight", 4096, 128, 1, 1); // patch 1, 128 channels, hidden 4096
        assertShape(e, "text_proj.weight", 4096, 3072); // Ministral 3 3B's width
        assertShape(e, "layers.0.self_attention.norm_q.weight", 128); // 32 heads of 128
        assertShape(e, "layers.0.mlp.gate_proj.weight", 12288, 4096);
        assertShape(e, "final_linear.weight", 128, 4096);
        assertEquals(24, e.tensorCount());
        assertEquals(399_561_088L, e.parameterCount());

        Architecture a = Architecture.ANIMA_DIT;
        assertTrue(has(a, "net.llm_adapter.blocks.0.cross_attn.q_proj.weight")); // get_sd_version: VERSION_ANIMA
        assertEquals(0, count(a, "net.blocks.1."));
        assertTrue(count(a, "net.blocks.0.") > 0);
        assertEquals(6 * 19, count(a, "net.llm_adapter.blocks.")); // the adapter's 6 blocks are fixed in code
        assertShape(a, "net.x_embedder.proj.1.weight", 2048, 68); // (16 channels + mask) x 2x2
        assertShape(a, "net.blocks.0.cross_attn.k_proj.weight", 2048, 1024);
        assertShape(a, "net.llm_adapter.embed.weight", 32128, 1024);
        assertShape(a, "net.llm_adapter.blocks.5.self_attn.q_norm.weight", 64);
        assertEquals(145, a.tensorCount());
        assertEquals(222_492_672L, a.parameterCount());
    }

    /**
     * Wan 2.2 TI2V 5B carries what sd.cpp detects and sizes it by: the Wan marker, 30 blocks (its only depths are 30
     * and 40), a patch kernel of 3072 x 48 (get_sd_version's VERSION_WAN2_2_TI2V: ne[3] = 147456) and no image
     * embedding; the widths it then fixes (3072, 14336, 48 x 2 x 2 out). The Wan 2.2 VAE has Encoder3d and Decoder3d's
     * grouped levels, 12 pixel channels (RGB in 2x2 patches) and 48 latent ones. The counts are worked out by hand:
     * a block is 8 x (3072^2 + 3072) + 2 x 3072 x 14336 + 14336 + 3072 + 11 x 3072 = 163,656,704 parameters.
     */
    @Test
    void wan22HasWhatSdCppReads() {
        Architecture dit = Architecture.WAN22_TI2V_5B;
        assertTrue(has(dit, "blocks.0.cross_attn.norm_k.weight")); // is_wan
        assertTrue(has(dit, "blocks.29.ffn.2.weight"));
        assertEquals(0, count(dit, "blocks.30."));
        assertEquals(0, count(dit, "img_emb"));
        assertShape(dit, "patch_embedding.weight", 3072, 48, 1, 2, 2);
        assertShape(dit, "text_embedding.0.weight", 3072, 4096); // umt5-xxl's width
        assertShape(dit, "time_projection.1.weight", 6 * 3072, 3072);
        assertShape(dit, "blocks.0.self_attn.norm_q.weight", 3072);
        assertShape(dit, "blocks.0.ffn.0.weight", 14336, 3072);
        assertShape(dit, "head.head.weight", 48 * 4, 3072);
        assertEquals(163_656_704L, params(dit, "blocks.7."));
        assertEquals(825, dit.tensorCount());
        assertEquals(4_999_787_712L, dit.parameterCount());

        // A Wan 2.2 A14B expert: 40 blocks of 8 x 5120^2 + 2 x 5120 x 13824 + 21 x 5120 + 13824 = 351,394,304, plus
        // 232,719,424 in the embeddings, time projection and head (worked out by hand).
        Architecture a14b = Architecture.WAN22_T2V_A14B;
        assertTrue(has(a14b, "blocks.39.ffn.2.weight"));
        assertEquals(0, count(a14b, "blocks.40."));
        assertShape(a14b, "patch_embedding.weight", 5120, 16, 1, 2, 2);
        assertShape(a14b, "blocks.0.ffn.0.weight", 13824, 5120);
        assertEquals(351_394_304L, params(a14b, "blocks.7."));
        assertEquals(14_288_491_584L, a14b.parameterCount());

        Architecture vae = Architecture.WAN22_VAE;
        assertShape(vae, "encoder.conv1.weight", 160, 12, 3, 3, 3);
        assertShape(vae, "encoder.downsamples.1.downsamples.2.time_conv.weight", 320, 320, 3, 1, 1);
        assertShape(vae, "encoder.downsamples.0.downsamples.2.resample.1.weight", 160, 160, 3, 3);
        assertEquals(0, count(vae, "encoder.downsamples.0.downsamples.2.time_conv")); // level 0 is 2D only
        assertEquals(0, count(vae, "encoder.downsamples.3.downsamples.2."));
        assertShape(vae, "encoder.head.2.weight", 96, 640, 3, 3, 3);
        assertShape(vae, "conv1.weight", 96, 96, 1, 1, 1);
        assertShape(vae, "decoder.conv1.weight", 1024, 48, 3, 3, 3);
        assertShape(vae, "decoder.upsamples.0.upsamples.3.time_conv.weight", 2048, 1024, 3, 1, 1);
        assertShape(vae, "decoder.upsamples.2.upsamples.3.resample.1.weight", 512, 512, 3, 3); // keeps the width
        assertShape(vae, "decoder.upsamples.3.upsamples.0.shortcut.weight", 256, 512, 1, 1, 1);
        assertEquals(0, count(vae, "decoder.upsamples.3.upsamples.3."));
        assertShape(vae, "decoder.head.2.weight", 12, 256, 3, 3, 3);
        assertShape(vae, "conv2.weight", 48, 48, 1, 1, 1);
        assertEquals(196, vae.tensorCount());
        assertEquals(704_688_668L, vae.parameterCount());
    }

    /**
     * PhotoMaker v1 has what pmid.hpp's PhotoMakerIDEncoderBlock builds under {@code pmid.} (CLIP ViT-L/14's vision
     * tower with its 24 layers fixed in code, both projections, the fuse module) and a UNet LoRA in the naming sd.cpp
     * converts to the SDXL UNet's {@code input_blocks.4.1.transformer_blocks.0.attn2}, which the Vega UNet has.
     */
    @Test
    void photoMakerHasWhatSdCppReads() {
        Architecture pm = Architecture.PHOTOMAKER_V1;
        assertShape(pm, "vision_model.embeddings.patch_embedding.weight", 1024, 3, 14, 14);
        assertShape(pm, "vision_model.embeddings.class_embedding", 1024);
        assertShape(pm, "vision_model.embeddings.position_embedding.weight", 257, 1024);
        assertShape(pm, "vision_model.pre_layernorm.weight", 1024);
        assertShape(pm, "vision_model.encoder.layers.23.mlp.fc1.weight", 4096, 1024);
        assertEquals(24 * 16, count(pm, "vision_model.encoder.layers."));
        assertShape(pm, "vision_model.post_layernorm.bias", 1024);
        assertShape(pm, "visual_projection.weight", 768, 1024);
        assertShape(pm, "visual_projection_2.weight", 1280, 1024);
        assertShape(pm, "fuse_module.mlp1.fc1.weight", 2048, 4096);
        assertShape(pm, "fuse_module.mlp1.layernorm.weight", 4096);
        assertShape(pm, "fuse_module.mlp2.fc2.weight", 2048, 2048);
        assertShape(pm, "fuse_module.layer_norm.bias", 2048);
        assertEquals(303_179_776L, params(pm, "vision_model."));
        String lora = "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.processor.";
        assertEquals(8, count(pm, "unet."));
        assertShape(pm, lora + "to_k_lora.down.weight", 4, 2048);
        assertShape(pm, lora + "to_out_lora.up.weight", 640, 4);
        assertTrue(has(Architecture.SDXL_VEGA, "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight"));
        assertShape(Architecture.SDXL_VEGA, "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight", 640, 2048);
        assertEquals(415, pm.tensorCount());
        assertEquals(326_304_768L, pm.parameterCount());
        assertFalse(SyntheticModel.fileName(pm, Precision.F16, 42).contains("v2"), "sd.cpp takes a path with v2 for PhotoMaker v2");

        // v2: the same plus pmid.hpp's QFormerPerceiver(512, 2048, 2 tokens) in the names convert_pmid_v2_name renames
        Architecture v2 = Architecture.PHOTOMAKER_V2;
        assertTrue(SyntheticModel.fileName(v2, Precision.F16, 42).contains("v2"));
        assertEquals(pm.tensorCount(), count(v2, "") - count(v2, "qformer_perceiver."));
        assertShape(v2, "qformer_perceiver.token_proj.0.weight", 2048, 512);
        assertShape(v2, "qformer_perceiver.token_proj.2.weight", 4096, 2048);
        assertShape(v2, "qformer_perceiver.perceiver_resampler.proj_in.weight", 2048, 1024);
        assertShape(v2, "qformer_perceiver.perceiver_resampler.layers.3.0.to_kv.weight", 4096, 2048);
        assertShape(v2, "qformer_perceiver.perceiver_resampler.layers.3.1.1.weight", 8192, 2048);
        assertShape(v2, "qformer_perceiver.perceiver_resampler.layers.3.1.3.weight", 2048, 8192);
        assertFalse(has(v2, "qformer_perceiver.perceiver_resampler.layers.4.0.to_q.weight"));
        assertShape(v2, "qformer_perceiver.perceiver_resampler.norm_out.weight", 2048);
        assertEquals(471, v2.tensorCount());
        assertEquals(543_427_584L, v2.parameterCount());
    }

    private static boolean has(Architecture a, String name) {
        return a.tensors().stream().anyMatch(t -> t.name().equals(name));
    }

    private static int count(Architecture a, String prefix) {
        return (int) a.tensors().stream().filter(t -> t.name().startsWith(prefix)).count();
    }

    private static long params(Architecture a, String prefix) {
        return a.tensors().stream().filter(t -> t.name().startsWith(prefix)).mapToLong(TensorSpec::elementCount).sum();
    }

    private static void assertShape(Architecture a, String name, long... shape) {
        TensorSpec t = a.tensors().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no tensor " + name));
        assertArrayEquals(shape, t.shape(), name);
    }
}
