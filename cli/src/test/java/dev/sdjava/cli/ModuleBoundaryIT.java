package dev.sdjava.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The api jar as a user's module sees it, on the module path: the public package compiles and
 * runs (native calls included, with {@code --enable-native-access=dev.sdjava}), while the
 * generated bindings and the other internal packages can be neither compiled against nor reached
 * by reflection.
 */
class ModuleBoundaryIT {
    @TempDir
    Path tmp;

    private static Path apiJar() throws IOException {
        Path target = Path.of(System.getProperty("sdjava.test.projectDir", ".."), "api", "target");
        try (Stream<Path> s = Files.list(target)) {
            return s.filter(p -> p.getFileName().toString().matches("sdjava-api-[^-]+(-SNAPSHOT)?\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no api jar in " + target));
        }
    }

    private Path module(String name, String mainSource) throws IOException {
        Path src = Files.createDirectories(tmp.resolve(name + "-src/user"));
        Files.writeString(src.getParent().resolve("module-info.java"), "module user { requires dev.sdjava; }");
        Files.writeString(src.resolve("Main.java"), mainSource);
        return src.getParent();
    }

    /** javac on the module path; returns its exit code and output. */
    private static String[] javac(Path src, Path out, Path api) throws IOException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> files;
        try (Stream<Path> s = Files.walk(src)) {
            files = s.filter(p -> p.toString().endsWith(".java")).map(Path::toString).toList();
        }
        List<String> args = new java.util.ArrayList<>(List.of("--module-path", api.toString(), "-d", out.toString()));
        args.addAll(files);
        int rc = ToolProvider.getSystemJavaCompiler().run(null, err, err, args.toArray(String[]::new));
        return new String[] {Integer.toString(rc), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void internalsCannotBeCompiledAgainst() throws IOException {
        Path api = apiJar();
        Path src = module("bad", "package user; public class Main { public static void main(String[] a) {"
                + " System.out.println(dev.sdjava.internal.bindings.SdCpp.sd_version()); } }");
        String[] r = javac(src, Files.createDirectories(tmp.resolve("bad-out")), api);
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].contains("package dev.sdjava.internal.bindings is not visible")
                || r[1].contains("does not export dev.sdjava.internal.bindings"), r[1]);
    }

    @Test
    void theApiRunsOnTheModulePathAndInternalsStayClosedToReflection() throws Exception {
        Path api = apiJar();
        Path src = module("good", """
                package user;
                import dev.sdjava.GenerationRequest;
                import dev.sdjava.StableDiffusion;
                public class Main {
                    public static void main(String[] a) throws Exception {
                        System.out.println("request " + GenerationRequest.builder("a fox").steps(2).build());
                        System.out.println("sd.cpp " + StableDiffusion.version());
                        System.out.println("module " + StableDiffusion.class.getModule().getName());
                        Class<?> loader = Class.forName("dev.sdjava.internal.natives.NativeLoader");
                        try {
                            loader.getMethod("load").invoke(null);
                            System.out.println("internal reachable");
                        } catch (IllegalAccessException e) {
                            System.out.println("internal closed: " + e.getMessage());
                        }
                    }
                }
                """);
        Path out = Files.createDirectories(tmp.resolve("good-out"));
        String[] r = javac(src, out, api);
        assertEquals("0", r[0], r[1]);
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "--module-path", api + java.io.File.pathSeparator + out,
                "--enable-native-access=dev.sdjava", "-m", "user/user.Main").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("request GenerationRequest[prompt=a fox, "), output);
        assertTrue(output.contains("module dev.sdjava"), output);
        assertTrue(output.matches("(?s).*sd\\.cpp \\S+.*"), output);
        assertTrue(output.contains("internal closed: ") && !output.contains("internal reachable"), output);
    }
}
