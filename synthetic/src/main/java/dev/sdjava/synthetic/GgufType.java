package dev.sdjava.synthetic;

import java.util.Locale;

/**
 * The ggml tensor types {@link SyntheticModel#writeGguf} can write, with ggml's numbers and block layouts
 * ({@code ggml.h}'s {@code ggml_type}, {@code ggml-common.h}'s {@code block_*} structs).
 *
 * <p>A quantized type stores blocks of {@link #blockSize()} elements in {@link #blockBytes()} bytes each; a row (the
 * innermost dimension, PyTorch's last) must hold a whole number of blocks, which is why sd.cpp's converter leaves
 * tensors whose rows do not divide (3x3 convolution kernels, say) in their source type.
 */
public enum GgufType {
    /** 32-bit float, ggml type 0. */
    F32(0, 1, 4),
    /** 16-bit IEEE half float, ggml type 1. */
    F16(1, 1, 2),
    /** bfloat16, ggml type 30. */
    BF16(30, 1, 2),
    /** 8-bit, blocks of 32: an f16 scale and 32 signed bytes (34 bytes, 8.5 bits per weight), ggml type 8. */
    Q8_0(8, 32, 34),
    /** 4-bit, blocks of 32: an f16 scale and 16 bytes of nibbles (18 bytes, 4.5 bits per weight), ggml type 2. */
    Q4_0(2, 32, 18),
    /**
     * 4-bit "k-quant", super-blocks of 256: f16 scale and min, twelve bytes of 6-bit sub-block scales and mins, 128
     * bytes of nibbles (144 bytes, 4.5 bits per weight), ggml type 12.
     */
    Q4_K(12, 256, 144);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgufType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Returns ggml's number for the type, as stored in a GGUF tensor record. */
    public int id() {
        return id;
    }

    /** Returns the elements per block: 1 for the float types. */
    public int blockSize() {
        return blockSize;
    }

    /** Returns the bytes per block (for the float types, per element). */
    public int blockBytes() {
        return blockBytes;
    }

    /** Returns whether the type is a block quantization (not a float type). */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** Returns ggml's name of the type, e.g. {@code "q4_K"} (sd-cli's {@code --type} value). */
    public String ggmlName() {
        String n = name().toLowerCase(Locale.ROOT);
        return this == Q4_K ? "q4_K" : n;
    }

    /** Returns the float type a safetensors file of this precision holds in GGUF. */
    static GgufType of(Precision p) {
        return switch (p) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
        };
    }

    /**
     * Returns the type named {@code name} ({@code q8_0}, {@code Q4_K}, {@code f16}..., case-insensitive).
     *
     * @param name the name
     * @return the type
     * @throws IllegalArgumentException if no type has that name; the message lists the names
     */
    public static GgufType fromName(String name) {
        for (GgufType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        StringBuilder known = new StringBuilder();
        for (GgufType t : values()) {
            known.append(known.isEmpty() ? "" : ", ").append(t.ggmlName());
        }
        throw new IllegalArgumentException("unknown GGUF type '" + name + "'; known: " + known);
    }
}
