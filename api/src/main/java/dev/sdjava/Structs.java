package dev.sdjava;

import dev.sdjava.internal.natives.Native;
import dev.sdjava.internal.options.Option;

import java.lang.foreign.Arena;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fills sd.cpp's parameter structs from the option tables of {@link ModelConfig},
 * {@link GenerationRequest} and {@link CacheParams}: every option with a C field ({@code @CField})
 * that is set is written to that field, found by name in the struct's layout; unset options keep
 * what {@code sd_*_init} put there. Options without a C field (arrays, images, listeners) are
 * marshalled by hand by the caller. StructsTest checks that every C field name resolves.
 */
final class Structs {
    private static final Map<String, VarHandle> HANDLES = new ConcurrentHashMap<>();

    private Structs() {
    }

    /** Writes each set option of {@code record} that has a C field into {@code struct}; strings live in {@code arena}. */
    static <R> void fill(MemorySegment struct, GroupLayout layout, R record, List<Option<R>> options, Arena arena) {
        for (Option<R> o : options) {
            Object v = o.get().apply(record);
            if (o.cField() != null && v != null) {
                handle(layout, o.cField()).set(struct, 0L, toC(v, arena, o.name()));
            }
        }
    }

    /** Reads one field (a dotted path through nested structs) of {@code struct}. */
    static Object get(MemorySegment struct, GroupLayout layout, String cField) {
        return handle(layout, cField).get(struct, 0L);
    }

    /** The var handle of a field path such as {@code sample_params.guidance.txt_cfg}. */
    static VarHandle handle(GroupLayout layout, String cField) {
        return HANDLES.computeIfAbsent(layout.name().orElse("?") + ":" + cField, k -> layout.varHandle(
                Arrays.stream(cField.split("\\.")).map(MemoryLayout.PathElement::groupElement)
                        .toArray(MemoryLayout.PathElement[]::new)));
    }

    private static Object toC(Object v, Arena arena, String what) {
        return switch (v) {
            case Path p -> Native.cPath(arena, p, what);
            case String s -> Native.cString(arena, s, what);
            case Enum<?> e -> CValues.of(e);
            default -> v; // Integer, Long, Float, Boolean: the field's own Java type
        };
    }
}
