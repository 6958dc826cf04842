package dev.sdjava;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PhotoMaker's trigger word is checked before sd.cpp sees the request: with ID images and no "img" after a class
 * word, sd.cpp's remove_trigger_from_prompt aborts the process (measured: sdj generate exited 134 with
 * {@code GGML_ASSERT(it != tokens.end()) failed}). Needs no native library.
 */
class PhotoMakerTest {
    private static final SdImage FACE = new SdImage(2, 2, 3, new byte[12]);

    @Test
    void triggerWordNeedsAClassWordBeforeIt() {
        assertTrue(PhotoMaker.hasTrigger("a man img"));
        assertTrue(PhotoMaker.hasTrigger("portrait of a woman IMG, retro"));
        assertTrue(PhotoMaker.hasTrigger("(a girl img:1.2), stars"));
        assertTrue(PhotoMaker.hasTrigger("a boy img2"));
        assertFalse(PhotoMaker.hasTrigger("a man"));
        assertFalse(PhotoMaker.hasTrigger("a man with imgs"));
        assertFalse(PhotoMaker.hasTrigger("img of a man"));
        assertFalse(PhotoMaker.hasTrigger("(a man) img"));
    }

    @Test
    void requestWithIdImagesAndNoTriggerIsRefusedNamingThePrompt() {
        PhotoMaker pm = new PhotoMaker(List.of(FACE), null, 20);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerationRequest.builder("a man").photoMaker(pm).build().validate());
        assertTrue(e.getMessage().startsWith("prompt: PhotoMaker's ID images need the trigger word 'img'"), e.getMessage());
        GenerationRequest.builder("a man img").photoMaker(pm).build().validate();
        // without ID images sd.cpp turns PhotoMaker off and never looks for the word
        GenerationRequest.builder("a man").photoMaker(new PhotoMaker(List.of(), null, 20)).build().validate();
    }
}
