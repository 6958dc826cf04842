package dev.sdjava;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PhotoMaker settings of a request (sd.cpp's {@code sd_pm_params_t}); needs a context made with
 * {@link ModelConfig.Builder#photoMaker}.
 *
 * @param idImages      images of the person (RGB)
 * @param idEmbedding   the id embedding file (PhotoMaker v2), or null
 * @param styleStrength style strength in percent, 0..100; sd.cpp's default is 20
 */
public record PhotoMaker(List<SdImage> idImages, Path idEmbedding, float styleStrength) {
    /** sd.cpp's trigger word (conditioner.hpp, fixed in code), as a word of letters: "img2" holds it, "imgs" not. */
    private static final Pattern TRIGGER = Pattern.compile("(?<!\\p{L})img(?!\\p{L})", Pattern.CASE_INSENSITIVE);

    public PhotoMaker {
        idImages = List.copyOf(idImages);
        if (!(styleStrength >= 0 && styleStrength <= 100)) {
            throw new IllegalArgumentException("styleStrength must be 0..100, got " + styleStrength);
        }
    }

    /**
     * Whether {@code prompt} has the trigger word {@code img} after a class word of the same prompt part
     * ({@code "a man img"}), which sd.cpp needs once it has ID images: without the word it aborts the process
     * (remove_trigger_from_prompt), and with nothing before it in its part (the text after the last bracket of the
     * attention syntax) it reads the class word from before the start of its token list.
     */
    static boolean hasTrigger(String prompt) {
        Matcher m = TRIGGER.matcher(prompt);
        if (!m.find()) {
            return false;
        }
        String before = prompt.substring(0, m.start());
        int part = Math.max(Math.max(before.lastIndexOf('('), before.lastIndexOf(')')),
                Math.max(before.lastIndexOf('['), before.lastIndexOf(']')));
        return before.substring(part + 1).codePoints().anyMatch(Character::isLetterOrDigit);
    }
}
