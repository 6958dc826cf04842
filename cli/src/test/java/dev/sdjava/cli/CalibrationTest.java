package dev.sdjava.cli;

import dev.sdjava.Fixtures;
import dev.sdjava.ModelConfig;
import dev.sdjava.synthetic.Architecture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sdj calibrate}'s cache file, and the choice generate/serve/worker take from it. */
class CalibrationTest {
    @TempDir
    Path tmp;

    private String before;

    @BeforeEach
    void ownDir() {
        before = System.getProperty("sdjava.calibration.dir");
        System.setProperty("sdjava.calibration.dir", tmp.resolve("calibration").toString());
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty("sdjava.calibration.dir");
        } else {
            System.setProperty("sdjava.calibration.dir", before);
        }
    }

    private Path fakeModel(String name, int bytes) throws Exception {
        return Files.write(tmp.resolve(name), new byte[bytes]);
    }

    @Test
    void theFileIsNamedByMachineAndModelAndRoundTrips() throws Exception {
        Path model = fakeModel("m.safetensors", 1234);
        Calibration c = new Calibration(true, 1.25, 2.5, 512, 384, 2, model.toString(), "2026-12-01T16:00:00");
        Path f = c.write(model);
        assertEquals(tmp.resolve("calibration"), f.getParent());
        String name = f.getFileName().toString();
        assertTrue(name.matches("[0-9a-f]{12}-1234-\\d+\\.properties"), name);
        assertEquals(Calibration.machineKey(Calibration.cpuInfo()) + "-1234-" + Files.getLastModifiedTime(model).toMillis()
                + ".properties", name);
        List<String> lines = Files.readAllLines(f);
        assertTrue(lines.contains("diffusion_fa=true"), lines.toString());
        assertTrue(lines.contains("fa_step_s=1.250"), lines.toString());
        assertTrue(lines.contains("no_fa_step_s=2.500"), lines.toString());
        assertTrue(lines.contains("width=512") && lines.contains("height=384") && lines.contains("threads=2"), lines.toString());
        assertEquals(Optional.of(c), Calibration.read(model));
        // another file of another size is another model: not calibrated
        assertEquals(Optional.empty(), Calibration.read(fakeModel("other.safetensors", 99)));
    }

    @Test
    void theMachineKeyIsTheCpuModelAndItsFlags() {
        String a = "processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2400.000\nflags\t\t: fpu avx2 avx512f\n\n"
                + "processor\t: 1\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 1800.000\nflags\t\t: fpu avx2 avx512f\n";
        String sameButClock = a.replace("2400.000", "3100.000");
        String otherFlags = a.replace("avx512f", "amx_tile");
        assertTrue(Calibration.machineKey(a).matches("[0-9a-f]{12}"));
        assertEquals(Calibration.machineKey(a), Calibration.machineKey(sameButClock));
        assertNotEquals(Calibration.machineKey(a), Calibration.machineKey(otherFlags));
        assertNotEquals(Calibration.machineKey(a), Calibration.machineKey(a.replace("AMD EPYC", "Intel Xeon")));
    }

    @Test
    void flashAttentionIsChosenOnlyWhenClearlyFaster() {
        assertTrue(Calibration.choose(17.0, 22.7));
        assertFalse(Calibration.choose(69.9, 22.7));
        assertFalse(Calibration.choose(0.99, 1.0), "within the margin upstream's default stays");
    }

    @Test
    void theChoiceIsAppliedUnlessTheUserChoseOrAskedForUpstreamDefaults() throws Exception {
        Path model = fakeModel("sd.safetensors", 4321);
        new Calibration(true, 1.0, 2.0, 512, 512, 2, model.toString(), "2026-12-01T16:00:00").write(model);
        ModelConfig plain = ModelConfig.builder().model(model).build();
        List<String> log = new ArrayList<>();
        Mixins.Calibrated calibrated = new Mixins.Calibrated();

        ModelConfig chosen = calibrated.apply(plain, model, false, log::add);
        assertEquals(Boolean.TRUE, chosen.diffusionFlashAttention());
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.getFirst().contains("flash attention in the diffusion model on: measured 1.00 s/step with it, 2.00 s without (512x512, 2 threads"),
                log.getFirst());

        log.clear();
        assertNull(calibrated.apply(plain, model, true, log::add).diffusionFlashAttention(), "the user's own choice wins");
        assertTrue(log.isEmpty(), log.toString());

        calibrated.upstreamDefaults = true;
        assertNull(calibrated.apply(plain, model, false, log::add).diffusionFlashAttention(), "--upstream-defaults ignores the file");
        assertTrue(log.isEmpty(), log.toString());

        calibrated.upstreamDefaults = false;
        Path uncalibrated = fakeModel("new.safetensors", 5);
        assertNull(calibrated.apply(ModelConfig.builder().model(uncalibrated).build(), uncalibrated, false, log::add)
                .diffusionFlashAttention(), "no file: upstream's default");
        assertTrue(log.isEmpty(), log.toString());

        Files.writeString(Calibration.file(model), "diffusion_fa=maybe\n");
        assertThrows(IllegalArgumentException.class, () -> Calibration.read(model));
        assertNull(calibrated.apply(plain, model, false, log::add).diffusionFlashAttention());
        assertTrue(log.getFirst().startsWith("warning: unreadable calibration file ") && log.getFirst().contains("run 'sdj calibrate' again"),
                log.toString());
    }

    /** The command measures both choices on a real model, and generate then says what it took and why. */
    @Test
    void calibrateWritesTheFileAndGenerateUsesIt() throws Exception {
        Path model = Fixtures.model(Architecture.SD1_TINY);
        String threads = String.valueOf(Fixtures.THREADS);
        Cli c = Cli.run("calibrate", "-m", model.toString(), "--size", "64x64", "-t", threads, "--json").expect(0);
        assertTrue(c.out().startsWith("{\"file\":\"" + Calibration.file(model) + "\",\"diffusion_fa\":"), c.out());
        Calibration cal = Calibration.read(model).orElseThrow();
        assertTrue(cal.faStep() > 0 && cal.noFaStep() > 0, cal.toString());
        assertEquals(Calibration.choose(cal.faStep(), cal.noFaStep()), cal.diffusionFa());
        assertEquals(64, cal.width());
        assertTrue(c.err().contains("calibrate: one 64x64 step with flash attention"), c.err());

        List<String> gen = List.of("generate", "-m", model.toString(), "-p", "x", "-W", "64", "-H", "64", "--steps", "1",
                "-t", threads, "-o", tmp.resolve("a.png").toString());
        Cli g = Cli.run(gen.toArray(String[]::new)).expect(0);
        assertTrue(g.err().contains("calibration " + Calibration.file(model).getFileName() + ": flash attention in the diffusion model "
                + (cal.diffusionFa() ? "on" : "off")), g.err());
        List<String> upstream = new ArrayList<>(gen);
        upstream.add("--upstream-defaults");
        assertFalse(Cli.run(upstream.toArray(String[]::new)).expect(0).err().contains("calibration "));
        List<String> off = new ArrayList<>(gen);
        off.add("--no-diffusion-fa");
        assertFalse(Cli.run(off.toArray(String[]::new)).expect(0).err().contains("calibration "));
    }
}
