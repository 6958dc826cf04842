package dev.sdjava.internal.options;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Inclusive bounds of a numeric option ({@code Integer}, {@code Long}, {@code Float}, {@code Double},
 * their primitives, or each element of a {@code float[]}/{@code double[]}). Floating values must also
 * be finite.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.RECORD_COMPONENT)
public @interface Range {
    double min();

    double max();
}
