package dev.sdjava.synthetic;

import java.util.Arrays;

/**
 * One tensor of a synthetic model: its safetensors name, its shape in PyTorch order (outermost dimension first, as
 * safetensors stores it) and how its values are made.
 *
 * <p>A tensor is either random ({@link #std()} &gt; 0: approximately normal values with that standard deviation, see
 * {@link SyntheticModel}) or constant ({@link #std()} == 0: every element is {@link #constant()}).
 *
 * @param name     the tensor's name in the file
 * @param shape    the dimensions, outermost first; an empty array for a scalar
 * @param std      the standard deviation of the random values, or 0 for a constant tensor
 * @param constant the value of every element when {@code std} is 0 (ignored otherwise)
 */
public record TensorSpec(String name, long[] shape, double std, double constant) {

    /** Validates and copies the shape. */
    public TensorSpec {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty tensor name");
        }
        shape = shape.clone();
        for (long d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("bad shape " + Arrays.toString(shape) + " for " + name);
            }
        }
        if (!(std >= 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException("bad std " + std + " for " + name);
        }
    }

    /** Returns a copy of the shape, outermost dimension first. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Returns the number of elements (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Returns whether the values are random rather than constant. */
    public boolean isRandom() {
        return std > 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && Arrays.equals(shape, t.shape)
                && Double.compare(std, t.std) == 0 && Double.compare(constant, t.constant) == 0;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + (isRandom() ? " ~N(0," + std + ")" : " =" + constant);
    }
}
