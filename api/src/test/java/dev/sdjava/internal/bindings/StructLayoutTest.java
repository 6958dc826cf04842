package dev.sdjava.internal.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sdjava.internal.bindings.TestSupport.CField;
import dev.sdjava.internal.bindings.TestSupport.CStruct;
import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java layouts bindgen.py computed, against what the C compiler does: the generated
 * probe (layout_probe.c) is compiled with {@code cc} against the header that was built,
 * and every struct's size, alignment and field offsets/sizes/alignments must agree.
 */
class StructLayoutTest {

    @TempDir
    static Path work;
    static Map<String, CStruct> compiler;
    static List<String> generated;

    @BeforeAll
    static void runProbe() throws IOException, InterruptedException {
        Path probeDir = TestSupport.probeDir();
        generated = Files.readAllLines(probeDir.resolve("structs.txt")).stream().filter(s -> !s.isBlank()).toList();
        compiler = TestSupport.runProbe(probeDir.resolve("layout_probe.c"),
                TestSupport.header().getParent(), work);
    }

    @Test
    void everyTypedefStructOfTheHeaderIsGeneratedAndProbed() throws IOException {
        List<String> inHeader = TestSupport.typedefStructNames(Files.readString(TestSupport.header()));
        assertTrue(inHeader.size() >= 13, "typedef'd structs found in the header: " + inHeader);
        assertEquals(new TreeSet<>(inHeader), new TreeSet<>(generated));
        assertEquals(inHeader.size(), generated.size());
        assertEquals(inHeader.size(), compiler.size());
    }

    private static GroupLayout layoutOf(String struct) throws ReflectiveOperationException {
        return (GroupLayout) Class.forName("dev.sdjava.internal.bindings." + struct).getMethod("layout").invoke(null);
    }

    @Test
    void javaLayoutsMatchTheCompiler() throws ReflectiveOperationException {
        List<String> diffs = new ArrayList<>();
        for (String name : generated) {
            CStruct c = compiler.get(name);
            assertTrue(c != null, "not probed: " + name);
            diffs.addAll(TestSupport.compare(c, layoutOf(name)));
            // the offsets jextract-style classes expose as constants, and sizeof()
            Class<?> cls = Class.forName("dev.sdjava.internal.bindings." + name);
            long sizeof = (long) cls.getMethod("sizeof").invoke(null);
            if (sizeof != c.size()) {
                diffs.add(name + ".sizeof() " + sizeof + " C " + c.size());
            }
            for (CField f : c.fields()) {
                long offset = (long) cls.getMethod(f.name() + "$offset").invoke(null);
                if (offset != f.offset()) {
                    diffs.add(name + "." + f.name() + "$offset() " + offset + " C " + f.offset());
                }
            }
        }
        assertEquals(List.of(), diffs);
    }

    @Test
    void aWrongPaddingIsReportedAsAMismatch() throws ReflectiveOperationException {
        // The comparison must be able to fail: copy a real layout, widen its first padding
        // by 8 bytes (keeping every field aligned, so the layout is still legal), compare.
        String name = "sd_image_t";
        GroupLayout real = layoutOf(name);
        List<MemoryLayout> members = new ArrayList<>(real.memberLayouts());
        int pad = -1;
        for (int i = 0; i < members.size() && pad < 0; i++) {
            if (members.get(i) instanceof PaddingLayout) {
                pad = i;
            }
        }
        assertTrue(pad >= 0, "sd_image_t has no padding: " + real);
        members.set(pad, MemoryLayout.paddingLayout(members.get(pad).byteSize() + 8));
        GroupLayout wrong = MemoryLayout.structLayout(members.toArray(MemoryLayout[]::new));

        assertEquals(List.of(), TestSupport.compare(compiler.get(name), real));
        List<String> diffs = TestSupport.compare(compiler.get(name), wrong);
        assertFalse(diffs.isEmpty());
        assertTrue(diffs.contains("sd_image_t: size C 24 Java 32"), diffs::toString);
        assertTrue(diffs.contains("sd_image_t.data: offset C 16 Java 24"), diffs::toString);
    }
}
