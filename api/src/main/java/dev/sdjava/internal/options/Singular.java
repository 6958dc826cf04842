package dev.sdjava.internal.options;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@code List<E>} option: the builder also gets an adder {@code singular(E)}; on a
 * {@code Map<K, V>} option, {@code singular(K, V)}.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.RECORD_COMPONENT)
public @interface Singular {
    String value();
}
