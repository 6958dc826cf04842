package dev.sdjava.internal.options;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The C struct field an option fills: a name, or a dotted path through nested structs
 * ({@code "sample_params.guidance.txt_cfg"}). Absent on options marshalled by hand or not in C.
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.RECORD_COMPONENT)
public @interface CField {
    String value();
}
