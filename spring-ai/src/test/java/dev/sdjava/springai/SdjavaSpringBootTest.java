package dev.sdjava.springai;

import dev.sdjava.Fixtures;
import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;

import org.junit.jupiter.api.Test;
import org.springframework.ai.content.Media;
import org.springframework.ai.image.ImageMessage;
import org.springframework.ai.image.ImageModel;
import org.springframework.ai.image.ImagePrompt;
import org.springframework.ai.image.ImageResponse;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.MimeTypeUtils;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Spring Boot application with the auto-configuration and the synthetic SD1 model: generates
 * through the injected {@link ImageModel}, streams, edits, and gets the core API's pixels each time.
 */
@SpringBootTest(classes = SdjavaSpringBootTest.App.class)
class SdjavaSpringBootTest {
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("sdjava.model", () -> Fixtures.sd1().toString());
        r.add("sdjava.threads", () -> Fixtures.THREADS);
        r.add("sdjava.backend", () -> "cpu");
        // The defaults of every call: those of Fixtures.small, less the seed.
        r.add("sdjava.options.width", () -> 64);
        r.add("sdjava.options.height", () -> 64);
        r.add("sdjava.options.steps", () -> 2);
    }

    @Autowired
    ImageModel imageModel;

    @Autowired
    StableDiffusion sd;

    private static SdImage pixels(org.springframework.ai.image.ImageGeneration g) {
        return SdImage.read(Base64.getDecoder().decode(g.getOutput().getB64Json()), 3);
    }

    private GeneratedImage core(GenerationRequest.Builder request) {
        return sd.generate(request.build()).getFirst();
    }

    private static ImagePrompt seven(String text) {
        return new ImagePrompt(text, SdjavaImageOptions.builder().seed(7L).build());
    }

    @Test
    void theInjectedImageModelGeneratesTheCoreApisPixels() {
        assertInstanceOf(SdjavaImageModel.class, imageModel);
        assertSame(sd, ((SdjavaImageModel) imageModel).stableDiffusion());
        assertEquals(Fixtures.THREADS, sd.config().threads());

        ImageResponse r = imageModel.call(seven("a red fox"));
        GeneratedImage expected = core(Fixtures.small("a red fox"));
        assertEquals(1, r.getResults().size());
        SdImage got = pixels(r.getResult());
        assertEquals(64, got.width());
        assertEquals(64, got.height());
        assertArrayEquals(expected.pixels(), got.pixels());
        var meta = assertInstanceOf(SdjavaImageGenerationMetadata.class, r.getResult().getMetadata());
        assertEquals(7L, meta.seed());
        assertFalse(meta.isPartial());
        assertEquals(expected.parameters(), meta.parameters());
    }

    @Test
    void portableOptionsMapOntoTheRequest() {
        var options = SdjavaImageOptions.builder().seed(7L).n(2).responseFormat("url").style("watercolor")
                .negativePrompt("dark").cfgScale(5f).build();
        ImageResponse r = imageModel.call(new ImagePrompt(List.of(new ImageMessage("a red fox"), new ImageMessage("blurry", -1f)), options));
        List<GeneratedImage> expected = sd.generate(Fixtures.small("a red fox, watercolor").negativePrompt("dark, blurry")
                .cfgScale(5f).batchCount(2).build());
        assertEquals(2, r.getResults().size());
        for (int i = 0; i < 2; i++) {
            String url = r.getResults().get(i).getOutput().getUrl();
            assertTrue(url.startsWith("data:image/png;base64,"), url);
            assertNull(r.getResults().get(i).getOutput().getB64Json());
            SdImage got = SdImage.read(Base64.getDecoder().decode(url.substring(url.indexOf(',') + 1)), 3);
            assertArrayEquals(expected.get(i).pixels(), got.pixels(), "image " + i);
        }
    }

    @Test
    void streamingSendsPartialImagesBeforeTheFinalOne() {
        List<ImageResponse> responses = ((SdjavaImageModel) imageModel).stream(seven("a red fox"))
                .collectList().block(Duration.ofMinutes(5));
        assertTrue(responses.size() >= 2, "responses: " + responses.size());
        ImageResponse last = responses.getLast();
        var lastMeta = (SdjavaImageGenerationMetadata) last.getResult().getMetadata();
        assertFalse(lastMeta.isPartial());
        List<ImageResponse> partials = responses.subList(0, responses.size() - 1);
        for (ImageResponse p : partials) {
            var meta = (SdjavaImageGenerationMetadata) p.getResult().getMetadata();
            assertTrue(meta.isPartial());
            assertTrue(meta.step() >= 1, "step " + meta.step());
            assertTrue(pixels(p.getResult()).width() > 0);
        }
        // Previews do not change the result.
        assertArrayEquals(core(Fixtures.small("a red fox")).pixels(), pixels(last.getResult()).pixels());
    }

    @Test
    void cancellingAStreamLeavesTheContextUsable() {
        ImageResponse first = ((SdjavaImageModel) imageModel).stream(seven("a red fox")).take(1).blockLast(Duration.ofMinutes(5));
        assertTrue(((SdjavaImageGenerationMetadata) first.getResult().getMetadata()).isPartial());
        // The cancelled generation is discarded when sd.cpp returns; the next call waits for it, then runs.
        assertArrayEquals(core(Fixtures.small("a blue fox")).pixels(), pixels(imageModel.call(seven("a blue fox")).getResult()).pixels());
    }

    @Test
    void anInterruptedCallIsCancelled() {
        Thread.currentThread().interrupt();
        try {
            assertThrows(java.util.concurrent.CancellationException.class, () -> imageModel.call(seven("a red fox")));
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void editsRouteToImg2imgAndInpaintingByMedia() {
        SdImage init = Fixtures.gradient(64, 64);
        SdImage mask = leftHalfMask(64, 64);
        var options = SdjavaImageOptions.builder().seed(7L).strength(0.6f).build();
        Media image = Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG).data(init.toPng()).build();
        Media maskMedia = Media.builder().mimeType(MimeTypeUtils.IMAGE_PNG).data(mask.toPng()).name(SdjavaImageModel.MASK_MEDIA_NAME).build();

        ImageResponse img2img = imageModel.call(new ImagePrompt(new ImageMessage("a red fox", 1f, List.of(image), Map.of()), options));
        assertArrayEquals(core(Fixtures.small("a red fox").initImage(init).strength(0.6f)).pixels(), pixels(img2img.getResult()).pixels());

        ImageResponse inpaint = imageModel.call(new ImagePrompt(new ImageMessage("a red fox", 1f, List.of(image, maskMedia), Map.of()), options));
        byte[] expected = core(Fixtures.small("a red fox").initImage(init).mask(mask).strength(0.6f)).pixels();
        assertArrayEquals(expected, pixels(inpaint.getResult()).pixels());
        // The typed entry point gives the same.
        var model = (SdjavaImageModel) imageModel;
        assertArrayEquals(expected, pixels(model.edit(new ImagePrompt("a red fox", options), init, mask).getResult()).pixels());
    }

    @Test
    void badOptionsAreIllegalArgumentsNamingThem() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> imageModel.call(new ImagePrompt("x", SdjavaImageOptions.builder().steps(0).build())));
        assertTrue(e.getMessage().contains("steps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> imageModel.call(new ImagePrompt("x", SdjavaImageOptions.builder().responseFormat("jpeg").build())));
        assertTrue(e.getMessage().contains("responseFormat"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> imageModel.call(new ImagePrompt("x", SdjavaImageOptions.builder().model("dall-e-3").build())));
        assertTrue(e.getMessage().contains(Fixtures.sd1().getFileName().toString()), e.getMessage());
        // The same error reaches a stream's subscriber.
        e = assertThrows(IllegalArgumentException.class, () -> ((SdjavaImageModel) imageModel)
                .stream(new ImagePrompt("x", SdjavaImageOptions.builder().width(60).build())).blockLast());
        assertTrue(e.getMessage().contains("width"), e.getMessage());
    }

    /** White (repaint) on the left half, black (keep) on the right; one channel. */
    static SdImage leftHalfMask(int w, int h) {
        byte[] px = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w / 2; x++) {
                px[y * w + x] = (byte) 255;
            }
        }
        return new SdImage(w, h, 1, px);
    }
}
