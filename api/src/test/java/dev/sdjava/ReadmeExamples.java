package dev.sdjava;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java examples of the README, taken from the README itself and compiled on the test class
 * path, so that the documentation cannot drift from the API. Shared with the adapter modules
 * through the api test-jar.
 */
public final class ReadmeExamples {
    private ReadmeExamples() {
    }

    /**
     * Compiles the first {@code ```java} block after the line {@code heading} (the README's first
     * block when {@code heading} is null, which must then be the only one before the next
     * section) as {@code className}.java into {@code dir}.
     */
    public static void compile(String heading, String className, Path dir) throws IOException {
        String text = Files.readString(Path.of(System.getProperty("sdjava.test.projectDir", ".."), "README.md"));
        int section = heading == null ? 0 : text.indexOf("\n" + heading + "\n");
        assertTrue(section >= 0, "README has a section " + heading);
        int start = text.indexOf("```java\n", section);
        int next = heading == null ? -1 : text.indexOf("\n## ", section + 1);
        assertTrue(start >= 0 && (next < 0 || start < next), "README section " + heading + " has a java example");
        String code = text.substring(start + 8, text.indexOf("```", start + 8));
        Path src = dir.resolve(className + ".java");
        Files.writeString(src, code);
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null,
                "-cp", System.getProperty("java.class.path"), "-d", dir.toString(), src.toString());
        assertEquals(0, rc, "the README example " + className + " must compile");
    }
}
