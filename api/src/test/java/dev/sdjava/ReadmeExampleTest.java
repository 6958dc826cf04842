package dev.sdjava;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's Java example, taken from the README itself, compiles and runs. */
class ReadmeExampleTest {
    @TempDir
    Path tmp;

    @Test
    void readmeExampleCompilesAndGeneratesAnImage() throws Exception {
        Path readme = Path.of(System.getProperty("sdjava.test.projectDir", ".."), "README.md");
        String text = Files.readString(readme);
        int start = text.indexOf("```java\n");
        assertTrue(start >= 0, "README has a java example");
        String code = text.substring(start + 8, text.indexOf("```", start + 8));
        Path src = tmp.resolve("Example.java");
        Files.writeString(src, code);
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null,
                "-cp", System.getProperty("java.class.path"), "-d", tmp.toString(), src.toString());
        assertEquals(0, rc, "the README example must compile");

        String userDir = System.getProperty("user.dir");
        try (var loader = new URLClassLoader(new java.net.URL[] {tmp.toUri().toURL()}, getClass().getClassLoader())) {
            // The example writes out-<seed>.png to the working directory; run it and look there.
            var main = loader.loadClass("Example").getMethod("main", String[].class);
            main.invoke(null, (Object) new String[] {Fixtures.sd1().toString(), "64", "2"});
        }
        Path out = Path.of(userDir, "out-42.png");
        try {
            assertTrue(Files.isRegularFile(out), "the example wrote " + out);
            SdImage img = SdImage.read(out);
            assertEquals(64, img.width());
            assertTrue(SdImage.readParameters(out).startsWith("a lighthouse at dusk, oil painting\nNegative prompt: blurry\n"));
        } finally {
            Files.deleteIfExists(out);
        }
        assertTrue(List.of(new File(userDir).list()).stream().noneMatch(n -> n.startsWith("hs_err")));
    }
}
