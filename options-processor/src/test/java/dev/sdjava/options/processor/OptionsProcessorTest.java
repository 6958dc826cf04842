package dev.sdjava.options.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.tools.DocumentationTool;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles sample records with the processor (and the api's real annotations, Checks and Option,
 * read from api/src/main/java), then loads and drives what it generated.
 */
class OptionsProcessorTest {
    private static final Path OPTIONS_SOURCES = Path.of(System.getProperty("sdjava.test.projectDir", ".."),
            "api/src/main/java/dev/sdjava/internal/options");

    private static final String KNOBS = """
            package demo;

            import dev.sdjava.internal.options.*;
            import java.nio.file.Path;
            import java.util.List;
            import java.util.Map;

            /**
             * Sample options.
             *
             * @param steps sampling steps, 1..100
             * @param seed the seed; see {@link Path}
             * @param cfg guidance scale
             *            across two lines
             * @param strength strength
             * @param width width in pixels
             * @param prompt the prompt
             * @param model the model file
             * @param tiled tiling
             * @param sigmas custom sigmas
             * @param loras LoRA names
             * @param embeddings embeddings by name
             * @param mode a nested enum
             * @param threads a primitive
             */
            @Options
            public record Knobs(
                    @CField("sample_params.sample_steps") @Range(min = 1, max = 100) Integer steps,
                    @Range(min = -1, max = 1e12) Long seed,
                    @CField("sample_params.guidance.txt_cfg") @Range(min = 0, max = 100) Float cfg,
                    @Range(min = 0, max = 1) Double strength,
                    @CField("width") @Range(min = 64, max = 4096) @MultipleOf(8) Integer width,
                    @MaxLength(10) String prompt,
                    @NotNull Path model,
                    Boolean tiled,
                    @Size(min = 1, max = 3) @Range(min = 0, max = 20) float[] sigmas,
                    @Singular("lora") @Size(max = 3) List<String> loras,
                    @Singular("embedding") Map<String, Path> embeddings,
                    Mode mode,
                    int threads) {
                public enum Mode { A, B }

                public static final class Builder extends KnobsBuilderBase {
                }

                public Builder toBuilder() {
                    return new Builder().from(this);
                }

                @Override
                public String toString() {
                    return Option.describe(this, KnobsOptions.ALL);
                }
            }
            """;

    @TempDir
    static Path dir;
    private static ClassLoader loader;

    @BeforeAll
    static void compileKnobs() throws IOException {
        String errors = compile(dir, Map.of("demo/Knobs.java", KNOBS));
        assertEquals("", errors);
        loader = new URLClassLoader(new URL[] {dir.resolve("classes").toUri().toURL()});
    }

    /** Compiles {@code sources} (path to text) with the api's options package; returns the errors. */
    private static String compile(Path root, Map<String, String> sources) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> api = Files.list(OPTIONS_SOURCES)) {
            api.forEach(files::add);
        }
        for (var e : sources.entrySet()) {
            Path p = root.resolve("src").resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, e.getValue());
            files.add(p);
        }
        Files.createDirectories(root.resolve("classes"));
        Files.createDirectories(root.resolve("generated"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter errors = new StringWriter();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
            var task = javac.getTask(errors, fm, null, List.of("-Xlint:all,-processing", "-Werror", "--release", "25",
                    "-d", root.resolve("classes").toString(), "-s", root.resolve("generated").toString()),
                    null, fm.getJavaFileObjectsFromPaths(files));
            task.setProcessors(List.of(new OptionsProcessor()));
            task.call();
        }
        return errors.toString();
    }

    private static Object builder() throws ReflectiveOperationException {
        return loader.loadClass("demo.Knobs$Builder").getConstructor().newInstance();
    }

    /** Calls the public method {@code name} taking {@code args.length} arguments; rethrows what it throws. */
    private static Object call(Object target, String name, Object... args) throws Throwable {
        for (Method m : target.getClass().getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == args.length) {
                try {
                    return m.invoke(target, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
        }
        throw new AssertionError("no public method " + name + " with " + args.length + " parameters");
    }

    private static void rejects(String message, String setter, Object... args) throws Throwable {
        Object b = builder();
        var e = assertThrows(IllegalArgumentException.class, () -> call(b, setter, args));
        assertEquals(message, e.getMessage());
    }

    @Test
    void settersCheckTheirAnnotations() throws Throwable {
        rejects("steps must be 1..100, got 0", "steps", 0);
        rejects("steps must be 1..100, got 101", "steps", 101);
        rejects("seed must be -1..1000000000000, got -2", "seed", -2L);
        rejects("cfg must be a finite number in [0.0, 100.0], got NaN", "cfg", Float.NaN);
        rejects("cfg must be a finite number in [0.0, 100.0], got 100.5", "cfg", 100.5f);
        rejects("strength must be a finite number in [0.0, 1.0], got Infinity", "strength", Double.POSITIVE_INFINITY);
        rejects("width must be a multiple of 8 in 64..4096, got 100", "width", 100);
        rejects("width must be a multiple of 8 in 64..4096, got 4104", "width", 4104);
        rejects("prompt must be at most 10 chars, got 11", "prompt", "12345678901");
        rejects("model must not be null", "model", (Object) null);
        rejects("sigmas must hold 1..3 values", "sigmas", (Object) new float[0]);
        rejects("sigmas must hold 1..3 values", "sigmas", (Object) new float[4]);
        rejects("sigmas[1] must be a finite number in [0.0, 20.0], got 21.0", "sigmas", (Object) new float[] {1, 21});
        rejects("loras must not be null", "loras", (Object) null);
        rejects("loras element must not be null", "loras", Arrays.asList("a", null));
        rejects("loras must hold 0..3 values", "loras", List.of("a", "b", "c", "d"));
        rejects("lora must not be null", "lora", (Object) null);
        rejects("embedding must not be null", "embedding", null, Path.of("x"));

        Object b = builder();
        for (Object[] ok : new Object[][] {{"steps", 1}, {"steps", 100}, {"seed", -1L}, {"cfg", 0f}, {"cfg", 100f},
                {"width", 64}, {"width", 4096}, {"prompt", "1234567890"}, {"prompt", null}, {"sigmas", null},
                {"tiled", true}, {"threads", 4}}) {
            assertEquals(b, call(b, (String) ok[0], ok[1]), "setters return the builder");
        }
    }

    @Test
    void buildsCopiesAndRoundTrips() throws Throwable {
        Object b = builder();
        float[] sigmas = {3, 2, 1};
        List<String> loras = new ArrayList<>(List.of("a"));
        call(b, "steps", 20);
        call(b, "sigmas", (Object) sigmas);
        call(b, "loras", loras);
        call(b, "lora", "b");
        call(b, "embedding", "z", Path.of("z.pt"));
        call(b, "embedding", "y", Path.of("y.pt"));
        call(b, "model", Path.of("m.gguf"));
        sigmas[0] = 9; // the setter copied
        loras.add("c");
        Object knobs = call(b, "build");

        assertEquals("Knobs[steps=20, model=m.gguf, sigmas=[3.0, 2.0, 1.0], loras=[a, b], "
                + "embeddings={z=z.pt, y=y.pt}, threads=0]", knobs.toString());
        assertThrows(UnsupportedOperationException.class, () -> ((List<?>) call(knobs, "loras")).add(null));
        assertThrows(UnsupportedOperationException.class, () -> ((Map<?, ?>) call(knobs, "embeddings")).clear());

        Object again = call(call(knobs, "toBuilder"), "build");
        assertEquals(knobs.toString(), again.toString());
        assertFalse(call(knobs, "sigmas") == call(again, "sigmas"), "arrays are copied, not shared");
        Object more = call(call(call(knobs, "toBuilder"), "lora", "c"), "build");
        assertEquals(List.of("a", "b", "c"), call(more, "loras"));
        assertEquals(List.of("a", "b"), call(knobs, "loras"), "the first record is untouched");
        var e = assertThrows(IllegalArgumentException.class, () -> call(call(call(more, "toBuilder"), "lora", "d"), "build"));
        assertEquals("loras must hold 0..3 values", e.getMessage(), "build checks what the adders added");
    }

    @Test
    void optionTableListsEveryComponentInOrder() throws Throwable {
        List<?> all = (List<?>) loader.loadClass("dev.sdjava.internal.options.KnobsOptions").getField("ALL").get(null);
        List<String> rows = new ArrayList<>();
        for (Object o : all) {
            rows.add(call(o, "name") + " " + call(o, "cField") + " " + ((Class<?>) call(o, "type")).getSimpleName());
        }
        assertEquals(List.of("steps sample_params.sample_steps Integer", "seed null Long",
                "cfg sample_params.guidance.txt_cfg Float", "strength null Double", "width width Integer",
                "prompt null String", "model null Path", "tiled null Boolean", "sigmas null float[]", "loras null List",
                "embeddings null Map", "mode null Mode", "threads null int"), rows);
    }

    @Test
    void builderBaseIsPackagePrivateAndDocumented() throws Exception {
        Class<?> base = loader.loadClass("demo.KnobsBuilderBase");
        assertFalse(Modifier.isPublic(base.getModifiers()));
        assertTrue(Modifier.isAbstract(base.getModifiers()));
        assertEquals(base, loader.loadClass("demo.Knobs$Builder").getSuperclass());
        String source = Files.readString(dir.resolve("generated/demo/KnobsBuilderBase.java"));
        assertTrue(source.contains("""
                    /**
                     * guidance scale
                     * across two lines
                     *
                     * @param v the value
                     * @return this builder
                     */
                    public Knobs.Builder cfg(float v) {
                        this.cfg = Checks.range("cfg", v, 0.0f, 100.0f);
                """), source);
        assertTrue(source.contains("public Knobs.Builder sigmas(float... v) {"), source);
        assertTrue(source.contains("List<String> loras = new ArrayList<>();"), source);
    }

    @Test
    void javadocShowsTheSettersOnTheBuilder(@TempDir Path out) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Stream.concat(Files.walk(dir.resolve("src")), Files.walk(dir.resolve("generated")))) {
            s.filter(p -> p.toString().endsWith(".java") && p.toString().contains("demo")).forEach(files::add);
        }
        DocumentationTool javadoc = ToolProvider.getSystemDocumentationTool();
        StringWriter log = new StringWriter();
        try (StandardJavaFileManager fm = javadoc.getStandardFileManager(null, null, null)) {
            boolean ok = javadoc.getTask(log, fm, null, null, List.of("-d", out.toString(), "-quiet", "-Xdoclint:all",
                    "-cp", dir.resolve("classes").toString()), fm.getJavaFileObjectsFromPaths(files)).call();
            assertTrue(ok, log.toString());
        }
        String page = Files.readString(out.resolve("demo/Knobs.Builder.html"));
        assertTrue(page.contains("across two lines"), page);
        assertTrue(page.contains("sigmas(float...&nbsp;v)") || page.contains("sigmas</a>"), page);
    }

    @Test
    void missingBuilderIsAClearError(@TempDir Path root) throws IOException {
        String errors = compile(root, Map.of("demo/Bare.java", """
                package demo;

                /** @param a a */
                @dev.sdjava.internal.options.Options
                public record Bare(Integer a) {
                }
                """));
        assertTrue(errors.contains("@Options record Bare needs a nested class: "
                + "public static final class Builder extends BareBuilderBase"), errors);
    }

    @Test
    void misusedAnnotationsAndMissingDocsAreErrors(@TempDir Path root) throws IOException {
        String errors = compile(root, Map.of("demo/Bad.java", """
                package demo;

                import dev.sdjava.internal.options.*;

                /** @param a a */
                @Options
                public record Bad(@Range(min = 0, max = 1) String a, Integer undocumented) {
                    public static final class Builder extends BadBuilderBase {
                    }
                }
                """));
        assertTrue(errors.contains("@Range applies to int, long, float, double"), errors);
        assertTrue(errors.contains("component undocumented has no @param line"), errors);
    }

    @Test
    void recordRelativeReferencesInParamDocsNameTheRecordInTheBuilderBase() {
        assertEquals("at most {@value Req#MAX} chars; set with {@link Req.Builder#preview}, see {@link Other#x}",
                OptionsProcessor.qualified("at most {@value #MAX} chars; set with {@link Builder#preview}, see {@link Other#x}", "Req"));
    }
}
