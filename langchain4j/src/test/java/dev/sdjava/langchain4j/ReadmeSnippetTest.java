package dev.sdjava.langchain4j;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's LangChain4j example, taken from the README itself, compiles against this module. */
class ReadmeSnippetTest {
    @TempDir
    Path tmp;

    @Test
    void readmeExampleCompiles() throws Exception {
        String text = Files.readString(Path.of(System.getProperty("sdjava.test.projectDir", ".."), "README.md"));
        int section = text.indexOf("\n### LangChain4j\n");
        assertTrue(section >= 0, "README has a LangChain4j section");
        int start = text.indexOf("```java\n", section);
        assertTrue(start >= 0 && start < text.indexOf("\n## ", section + 1), "the LangChain4j section has a java example");
        String code = text.substring(start + 8, text.indexOf("```", start + 8));
        Path src = tmp.resolve("Foxes.java");
        Files.writeString(src, code);
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null,
                "-cp", System.getProperty("java.class.path"), "-d", tmp.toString(), src.toString());
        assertEquals(0, rc, "the README example must compile");
    }
}
