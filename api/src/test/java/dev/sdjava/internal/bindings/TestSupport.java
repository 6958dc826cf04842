package dev.sdjava.internal.bindings;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Paths, processes and the C-versus-Java layout comparison shared by the binding tests. */
final class TestSupport {
    private TestSupport() {
    }

    static Path nativeDir() {
        return Path.of(System.getProperty("sdjava.test.nativeDir", "../target/native/cpu"));
    }

    static Path header() {
        return Path.of(System.getProperty("sdjava.test.header",
                nativeDir().resolve("include/stable-diffusion.h").toString()));
    }

    static Path bindgen() {
        return Path.of(System.getProperty("sdjava.test.bindgen", "src/main/python/bindgen.py"));
    }

    static Path probeDir() {
        return Path.of(System.getProperty("sdjava.test.probeDir", "target/generated-sources/sdcpp-probe"));
    }

    static void loadLibrary() {
        System.load(nativeDir().resolve("bin/libstable-diffusion.so").toAbsolutePath().toString());
    }

    /** A NUL-terminated C string returned by native code. */
    static String cString(MemorySegment p) {
        if (p.equals(MemorySegment.NULL)) {
            throw new AssertionError("NULL char*");
        }
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    record Result(int exitCode, String stdout, String stderr) {
    }

    static Result run(Path dir, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("proc", ".out");
        Path err = Files.createTempFile("proc", ".err");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs a command that must succeed; returns its standard output. */
    static String exec(Path dir, String... command) throws IOException, InterruptedException {
        Result r = run(dir, command);
        if (r.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + r.exitCode()
                    + "\n" + r.stdout() + r.stderr());
        }
        return r.stdout();
    }

    record CField(String name, long offset, long size, long align) {
    }

    record CStruct(String name, long size, long align, List<CField> fields) {
    }

    /** Compiles a generated layout_probe.c with the system compiler ({@code cc}) and parses its output. */
    static Map<String, CStruct> runProbe(Path probeC, Path includeDir, Path workDir)
            throws IOException, InterruptedException {
        Path exe = workDir.resolve("layout_probe");
        exec(workDir, "cc", "-std=gnu11", "-I", includeDir.toAbsolutePath().toString(),
                "-o", exe.toString(), probeC.toAbsolutePath().toString());
        Map<String, CStruct> structs = new LinkedHashMap<>();
        for (String line : exec(workDir, exe.toString()).split("\n")) {
            String[] w = line.trim().split(" ");
            switch (w[0]) {
                case "struct" -> structs.put(w[1], new CStruct(w[1], Long.parseLong(w[2]),
                        Long.parseLong(w[3]), new ArrayList<>()));
                case "field" -> structs.get(w[1]).fields().add(new CField(w[2], Long.parseLong(w[3]),
                        Long.parseLong(w[4]), Long.parseLong(w[5])));
                case "" -> { }
                default -> throw new AssertionError("unexpected probe line: " + line);
            }
        }
        return structs;
    }

    /**
     * Every difference between the C compiler's view of a struct and a Java layout: size,
     * alignment, field names in order, and each field's offset, size and alignment.
     * Empty when they agree.
     */
    static List<String> compare(CStruct c, GroupLayout java) {
        List<String> diffs = new ArrayList<>();
        String s = c.name();
        if (java.byteSize() != c.size()) {
            diffs.add(s + ": size C " + c.size() + " Java " + java.byteSize());
        }
        if (java.byteAlignment() != c.align()) {
            diffs.add(s + ": align C " + c.align() + " Java " + java.byteAlignment());
        }
        List<String> javaNames = java.memberLayouts().stream().flatMap(m -> m.name().stream()).toList();
        List<String> cNames = c.fields().stream().map(CField::name).toList();
        if (!javaNames.equals(cNames)) {
            diffs.add(s + ": fields C " + cNames + " Java " + javaNames);
        }
        for (CField f : c.fields()) {
            if (!javaNames.contains(f.name())) {
                continue;
            }
            PathElement p = PathElement.groupElement(f.name());
            MemoryLayout m = java.select(p);
            long offset = java.byteOffset(p);
            if (offset != f.offset()) {
                diffs.add(s + "." + f.name() + ": offset C " + f.offset() + " Java " + offset);
            }
            if (m.byteSize() != f.size()) {
                diffs.add(s + "." + f.name() + ": size C " + f.size() + " Java " + m.byteSize());
            }
            if (m.byteAlignment() != f.align()) {
                diffs.add(s + "." + f.name() + ": align C " + f.align() + " Java " + m.byteAlignment());
            }
        }
        return diffs;
    }

    private static final Pattern TYPEDEF_STRUCT = Pattern.compile("typedef\\s+struct\\s*(\\w+\\s*)?\\{");
    private static final Pattern TRAILING_NAME = Pattern.compile("\\s*(\\w+)\\s*;");

    /**
     * Names of the {@code typedef struct [tag] { ... } name;} definitions in C source, found
     * independently of the generator (comments stripped, braces matched).
     */
    static List<String> typedefStructNames(String source) {
        String src = source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
        List<String> names = new ArrayList<>();
        Matcher m = TYPEDEF_STRUCT.matcher(src);
        while (m.find()) {
            int depth = 1;
            int i = m.end();
            while (depth > 0) {
                char ch = src.charAt(i++);
                depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
            }
            Matcher n = TRAILING_NAME.matcher(src).region(i, src.length());
            if (n.lookingAt()) {
                names.add(n.group(1));
            }
        }
        return names;
    }
}
