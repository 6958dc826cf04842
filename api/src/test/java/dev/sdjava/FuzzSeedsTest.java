package dev.sdjava;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The seed inputs of {@link ModelFileJazzTest}: the real headers of the synthetic models and small
 * crafted files ({@link ModelFileFuzzTest#seeds()}), in Jazzer's input layout, one directory per
 * fuzz target. They are made from the synthetic models at test time, never committed; each must be
 * a valid file, so that fuzzing starts from files the validator accepts. {@code scripts/fuzz.sh}
 * writes them into Jazzer's corpus directory first:
 * {@code -Dsdjava.fuzz.seedDir=api/.cifuzz-corpus/dev.sdjava.ModelFileJazzTest}.
 */
class FuzzSeedsTest {
    /** Target method of {@link ModelFileJazzTest} -> seed file name -> input bytes. */
    static Map<String, Map<String, byte[]>> seeds() {
        Map<String, Map<String, byte[]>> out = new LinkedHashMap<>();
        for (ModelFileFuzzTest.Seed s : ModelFileFuzzTest.seeds()) {
            String target = s.name().endsWith(".gguf") ? "gguf" : s.name().endsWith(".ckpt") ? "ckpt" : "safetensors";
            out.computeIfAbsent(target, k -> new LinkedHashMap<>()).put(s.name(), ModelFileJazzTest.input(s.head(), s.size()));
        }
        return out;
    }

    @Test
    void everySeedIsAValidFileForItsTarget() throws IOException {
        Map<String, Map<String, byte[]>> seeds = seeds();
        assertEquals(List.of("gguf", "safetensors", "ckpt"), new ArrayList<>(seeds.keySet()));
        String dir = System.getProperty("sdjava.fuzz.seedDir");
        for (var target : seeds.entrySet()) {
            for (var seed : target.getValue().entrySet()) {
                assertNotNull(ModelFileJazzTest.oneInput(seed.getValue()),
                        "seed " + target.getKey() + "/" + seed.getKey() + " should be a valid file");
                if (dir != null) {
                    Path d = Files.createDirectories(Path.of(dir, target.getKey()));
                    Files.write(d.resolve(seed.getKey()), seed.getValue());
                }
            }
        }
    }
}
