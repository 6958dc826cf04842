package dev.sdjava.langchain4j;

import dev.langchain4j.data.image.Image;
import dev.langchain4j.model.image.ImageModel;
import dev.langchain4j.model.output.Response;
import dev.sdjava.Fixtures;
import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.SamplingMethod;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The LangChain4j adapter on the synthetic SD1 model: the same pixels as the core API for the same request. */
class SdjavaImageModelTest {
    @TempDir
    Path tmp;

    /** The settings of {@link Fixtures#small}: 64x64, 2 steps, seed 7. */
    private static SdjavaImageModel model() {
        return SdjavaImageModel.builder().stableDiffusion(Fixtures.sharedSd1()).size(64, 64).steps(2).seed(7L).build();
    }

    private static SdImage pixels(Image image) {
        assertEquals("image/png", image.mimeType());
        return SdImage.read(Base64.getDecoder().decode(image.base64Data()), 3);
    }

    private static Image png(SdImage image) {
        return Image.builder().base64Data(Base64.getEncoder().encodeToString(image.toPng())).mimeType("image/png").build();
    }

    private static GeneratedImage core(GenerationRequest.Builder request) {
        return Fixtures.sharedSd1().generate(request.build()).getFirst();
    }

    @Test
    void generateGivesTheCoreApisPixels() {
        ImageModel model = model();
        Response<Image> r = model.generate("a red fox");
        GeneratedImage expected = core(Fixtures.small("a red fox"));
        SdImage got = pixels(r.content());
        assertEquals(64, got.width());
        assertEquals(64, got.height());
        assertArrayEquals(expected.pixels(), got.pixels());
        assertEquals(7L, r.metadata().get("seed"));
        assertEquals(expected.parameters(), r.metadata().get("parameters"));
    }

    @Test
    void generateNIsOneBatchWithConsecutiveSeeds() {
        Response<List<Image>> r = SdjavaImageModel.builder().stableDiffusion(Fixtures.sharedSd1()).size(64, 64).steps(1).seed(7L)
                .samplingMethod(SamplingMethod.EULER).negativePrompt("dark").cfgScale(5f).build().generate("a red fox", 2);
        List<GeneratedImage> expected = Fixtures.sharedSd1().generate(Fixtures.small("a red fox").steps(1)
                .samplingMethod(SamplingMethod.EULER).negativePrompt("dark").cfgScale(5f).batchCount(2).build());
        assertEquals(2, r.content().size());
        assertEquals(List.of(7L, 8L), r.metadata().get("seeds"));
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(expected.get(i).pixels(), pixels(r.content().get(i)).pixels(), "image " + i);
        }
    }

    @Test
    void editIsImg2imgAndWithAMaskInpainting() {
        SdImage init = Fixtures.gradient(64, 64);
        SdjavaImageModel model = SdjavaImageModel.builder().stableDiffusion(Fixtures.sharedSd1()).steps(2).seed(7L).strength(0.6f).build();

        // No size set: an edit keeps the input's size.
        SdImage img2img = pixels(model.edit(png(init), "a red fox").content());
        assertArrayEquals(core(Fixtures.small("a red fox").initImage(init).strength(0.6f)).pixels(), img2img.pixels());
        assertNotEquals(init, img2img);

        SdImage mask = leftHalfMask(64, 64);
        SdImage inpaint = pixels(model.edit(png(init), png(mask), "a red fox").content());
        assertArrayEquals(core(Fixtures.small("a red fox").initImage(init).mask(mask).strength(0.6f)).pixels(), inpaint.pixels());
        assertFalse(java.util.Arrays.equals(img2img.pixels(), inpaint.pixels()), "the mask changed nothing");
    }

    @Test
    void inputImagesComeFromFileAndDataUrlsToo() {
        SdImage init = Fixtures.gradient(64, 64);
        Path file = tmp.resolve("init.png");
        init.writePng(file);
        assertEquals(init, SdjavaImageModel.read(Image.builder().url(file.toUri()).build(), "image", 3));
        String data = "data:image/png;base64," + Base64.getEncoder().encodeToString(init.toPng());
        assertEquals(init, SdjavaImageModel.read(Image.builder().url(data).build(), "image", 3));
        var e = assertThrows(IllegalArgumentException.class,
                () -> SdjavaImageModel.read(Image.builder().url("https://example.com/x.png").build(), "image", 3));
        assertTrue(e.getMessage().contains("file: or data:"), e.getMessage());
    }

    @Test
    void badSettingsFailInBuildNamingThem() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SdjavaImageModel.builder().stableDiffusion(Fixtures.sharedSd1()).steps(0).build());
        assertTrue(e.getMessage().contains("steps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SdjavaImageModel.builder().stableDiffusion(Fixtures.sharedSd1()).strength(2f).build());
        assertTrue(e.getMessage().contains("strength"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SdjavaImageModel.builder().build());
        assertTrue(e.getMessage().contains("stableDiffusion"), e.getMessage());
        // An edit whose image does not fit the configured size is refused before sd.cpp runs.
        SdjavaImageModel sized = model();
        e = assertThrows(IllegalArgumentException.class, () -> sized.edit(png(Fixtures.gradient(32, 32)), "x"));
        assertTrue(e.getMessage().contains("initImage is 32x32"), e.getMessage());
    }

    @Test
    void anOwnedContextIsClosedWithTheModel() {
        SdjavaImageModel model = SdjavaImageModel.builder().modelConfig(Fixtures.config(Fixtures.sd1()).build()).size(64, 64).steps(1).build();
        StableDiffusion sd = model.stableDiffusion();
        assertEquals(64, pixels(model.generate("x").content()).width());
        model.close();
        assertTrue(sd.isClosed());
        SdjavaImageModel shared = model();
        shared.close();
        assertFalse(shared.stableDiffusion().isClosed());
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
