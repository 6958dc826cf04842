package dev.sdjava.cli;

import dev.sdjava.Lora;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.TypeConversionException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pieces without native code: output names, LoRA tags, progress rendering, JSON. */
class PartsTest {
    @TempDir
    Path tmp;

    private static List<String> names(String output, int count, int begin) {
        return Io.outputNames(output, count, begin).stream().map(Path::toString).toList();
    }

    @Test
    void outputNamesFollowUpstreamsSaveResults() {
        assertEquals(List.of("out.png"), names("out.png", 1, 0));
        assertEquals(List.of("out_0.png", "out_1.png", "out_2.png"), names("out.png", 3, 0));
        assertEquals(List.of("out_5.png", "out_6.png"), names("out.png", 2, 5));
        assertEquals(List.of("out.png"), names("out", 1, 0));
        assertEquals(List.of("out.foo.png"), names("out.foo", 1, 0));
        assertEquals(List.of("dir/x_0.jpg", "dir/x_1.jpg"), names("dir/x.jpg", 2, 0));
        assertEquals(List.of("out_0.png", "out_1.png"), names("out_%d.png", 2, 0));
        assertEquals(List.of("f007.png"), names("f%03d.png", 1, 7));
        assertEquals(List.of("100%_0.png"), names("100%%_%d.png", 1, 0));
        assertEquals(List.of("a%%d_0.png", "a%%d_1.png"), names("a%%d.png", 2, 0), "an escaped %% is no pattern");
    }

    @Test
    void loraTagsAreTakenOutOfThePromptLikeUpstream() throws Exception {
        Path a = Files.writeString(tmp.resolve("a.safetensors"), "");
        Path b = Files.writeString(tmp.resolve("b.gguf"), "");
        Loras l = Loras.parse("a fox <lora:a:0.5>, red<lora:b:1> <lora:a:0.25>", tmp, List.of());
        assertEquals("a fox , red ", l.prompt());
        assertEquals(List.of(new Lora(a.normalize(), 0.75f, false), new Lora(b.normalize(), 1f, false)), l.loras());
    }

    @Test
    void loraTagsStayWithoutADirectoryAsUpstream() {
        Loras l = Loras.parse("a fox <lora:a:0.5>", null, List.of());
        assertEquals("a fox <lora:a:0.5>", l.prompt());
        assertTrue(l.loras().isEmpty());
    }

    @Test
    void highNoiseAndAbsolutePathsAndTheLoraOption() throws Exception {
        Path a = Files.writeString(tmp.resolve("a.safetensors"), "");
        Path c = Files.writeString(tmp.resolve("c:1.safetensors"), "");
        Loras l = Loras.parse("x <lora:|high_noise|" + a + ":2>", tmp, List.of(a + ":0.5", c.toString()));
        assertEquals("x ", l.prompt());
        assertEquals(List.of(new Lora(a.normalize(), 0.5f, false), new Lora(c.normalize(), 1f, false),
                new Lora(a.normalize(), 2f, true)), l.loras());
    }

    @Test
    void missingLorasFail() {
        Failure f = assertThrows(Failure.class, () -> Loras.parse("<lora:zz:1>", tmp, List.of()));
        assertEquals(Failure.INPUT, f.exitCode());
        assertEquals(Failure.INPUT, assertThrows(Failure.class, () -> Loras.parse("x", null, List.of(tmp.resolve("q.gguf") + ":1"))).exitCode());
        assertEquals(Failure.USAGE, assertThrows(Failure.class, () -> Loras.parse("<lora:zz:much>", tmp, List.of())).exitCode());
    }

    @Test
    void progressOnATerminalRedrawsInPlace() {
        StringWriter s = new StringWriter();
        Term term = new Term(new PrintWriter(s), true, false);
        Progress p = new Progress(term, "sampling", "steps", 4, 1);
        p.onProgress(0, 4, 0);
        try {
            Thread.sleep(110); // past the redraw interval
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        p.onProgress(1, 4, 2.0);
        term.line("[sd.cpp WARN] something");
        p.onProgress(4, 4, 1.5);
        String out = s.toString();
        assertTrue(out.startsWith("\rsampling    [                        ] 0/4 steps\rsampling    [######                  ] 1/4 steps  2.00 s/step  ETA 6s"), out);
        // The log line wipes the bar, prints, and draws the bar again under it.
        assertTrue(out.contains("\r" + " ".repeat(60).substring(0, 10)), out);
        assertTrue(out.contains("[sd.cpp WARN] something\nsampling    [######"), out.replace("\r", "\\r"));
        assertTrue(out.matches("(?s).*\rsampling    \\[#{24}\\] 4/4 steps  1\\.50 s/step *\n"), out.replace("\r", "\\r"));
    }

    @Test
    void progressElsewhereIsPlainLines() {
        StringWriter s = new StringWriter();
        Term term = new Term(new PrintWriter(s), false, false);
        Progress load = new Progress(term, "loading", "tensors", 0, 1);
        for (int i = 1; i <= 1000; i++) {
            load.onProgress(i, 1000, 0.001);
        }
        Progress sample = new Progress(term, "sampling", "steps", 2, 2);
        sample.onProgress(0, 2, 0);
        sample.onProgress(1, 2, 3);
        sample.onProgress(2, 2, 3);
        sample.onProgress(0, 2, 0);
        sample.onProgress(1, 2, 3);
        sample.onProgress(2, 2, 3);
        List<String> lines = s.toString().lines().toList();
        assertFalse(s.toString().contains("\r"));
        assertEquals(List.of("loading     1/1000 tensors  ETA 1s", "loading     250/1000 tensors  ETA 1s",
                "loading     500/1000 tensors  ETA 1s", "loading     750/1000 tensors  ETA 0s", "loading     1000/1000 tensors",
                "sampling 1/2 1/2 steps  3.00 s/step  ETA 3s", "sampling 1/2 2/2 steps  3.00 s/step",
                "sampling 2/2 1/2 steps  3.00 s/step  ETA 3s", "sampling 2/2 2/2 steps  3.00 s/step"), lines);
    }

    @Test
    void quietSilencesProgressAndNotes() {
        StringWriter s = new StringWriter();
        Term term = new Term(new PrintWriter(s), true, true);
        new Progress(term, "sampling", "steps", 2, 1).onProgress(1, 2, 1);
        term.note("note");
        assertEquals("", s.toString());
    }

    @Test
    void sizesAndNumberListsAreConvertedAsUpstreamWritesThem() {
        assertEquals(new Values.Pair(32, 48), new Values.Pair.Ints().convert("32x48"));
        assertEquals(new Values.Pair(64, 64), new Values.Pair.Ints().convert("64"));
        assertEquals(new Values.Pair(0.25f, 0.5f), new Values.Pair.Floats().convert("0.25x0.5"));
        for (String bad : new String[] {"", "x", "1.5x2", "8x8x8", "axb"}) {
            TypeConversionException e = assertThrows(TypeConversionException.class, () -> new Values.Pair.Ints().convert(bad), bad);
            assertEquals("must be N or XxY, got " + bad, e.getMessage());
        }
        assertArrayEquals(new int[] {7, 8, 9}, new Values.Numbers.Ints().convert("[7,8,9]").ints());
        assertArrayEquals(new int[0], new Values.Numbers.Ints().convert("[]").ints());
        assertArrayEquals(new float[] {14.61f, 7.8f, 0f}, new Values.Numbers.Floats().convert(" 14.61, 7.8,0.0").floats());
        assertEquals("'x' is not a number", assertThrows(TypeConversionException.class,
                () -> new Values.Numbers.Floats().convert("1,x")).getMessage());
        assertEquals("'7.5' is not an integer", assertThrows(TypeConversionException.class,
                () -> new Values.Numbers.Ints().convert("7.5")).getMessage());
        assertThrows(TypeConversionException.class, () -> new Values.Numbers.Floats().convert(""));
    }

    @Test
    void jsonObjectsKeepTheirOrder() {
        assertEquals("{\"z\":1,\"a\":[\"x\"],\"m\":{\"k\":null}}",
                Json.write(Json.object("z", 1, "a", List.of("x"), "m", Json.object("k", null))));
    }

    @Test
    void unitsAsSdjPrintsThem() {
        assertEquals("812 B", Units.bytes(812));
        assertEquals("4.5 MB", Units.bytes(4_500_000));
        assertEquals("2.13 GB", Units.bytes(2_132_470_614L));
        assertEquals("950", Units.count(950));
        assertEquals("1.07 B", Units.count(1_066_235_307L));
        assertEquals(1.235, Units.rounded(1.23456));
    }

    @Test
    void jsonEscapes() {
        assertEquals("{\"a\":\"x\\\"y\\\\z\\n\\u0001\"}", Json.write(Map.of("a", "x\"y\\z\n\u0001")));
        assertEquals("[1,2.5,null,true,3]", Json.write(List.of(1, 2.5, Double.NaN, true, 3.0)));
    }
}
