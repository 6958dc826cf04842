package dev.sdjava.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The only benchmark-related test in the normal suite: the comparison harness runs its smallest
 * job (64x64, 1 step, TAESD) once through a Java worker JVM and once through sd-cli, records both
 * and renders a report. It checks the harness works, not any performance figure.
 */
class CompareSmokeTest {
    @TempDir
    Path tmp;

    @Test
    void smokeRunRecordsBothSidesAndRendersTheReport() throws Exception {
        String nativeDir = System.getProperty("sdjava.test.nativeDir");
        assumeTrue(nativeDir != null && Files.isExecutable(Path.of(nativeDir, "bin", "sd-cli")),
                "sd-cli not built (native build skipped)");
        System.setProperty("sdjava.bench.nativeDir", nativeDir);
        System.setProperty("sdjava.bench.project", System.getProperty("sdjava.test.projectDir", "."));
        Path data = tmp.resolve("results.tsv");
        Path out = tmp.resolve("PERFORMANCE.md");

        Compare.main(new String[] {"--smoke", "--data", data.toString(), "--out", out.toString()});

        List<Map<String, String>> records = Compare.Records.read(data);
        Map<String, String> java = records.stream().filter(r -> "java".equals(r.get("side"))).findFirst().orElseThrow();
        Map<String, String> cli = records.stream().filter(r -> "cli".equals(r.get("side"))).findFirst().orElseThrow();
        for (Map<String, String> r : List.of(java, cli)) {
            assertEquals("64", r.get("size"));
            assertTrue(Report.num(r, "gen_native_s") > 0, "sd.cpp's generate_image time parsed: " + r);
            assertTrue(Report.num(r, "sampling_s") >= 0, "sampling time parsed: " + r);
            assertTrue(Report.num(r, "load_log_s") > 0, "load window parsed: " + r);
            assertTrue(Report.num(r, "rss_kb") > 100_000, "peak RSS measured (the model alone is 2 GB): " + r);
        }
        assertTrue(Report.num(java, "gen_wall_s") >= Report.num(java, "gen_native_s") - 0.01,
                "the Java wall time includes sd.cpp's own time: " + java);
        String report = Files.readString(out);
        assertTrue(report.contains("| 64x64, 1 step(s) | 1 |"), report);
        assertTrue(report.contains("## Machine"), report);
    }
}
