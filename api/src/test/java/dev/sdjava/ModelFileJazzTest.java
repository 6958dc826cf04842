package dev.sdjava;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Coverage-guided fuzzing of the Java model-file validator ({@link ModelFile}) with Jazzer: every
 * input must either be accepted as a file whose tensors all lie inside it ({@link
 * ModelFileFuzzTest#check}) or be refused with {@link InvalidModelFileException}; any other
 * exception, an out-of-memory or a timeout is a finding.
 *
 * <p>Input layout: 4 bytes little-endian {@code extra}, then the first bytes of a file; the file
 * is those bytes followed by {@code extra} zero bytes (so a header can claim gigabytes of tensor
 * data without the fuzzer holding it). The seeds are the real headers of the synthetic models
 * plus small crafted files, made at test time ({@link FuzzSeedsTest}, which also checks each one
 * through {@link #oneInput}); {@code scripts/fuzz.sh} puts them into Jazzer's corpus directory.
 *
 * <p>{@code mvn verify} runs each target in Jazzer's regression mode (its default input plus any
 * finding saved under {@code ModelFileJazzTestInputs/<method>/} in the test resources). Fuzzing:
 * {@code scripts/fuzz.sh [seconds per target]} (CI runs it briefly; see docs/RELIABILITY.md).
 */
class ModelFileJazzTest {
    private static final Path NAME = Path.of("fuzz");

    /** Seeds: a crafted GGUF and the SD1 q8_0 GGUF header written by sd.cpp's converter. */
    @FuzzTest(maxDuration = "60s")
    void gguf(byte[] input) {
        oneInput(input);
    }

    /** Seeds: crafted safetensors and the TAESD and ESRGAN headers. */
    @FuzzTest(maxDuration = "60s")
    void safetensors(byte[] input) {
        oneInput(input);
    }

    /** Seeds: PyTorch containers (zip and legacy pickle magic) as .ckpt files hold them. */
    @FuzzTest(maxDuration = "60s")
    void ckpt(byte[] input) {
        oneInput(input);
    }

    /** Checks one input; returns the file if it was accepted, null if it was refused (as it should be). */
    static ModelFile oneInput(byte[] input) {
        if (input.length < 4) {
            return null;
        }
        long extra = ByteBuffer.wrap(input, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        byte[] head = Arrays.copyOfRange(input, 4, input.length);
        long size = head.length + extra;
        ModelFile m;
        try {
            m = ModelFile.parse(head, size, NAME);
        } catch (InvalidModelFileException refused) {
            assertFalse(refused.reason().isEmpty(), "a refusal must say why");
            return null;
        }
        ModelFileFuzzTest.check(m, size);
        return m;
    }

    /** The input for a file of {@code size} bytes whose first bytes are {@code head}. */
    static byte[] input(byte[] head, long size) {
        long extra = size - head.length;
        if (extra < 0 || extra > 0xffffffffL) {
            throw new IllegalArgumentException("extra " + extra + " does not fit the input layout");
        }
        ByteBuffer b = ByteBuffer.allocate(4 + head.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) extra).put(head);
        return b.array();
    }
}
