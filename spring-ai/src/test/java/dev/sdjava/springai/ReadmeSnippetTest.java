package dev.sdjava.springai;

import dev.sdjava.ReadmeExamples;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The README's Spring AI example, taken from the README itself, compiles against this module. */
class ReadmeSnippetTest {
    @TempDir
    Path tmp;

    @Test
    void readmeExampleCompiles() throws Exception {
        ReadmeExamples.compile("### Spring AI", "Posters", tmp);
    }
}
