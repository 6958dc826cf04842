package dev.sdjava.internal.options;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sdjava.SamplingMethod;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The processor as the api's build runs it, on a request-shaped record. */
class SampleOptionsTest {

    @Test
    void buildsValidatesAndPrints() {
        SampleOptions s = new SampleOptions.Builder().width(512).cfgScale(7.5f).seed(42).method(SamplingMethod.EULER_A)
                .customSigmas(14.6f, 0).lora("a").lora("b").build();
        assertEquals("SampleOptions[prompt=, width=512, cfgScale=7.5, seed=42, method=EULER_A, "
                + "customSigmas=[14.6, 0.0], loras=[a, b]]", s.toString());
        assertEquals("", s.prompt(), "the compact constructor still runs");

        SampleOptions copy = s.toBuilder().prompt("a cat").build();
        assertEquals("a cat", copy.prompt());
        assertEquals(s.loras(), copy.loras());
        assertArrayEquals(s.customSigmas(), copy.customSigmas());

        var b = new SampleOptions.Builder();
        assertEquals("width must be a multiple of 8 in 64..4096, got 513",
                assertThrows(IllegalArgumentException.class, () -> b.width(513)).getMessage());
        assertEquals("cfgScale must be a finite number in [0.0, 100.0], got -1.0",
                assertThrows(IllegalArgumentException.class, () -> b.cfgScale(-1)).getMessage());
        assertEquals("customSigmas must hold 0..16 values",
                assertThrows(IllegalArgumentException.class, () -> b.customSigmas(new float[17])).getMessage());
        assertEquals("prompt must be at most 100 chars, got 101",
                assertThrows(IllegalArgumentException.class, () -> b.prompt("x".repeat(101))).getMessage());
    }

    @Test
    void optionTableNamesTheCFields() {
        assertEquals(List.of("prompt=prompt", "width=width", "cfgScale=sample_params.guidance.txt_cfg", "seed=seed",
                "method=null", "customSigmas=null", "loras=null"),
                SampleOptionsOptions.ALL.stream().map(o -> o.name() + "=" + o.cField()).toList());
        assertEquals(float[].class, SampleOptionsOptions.ALL.get(5).type());
    }
}
