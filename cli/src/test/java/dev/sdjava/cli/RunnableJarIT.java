package dev.sdjava.cli;

import dev.sdjava.Fixtures;
import dev.sdjava.SdImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The runnable jar (target/sdj.jar, made at package time, so this runs in the integration-test
 * phase) copied to a directory outside the checkout, run with {@code java -jar} and a fresh
 * home directory: it must load the native library from inside itself and generate an image.
 */
class RunnableJarIT {
    @TempDir
    Path tmp;

    @Test
    void generatesFromADirectoryOutsideTheCheckoutWithTheLibraryInsideTheJar() throws Exception {
        Path built = Path.of(System.getProperty("sdj.jar", "target/sdj.jar"));
        assertTrue(Files.isRegularFile(built), "no runnable jar at " + built.toAbsolutePath());
        Path dir = Files.createDirectories(tmp.resolve("elsewhere"));
        Path jar = Files.copy(built, dir.resolve("sdj.jar"));
        Path home = Files.createDirectories(tmp.resolve("home"));

        Run info = java(dir, home, jar, "system-info");
        assertEquals(0, info.code, info.output);
        Path extracted = home.resolve(".cache/sdjava/natives");
        assertTrue(info.output.contains("library:            " + extracted), "the library must come out of the jar:\n" + info.output);
        assertTrue(info.output.contains("backend:            cpu"), info.output);

        Run gen = java(dir, home, jar, "generate", "-m", Fixtures.sd1().toString(), "-p", "a lighthouse", "-W", "64", "-H", "64",
                "--steps", "1", "-t", String.valueOf(Fixtures.THREADS), "-o", "out.png");
        assertEquals(0, gen.code, gen.output);
        SdImage img = SdImage.read(dir.resolve("out.png"));
        assertEquals(64, img.width());
        assertEquals(64, img.height());
    }

    private record Run(int code, String output) {
    }

    /** java -jar JAR ARGS in DIR, with user.home = HOME and no library path from the environment. */
    private static Run java(Path dir, Path home, Path jar, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Duser.home=" + home, "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().remove("SDJAVA_LIBRARY_PATH");
        pb.environment().remove("SDJAVA_BACKEND");
        Path log = dir.resolve("run-" + args[0] + ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("java -jar sdj.jar " + String.join(" ", args) + " timed out");
        }
        return new Run(p.exitValue(), Files.readString(log));
    }
}
