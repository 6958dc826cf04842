package dev.sdjava.internal.options;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a record whose components are the one declaration of a set of options. The
 * sdjava-options-processor generates, for a record {@code R} in package {@code P}:
 * {@code P.RBuilderBase}, the superclass of the record's hand-written nested
 * {@code public static final class Builder extends RBuilderBase} (one setter per component,
 * validated, documented with the component's {@code @param} text, plus {@code from(R)} and
 * {@code build()}); and {@code dev.sdjava.internal.options.ROptions}, whose {@code ALL} lists
 * every component as an {@link Option}, in declaration order.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.TYPE)
public @interface Options {
}
