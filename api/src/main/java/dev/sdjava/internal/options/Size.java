package dev.sdjava.internal.options;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** How many values an array or {@code List} option may hold, inclusive. */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.RECORD_COMPONENT)
public @interface Size {
    int min() default 0;

    int max() default Integer.MAX_VALUE;
}
