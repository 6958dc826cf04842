package dev.sdjava.langchain4j;

import dev.sdjava.ReadmeExamples;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The README's LangChain4j example, taken from the README itself, compiles against this module. */
class ReadmeSnippetTest {
    @TempDir
    Path tmp;

    @Test
    void readmeExampleCompiles() throws Exception {
        ReadmeExamples.compile("### LangChain4j", "Foxes", tmp);
    }
}
