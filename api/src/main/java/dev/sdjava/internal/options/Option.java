package dev.sdjava.internal.options;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Function;

/**
 * One option of an {@link Options} record {@code R}, as listed by the generated
 * {@code ROptions.ALL}.
 *
 * @param name   the record component's name
 * @param cField the C struct field (or dotted path) it fills, or null without {@link CField}
 * @param type   the component's erased type ({@code int.class} for a primitive)
 * @param get    reads the option from a record
 * @param <R>    the record
 */
public record Option<R>(String name, String cField, Class<?> type, Function<R, Object> get) {

    /**
     * {@code Name[a=1, b=x]}: the record's simple name and every option that is set (not null,
     * not an empty collection or map), arrays printed element by element.
     */
    public static <T> String describe(T record, List<Option<T>> all) {
        StringJoiner out = new StringJoiner(", ", record.getClass().getSimpleName() + "[", "]");
        for (Option<T> o : all) {
            Object v = o.get.apply(record);
            if (v == null || v instanceof Collection<?> c && c.isEmpty() || v instanceof Map<?, ?> m && m.isEmpty()) {
                continue;
            }
            out.add(o.name + "=" + text(v));
        }
        return out.toString();
    }

    private static String text(Object v) {
        if (!v.getClass().isArray()) {
            return v.toString();
        }
        String s = Arrays.deepToString(new Object[] {v}); // covers every primitive array type
        return s.substring(1, s.length() - 1);
    }
}
