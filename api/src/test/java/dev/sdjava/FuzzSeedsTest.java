package dev.sdjava;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The seed inputs of {@link ModelFileJazzTest}: the real headers of the synthetic models and small
 * crafted files ({@link ModelFileFuzzTest#seeds()}), in Jazzer's input layout, one directory per
 * fuzz target. The committed files must be exactly what the current synthetic models give, and
 * each must be a valid file, so that fuzzing starts from files the validator accepts.
 *
 * <p>Rewrite them after changing the synthetic models:
 * {@code mvn -pl api -Dsdj.skipNative=true test -Dtest=FuzzSeedsTest -Dsdjava.fuzz.writeSeeds=true}.
 */
class FuzzSeedsTest {
    static final String INPUTS = "ModelFileJazzTestInputs";

    /** Target method of {@link ModelFileJazzTest} -> seed file name -> input bytes. */
    static Map<String, Map<String, byte[]>> expected() {
        Map<String, Map<String, byte[]>> out = new LinkedHashMap<>();
        for (ModelFileFuzzTest.Seed s : ModelFileFuzzTest.seeds()) {
            String target = s.name().endsWith(".gguf") ? "gguf" : s.name().endsWith(".ckpt") ? "ckpt" : "safetensors";
            out.computeIfAbsent(target, k -> new LinkedHashMap<>()).put(s.name(), ModelFileJazzTest.input(s.head(), s.size()));
        }
        return out;
    }

    @Test
    void committedSeedsAreTheCurrentSyntheticHeadersAndAllValid() throws IOException {
        Map<String, Map<String, byte[]>> expected = expected();
        assertEquals(List.of("gguf", "safetensors", "ckpt"), new ArrayList<>(expected.keySet()));
        if (Boolean.getBoolean("sdjava.fuzz.writeSeeds")) {
            write(expected);
        }
        for (var target : expected.entrySet()) {
            for (var seed : target.getValue().entrySet()) {
                String resource = INPUTS + "/" + target.getKey() + "/" + seed.getKey();
                try (InputStream in = FuzzSeedsTest.class.getResourceAsStream(resource)) {
                    assertNotNull(in, "missing seed " + resource + "; rewrite the seeds (see this class's javadoc)");
                    assertArrayEquals(seed.getValue(), in.readAllBytes(), resource
                            + " differs from the synthetic models' header; rewrite the seeds (see this class's javadoc)");
                }
                assertNotNull(ModelFileJazzTest.oneInput(seed.getValue()), "seed " + resource + " should be a valid file");
            }
        }
    }

    private static void write(Map<String, Map<String, byte[]>> expected) throws IOException {
        // The sources, and target/test-classes, from which this run then reads them.
        Path sources = Path.of(System.getProperty("sdjava.test.projectDir", ".."), "api", "src", "test", "resources");
        Path classes = Path.of(FuzzSeedsTest.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        for (Path root : List.of(sources, classes)) {
            for (var target : expected.entrySet()) {
                Path d = Files.createDirectories(root.resolve("dev/sdjava/" + INPUTS + "/" + target.getKey()));
                for (var seed : target.getValue().entrySet()) {
                    Files.write(d.resolve(seed.getKey()), seed.getValue());
                }
            }
        }
    }
}
