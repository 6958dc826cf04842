package dev.sdjava.server;

import dev.sdjava.CacheMode;
import dev.sdjava.CacheParams;
import dev.sdjava.GenerationRequest;
import dev.sdjava.HiresFix;
import dev.sdjava.HiresUpscaler;
import dev.sdjava.Lora;
import dev.sdjava.PreviewMode;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;
import dev.sdjava.SdImage;
import dev.sdjava.SkipLayerGuidance;
import dev.sdjava.VaeTiling;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A job spec crosses the Redis queue unchanged: every option, exact floats, raw image pixels. */
class SpecCodecTest {
    private static SdImage image(int w, int h, int c, int salt) {
        byte[] px = new byte[w * h * c];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 31 + salt);
        }
        return new SdImage(w, h, c, px);
    }

    @Test
    void everyOptionSurvivesTheRoundTrip() {
        GenerationRequest r = GenerationRequest.builder("a fox \"quoted\" \u00e9\u4e2d").negativePrompt("blur").size(64, 48).steps(7)
                .cfgScale(0.1f).imageCfgScale(1e-30f).distilledGuidance(3.5f).eta(1f / 3).shiftedTimestep(9).flowShift(-2.75f)
                .customSigmas(new float[] {14.614642f, 1.4e-45f, 0f}).clipSkip(2).seed(9_000_000_000_000_000_000L).batchCount(3)
                .samplingMethod(SamplingMethod.EULER).scheduler(Scheduler.KARRAS)
                .skipLayerGuidance(new SkipLayerGuidance(new int[] {7, 8, 9}, 0.01f, 0.2f, 2.5f))
                .initImage(image(64, 48, 3, 1)).strength(0.3f).mask(image(64, 48, 1, 2)).controlImage(image(64, 48, 3, 3))
                .controlStrength(0.9f).referenceImage(image(16, 8, 3, 4)).referenceImage(image(8, 8, 4, 5))
                .autoResizeReferenceImages(false).increaseReferenceIndex(true)
                .lora(new Lora(Path.of("/models/loras/a b.safetensors"), 0.7f, true))
                .vaeTiling(new VaeTiling(32, 32, 0.25f, 0f, 0f))
                .cache(CacheParams.builder().mode(CacheMode.EASYCACHE).reuseThreshold(0.2f).build())
                .hires(new HiresFix(HiresUpscaler.LATENT, null, 1.5f, 0, 0, 3, 0.6f, 128))
                .build();
        GenerationSpec spec = new GenerationSpec(r, "jpeg", 85, false, PreviewMode.PROJ, 2, "sd15");
        GenerationSpec back = SpecCodec.decode(SpecCodec.encode(spec));
        // SkipLayerGuidance's record toString prints its int[] by identity: compare the rest as text
        assertEquals(spec.request().toString().replaceAll("\\[I@\\w+", ""), back.request().toString().replaceAll("\\[I@\\w+", ""));
        assertEquals(List.of("jpeg", 85, false, PreviewMode.PROJ, 2), List.of(back.outputFormat(), back.outputCompression(),
                back.embedMetadata(), back.previewMode(), back.previewInterval()));
        assertEquals("sd15", back.model());
        assertArrayEquals(r.customSigmas(), back.request().customSigmas());
        assertEquals(Float.floatToIntBits(1e-30f), Float.floatToIntBits(back.request().imageCfgScale()));
        assertEquals(Float.floatToIntBits(1f / 3), Float.floatToIntBits(back.request().eta()));
        assertArrayEquals(r.initImage().pixels(), back.request().initImage().pixels());
        assertArrayEquals(r.mask().pixels(), back.request().mask().pixels());
        assertEquals(1, back.request().mask().channels());
        assertArrayEquals(r.referenceImages().get(1).pixels(), back.request().referenceImages().get(1).pixels());
        assertEquals(4, back.request().referenceImages().get(1).channels());
        assertEquals(r.loras(), back.request().loras());
        assertEquals(r.hires(), back.request().hires());
        assertArrayEquals(r.skipLayerGuidance().layers(), back.request().skipLayerGuidance().layers());
    }

    @Test
    void unsetOptionsStayUnsetAndListenersDoNotTravel() {
        GenerationRequest r = GenerationRequest.builder("x").progress((s, n, t) -> { }).build();
        GenerationSpec back = SpecCodec.decode(SpecCodec.encode(new GenerationSpec(r, "png", 100, true, null, 1)));
        assertEquals(r.toString().replaceAll(", progress=[^,\\]]*", ""), back.request().toString());
        assertNull(back.request().progress());
        assertNull(back.request().width());
        assertNull(back.model());
    }
}
