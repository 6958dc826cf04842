package dev.sdjava.internal.bindings;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdjava.internal.bindings.TestSupport.CStruct;
import dev.sdjava.internal.bindings.TestSupport.Result;
import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.net.URISyntaxException;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * bindgen.py on a small header of its own (src/test/resources/bindgen/edge.h): anonymous
 * and explicit-valued enums, nested structs and arrays, struct-by-value parameters and
 * results, function pointers both ways, a variadic and an unprototyped function, a missing
 * symbol. The output is compiled with javac, run against edge.c built with cc, and its
 * layouts are checked with the same probe comparison as the real header. Then: C the
 * generator must refuse, loudly.
 */
class BindgenEdgeCaseTest {

    @TempDir
    static Path work;
    static ClassLoader loader;
    static Class<?> edge;
    static Map<String, CStruct> compiler;

    static Path resource(String name) throws URISyntaxException {
        return Path.of(BindgenEdgeCaseTest.class.getResource("/bindgen/" + name).toURI());
    }

    static Result bindgen(Path header, Path out) throws IOException, InterruptedException {
        return TestSupport.run(work, "python3", TestSupport.bindgen().toAbsolutePath().toString(),
                "--header", header.toString(), "--package", "edge.gen", "--header-class-name", "Edge",
                "--output", out.resolve("src").toString(), "--probe-dir", out.resolve("probe").toString());
    }

    @BeforeAll
    static void generateCompileAndLoad() throws Throwable {
        Path header = resource("edge.h");
        Result r = bindgen(header, work);
        assertEquals(0, r.exitCode(), r.stderr());
        compiler = TestSupport.runProbe(work.resolve("probe/layout_probe.c"), header.getParent(), work);

        Path lib = work.resolve("libedge.so");
        TestSupport.exec(work, "cc", "-shared", "-fPIC", "-O1", "-o", lib.toString(), resource("edge.c").toString());

        // System.load ties a library to the caller's class loader, and the generated lookup
        // is SymbolLookup.loaderLookup(): so the loading call must come from the loader of
        // the generated classes.
        Path src = work.resolve("src");
        Files.writeString(src.resolve("edge/gen/EdgeLoader.java"),
                "package edge.gen; public final class EdgeLoader { public static void load(String p) { System.load(p); } }");
        Path classes = Files.createDirectories(work.resolve("classes"));
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "-proc:none", "-Xlint:none", "-parameters"));
        try (Stream<Path> files = Files.walk(src)) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, diagnostics, diagnostics, args.toArray(String[]::new));
        assertEquals(0, rc, "javac failed on the generated sources:\n" + diagnostics);
        loader = new URLClassLoader(new java.net.URL[] {classes.toUri().toURL()}, BindgenEdgeCaseTest.class.getClassLoader());
        edge = loader.loadClass("edge.gen.Edge");
        call(loader.loadClass("edge.gen.EdgeLoader"), "load", lib.toString());
    }

    /** Calls the public static method {@code name} whose parameters accept {@code args}. */
    static Object call(Class<?> c, String name, Object... args) throws Throwable {
        for (Method m : c.getMethods()) {
            if (m.getName().equals(name) && Modifier.isStatic(m.getModifiers()) && accepts(m, args)) {
                try {
                    return m.invoke(null, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            }
        }
        throw new NoSuchMethodException(c.getName() + "." + name + " for " + List.of(args));
    }

    private static boolean accepts(Method m, Object[] args) {
        Class<?>[] types = m.getParameterTypes();
        if (types.length != args.length) {
            return false;
        }
        for (int i = 0; i < types.length; i++) {
            Class<?> t = types[i].isPrimitive()
                    ? java.lang.invoke.MethodType.methodType(types[i]).wrap().returnType() : types[i];
            if (!t.isInstance(args[i])) {
                return false;
            }
        }
        return true;
    }

    static Class<?> gen(String simpleName) throws ClassNotFoundException {
        return loader.loadClass("edge.gen." + simpleName);
    }

    @Test
    void enumConstantsAreEvaluatedFromTheAst() throws Throwable {
        int[] expected = {0, 1, 10, 11, -3, -2, 16, Integer.MAX_VALUE, 7, 8};
        String[] names = {"EDGE_ANON_A", "EDGE_ANON_B", "EDGE_ANON_C", "EDGE_ANON_D", "EDGE_RED", "EDGE_GREEN",
                "EDGE_BLUE", "EDGE_WHITE", "EDGE_MODE_X", "EDGE_MODE_Y"};
        for (int i = 0; i < names.length; i++) {
            assertEquals(expected[i], call(edge, names[i]), names[i]);
        }
    }

    @Test
    void layoutsMatchTheCompiler() throws Throwable {
        assertEquals(List.of("edge_inner_t", "edge_outer"), List.copyOf(compiler.keySet()));
        List<String> diffs = new ArrayList<>();
        for (CStruct c : compiler.values()) {
            diffs.addAll(TestSupport.compare(c, (GroupLayout) call(gen(c.name()), "layout")));
        }
        assertEquals(List.of(), diffs);
        assertEquals(compiler.get("edge_outer").size(), (long) call(edge, "edge_outer_size"));
        // typedef struct edge_outer edge_outer_t: jextract's subclass of the tagged struct's class
        assertEquals(gen("edge_outer"), gen("edge_outer_t").getSuperclass());
        assertEquals(call(gen("edge_outer"), "layout"), call(gen("edge_outer_t"), "layout"));
    }

    @Test
    void structsByValueNestedStructsAndArrays() throws Throwable {
        Class<?> outer = gen("edge_outer");
        Class<?> inner = gen("edge_inner_t");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment made = (MemorySegment) call(edge, "edge_make_inner", arena, (byte) 200, 2.5);
            assertEquals((byte) 200, call(inner, "tag", made));
            assertEquals(2.5, call(inner, "value", made));

            MemorySegment o = (MemorySegment) call(outer, "allocate", arena);
            call(outer, "c", o, (byte) 3);
            call(outer, "inner", o, made);                       // nested struct setter copies
            call(inner, "value", call(outer, "inner", o), 4.25); // getter is a slice of o
            call(outer, "s", o, (short) -7);
            call(outer, "big", o, 1L << 40);
            double expected = 3 + 200 + 4.25 - 7 + (double) (1L << 40);
            for (long i = 0; i < 3; i++) {
                call(outer, "vals", o, i, (int) (10 * (i + 1)));
                expected += 10 * (i + 1) * (i + 1);
            }
            for (long i = 0; i < 2; i++) {
                MemorySegment e = (MemorySegment) call(outer, "pair", o, i);
                call(inner, "tag", e, (byte) (i + 1));
                call(inner, "value", e, 0.5 * (i + 1));
                expected += ((i + 1) + 0.5 * (i + 1)) * (i + 1);
            }
            call(outer, "flag", o, true);
            call(outer, "color", o, (int) call(edge, "EDGE_BLUE"));
            call(outer, "mode", o, (int) call(edge, "EDGE_MODE_Y"));
            call(outer, "name", o, arena.allocateFrom("four"));
            expected += 1 + 16 + 8 + 4;
            for (long i = 0; i < 2; i++) {
                for (long j = 0; j < 3; j++) {
                    call(outer, "grid", o, i, j, (float) (i - j));
                    expected += (i - j) * (i * 3 + j + 1);
                }
            }
            call(outer, "f", o, 0.25f);
            expected += 0.25;

            assertEquals(4.25, call(inner, "value", call(outer, "inner", o)));
            assertEquals(20, call(outer, "vals", o, 1L));
            assertEquals(-1f, call(outer, "grid", o, 0L, 1L));
            assertEquals(expected, (double) call(edge, "edge_sum", o), 1e-9);
        }
    }

    @Test
    void functionPointersBothWays() throws Throwable {
        Class<?> binop = gen("edge_binop_t");
        Class<?> fi = gen("edge_binop_t$Function");
        Object multiply = Proxy.newProxyInstance(loader, new Class<?>[] {fi}, (proxy, m, a) -> switch (m.getName()) {
            case "apply" -> (int) a[0] * (int) a[1];
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == a[0];
            default -> "multiply";
        });
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stub = (MemorySegment) call(binop, "allocate", multiply, arena);
            assertEquals(42, call(edge, "edge_apply", stub, 6, 7));          // C calls Java
            assertEquals(42, call(binop, "invoke", stub, 6, 7));             // Java calls the stub
            MemorySegment add = (MemorySegment) call(edge, "edge_get_add");
            assertEquals(5, call(binop, "invoke", add, 2, 3));               // Java calls C's pointer
            MemorySegment maker = (MemorySegment) call(edge, "edge_get_maker");
            MemorySegment made = (MemorySegment) call(gen("edge_make_t"), "invoke", maker, arena, (byte) 9, 1.5);
            assertEquals((byte) 9, call(gen("edge_inner_t"), "tag", made));
            assertEquals(1.5, call(gen("edge_inner_t"), "value", made));
        }
    }

    private static List<String> parameterNames(Method m) {
        return Stream.of(m.getParameters()).map(java.lang.reflect.Parameter::getName).toList();
    }

    private static Method method(Class<?> c, String name) {
        return Stream.of(c.getMethods()).filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void functionPointerClassesAreFinalWithTheCParameterNames() throws Throwable {
        for (String name : List.of("edge_binop_t", "edge_make_t", "edge_sink_t")) {
            Class<?> c = gen(name);
            assertTrue(Modifier.isFinal(c.getModifiers()), name);
            assertTrue(Modifier.isPrivate(c.getDeclaredConstructor().getModifiers()), name);
            // jextract has the class only, no AddressLayout constant of that name in the header class
            assertThrows(NoSuchFieldException.class, () -> edge.getField(name), name);
        }
        assertEquals(List.of("a", "b"), parameterNames(method(gen("edge_binop_t$Function"), "apply")));
        assertEquals(List.of("funcPtr", "a", "b"), parameterNames(method(gen("edge_binop_t"), "invoke")));
        assertEquals(List.of("funcPtr", "alloc", "tag", "value"), parameterNames(method(gen("edge_make_t"), "invoke")));
        // unnamed parameters are _x<index>; a Java keyword gets jextract's "_" suffix
        assertEquals(List.of("_x0", "label", "done", "_x3", "record_", "_x5"),
                parameterNames(method(gen("edge_sink_t$Function"), "apply")));
    }

    @Test
    void runtimeExceptionsOfACallPassThroughAsInJextract() throws Throwable {
        // a segment of a closed arena: the linker's IllegalStateException reaches the caller
        // unwrapped (not an AssertionError), from a downcall and a function pointer's invoke;
        // a bad index into a struct array field, its IndexOutOfBoundsException
        try (Arena open = Arena.ofConfined()) {
            MemorySegment live = (MemorySegment) call(gen("edge_outer"), "allocate", open);
            assertInstanceOf(IndexOutOfBoundsException.class,
                    assertThrows(Throwable.class, () -> call(gen("edge_outer"), "pair", live, 2L)));
        }
        Arena arena = Arena.ofConfined();
        MemorySegment o = (MemorySegment) call(gen("edge_outer"), "allocate", arena);
        MemorySegment stub = (MemorySegment) call(gen("edge_binop_t"), "allocate", Proxy.newProxyInstance(loader,
                new Class<?>[] {gen("edge_binop_t$Function")}, (proxy, m, a) -> 0), Arena.ofAuto());
        MemorySegment closedStub = stub.reinterpret(arena, null);
        arena.close();
        assertInstanceOf(IllegalStateException.class, assertThrows(Throwable.class, () -> call(edge, "edge_sum", o)));
        assertInstanceOf(IllegalStateException.class,
                assertThrows(Throwable.class, () -> call(gen("edge_binop_t"), "invoke", closedStub, 1, 2)));
    }

    @Test
    void primitiveLayoutsAndHelpersLiveInTheSharedClass() throws Throwable {
        Class<?> shared = gen("Edge$shared");
        assertEquals(shared, edge.getSuperclass());
        assertEquals(shared, edge.getField("C_INT").getDeclaringClass());
        assertEquals(JAVA_INT, edge.getField("C_INT").get(null));
    }

    @Test
    void variadicAndUnprototypedFunctionsGetInvokerClasses() throws Throwable {
        Class<?> count = gen("Edge$edge_count");
        Object invoker = call(count, "makeInvoker", (Object) new MemoryLayout[] {JAVA_INT, JAVA_INT, JAVA_INT});
        assertEquals(6, count.getMethod("apply", int.class, Object[].class).invoke(invoker, 3, new Object[] {1, 2, 3}));
        Class<?> noproto = gen("Edge$edge_noproto");
        Object none = call(noproto, "makeInvoker", (Object) new MemoryLayout[0]);
        assertEquals(42, noproto.getMethod("apply", Object[].class).invoke(none, (Object) new Object[0]));
    }

    @Test
    void aMissingSymbolFailsOnFirstUseNotAtLoad() throws Throwable {
        assertEquals(0, call(edge, "EDGE_ANON_A"));     // the header class itself initialises fine
        assertNotEquals(null, call(edge, "edge_outer_size$address"));
        Throwable t = assertThrows(Throwable.class, () -> call(edge, "edge_missing"));
        assertInstanceOf(UnsatisfiedLinkError.class, t);
        assertTrue(t.getMessage().contains("edge_missing"), t.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            bitfield             | struct s { int a : 3; int b; };                        | bitfield s.a
            union                | union u { int a; float b; };                           | union u
            packed attribute     | struct __attribute__((packed)) p { char c; int i; };   | attribute PackedAttr
            pragma pack          | _Pragma("pack(1)") struct q { char c; int i; };        | attribute MaxFieldAlignmentAttr
            aligned attribute    | struct al { _Alignas(16) int i; };                     | attribute on field al.i
            long double          | long double ld(void);                                  | type 'long double'
            __int128             | __int128 wide(void);                                   | type '__int128'
            _Complex             | _Complex double cplx(void);                            | type '_Complex double'
            global variable      | extern int counter;                                    | global variable counter
            nested anonymous     | struct o { struct { int x; } in; };                    | RecordDecl inside struct o
            fn pointer field     | struct f { void (*cb)(int); };                         | function pointer field f.cb
            static inline        | static inline int g(void) { return 1; }                | static/inline function g
            flexible array       | struct fl { int n; int data[]; };                      | flexible or zero-length array
            array typedef        | typedef int four_ints[4];                              | typedef four_ints of arr type
            enum beyond int      | enum big { HUGE = 0x100000000 };                       | outside Java int
            variadic fn typedef  | typedef void (*vcb)(int, ...);                         | variadic or unprototyped function pointer
            union by pointer     | union v; void takes(union v *p);                       | union v
            unknown struct value | struct elsewhere; void byval(struct elsewhere e);      | opaque struct elsewhere used by value
            """)
    void unsupportedConstructsFailLoudly(String what, String declaration, String message) throws Exception {
        Path header = work.resolve("bad-" + what.replace(' ', '-') + ".h");
        Files.writeString(header, "#include <stdint.h>\n" + declaration + "\n");
        Result r = bindgen(header, work.resolve("refused"));
        assertEquals(1, r.exitCode(), what + ": " + r.stdout() + r.stderr());
        assertTrue(r.stderr().startsWith("bindgen.py: error: "), r.stderr());
        assertTrue(r.stderr().contains("unsupported") && r.stderr().contains(message), r.stderr());
        assertTrue(r.stderr().contains(header.getFileName() + ":2:"), "position in " + r.stderr());
    }
}
