package dev.sdjava;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's Java example, taken from the README itself, compiles and runs. */
class ReadmeExampleTest {
    @TempDir
    Path tmp;

    @Test
    void readmeExampleCompilesAndGeneratesAnImage() throws Exception {
        ReadmeExamples.compile(null, "Example", tmp);

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
