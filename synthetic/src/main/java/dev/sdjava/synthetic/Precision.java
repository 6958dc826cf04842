package dev.sdjava.synthetic;

/**
 * The floating-point type a synthetic model's tensors are stored in. Every tensor of a file has the same type
 * (biases and norm scales included, as in the common half-precision checkpoints); sd.cpp converts them on load
 * where it needs another type.
 *
 * <p>Quantized types (GGUF q8_0, q4_0, q4_K) are {@link GgufType}s, written by
 * {@link SyntheticModel#writeGguf}; there a precision is the one the values are rounded to first and the tensors
 * sd.cpp does not convert are kept in.
 */
public enum Precision {
    /** 32-bit IEEE 754 float ({@code F32} in safetensors), 4 bytes per element. */
    F32("F32", 4),
    /** 16-bit IEEE 754 half float ({@code F16}), 2 bytes per element; values are rounded to nearest even. */
    F16("F16", 2),
    /** bfloat16 ({@code BF16}), 2 bytes per element; values are rounded to nearest even. */
    BF16("BF16", 2);

    private final String dtype;
    private final int bytes;

    Precision(String dtype, int bytes) {
        this.dtype = dtype;
        this.bytes = bytes;
    }

    /** Returns the dtype string of the safetensors header, e.g. {@code "F16"}. */
    public String safetensorsDtype() {
        return dtype;
    }

    /** Returns the size of one element in bytes. */
    public int bytesPerElement() {
        return bytes;
    }
}
