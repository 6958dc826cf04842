package dev.sdjava.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdjava.PreviewListener;
import dev.sdjava.ProgressListener;
import dev.sdjava.SdImage;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A {@link GenerationSpec} as JSON, for the Redis queue: every record (the spec, its
 * {@code GenerationRequest}, {@code HiresFix}, {@code Lora}...) travels component by component by
 * name, through its accessors and canonical constructor, so every option crosses without a
 * hand-written mapping, as isolation's wire does. Decoding is directed by the declared types, never
 * by class names from the wire. Images travel as raw pixels (base64), floats as their shortest
 * exact decimal, so the worker runs exactly the request the server parsed. Listeners do not travel.
 * A component missing from the JSON (a server older than the worker) reads as null or zero.
 */
final class SpecCodec {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private SpecCodec() {
    }

    static String encode(GenerationSpec spec) {
        return write(spec).toString();
    }

    static GenerationSpec decode(String json) {
        try {
            return (GenerationSpec) read(MAPPER.readTree(json), GenerationSpec.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("job spec is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static JsonNode write(Object v) {
        return switch (v) {
            case null -> F.nullNode();
            case String s -> F.textNode(s);
            case Integer i -> F.numberNode(i);
            case Long l -> F.numberNode(l);
            case Float f -> F.numberNode(f);
            case Double d -> F.numberNode(d);
            case Boolean b -> F.booleanNode(b);
            case Enum<?> e -> F.textNode(e.name());
            case Path p -> F.textNode(p.toString());
            case float[] a -> {
                ArrayNode n = F.arrayNode();
                for (float f : a) {
                    n.add(f);
                }
                yield n;
            }
            case int[] a -> {
                ArrayNode n = F.arrayNode();
                for (int i : a) {
                    n.add(i);
                }
                yield n;
            }
            case SdImage img -> F.objectNode().put("width", img.width()).put("height", img.height())
                    .put("channels", img.channels()).put("pixels", Base64.getEncoder().encodeToString(img.pixels()));
            case List<?> list -> {
                ArrayNode n = F.arrayNode();
                list.forEach(o -> n.add(write(o)));
                yield n;
            }
            case ProgressListener l -> F.nullNode();
            case PreviewListener l -> F.nullNode();
            case Record r -> {
                ObjectNode o = F.objectNode();
                for (RecordComponent c : r.getClass().getRecordComponents()) {
                    Object value;
                    try {
                        value = c.getAccessor().invoke(r);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException("cannot read " + c.getName() + " of " + r.getClass().getSimpleName(), e);
                    }
                    o.set(c.getName(), write(value));
                }
                yield o;
            }
            default -> throw new IllegalArgumentException("cannot queue a " + v.getClass().getName());
        };
    }

    private static Object read(JsonNode n, Type type) {
        Class<?> c = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
        if (n == null || n.isNull()) {
            return c.isPrimitive() ? zero(c) : null;
        }
        if (c == String.class) {
            return n.asText();
        } else if (c == Integer.class || c == int.class) {
            return n.intValue();
        } else if (c == Long.class || c == long.class) {
            return n.longValue();
        } else if (c == Float.class || c == float.class) {
            return Float.parseFloat(n.decimalValue().toString());
        } else if (c == Double.class || c == double.class) {
            return Double.parseDouble(n.decimalValue().toString());
        } else if (c == Boolean.class || c == boolean.class) {
            return n.booleanValue();
        } else if (c.isEnum()) {
            return enumValue(c, n.asText());
        } else if (c == Path.class) {
            return Path.of(n.asText());
        } else if (c == float[].class) {
            float[] a = new float[n.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = Float.parseFloat(n.get(i).decimalValue().toString());
            }
            return a;
        } else if (c == int[].class) {
            int[] a = new int[n.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = n.get(i).intValue();
            }
            return a;
        } else if (c == SdImage.class) {
            return new SdImage(n.get("width").intValue(), n.get("height").intValue(), n.get("channels").intValue(),
                    Base64.getDecoder().decode(n.get("pixels").asText()));
        } else if (c == List.class) {
            Type element = ((ParameterizedType) type).getActualTypeArguments()[0];
            List<Object> list = new ArrayList<>();
            n.forEach(e -> list.add(read(e, element)));
            return list;
        } else if (ProgressListener.class.isAssignableFrom(c) || PreviewListener.class.isAssignableFrom(c)) {
            return null;
        } else if (c.isRecord()) {
            RecordComponent[] comps = c.getRecordComponents();
            Object[] args = new Object[comps.length];
            Class<?>[] types = new Class<?>[comps.length];
            for (int i = 0; i < comps.length; i++) {
                args[i] = read(n.get(comps[i].getName()), comps[i].getGenericType());
                types[i] = comps[i].getType();
            }
            try {
                Constructor<?> k = c.getDeclaredConstructor(types);
                return k.newInstance(args);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw new IllegalArgumentException("job spec: " + c.getSimpleName() + ": " + e.getCause().getMessage(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot make a " + c.getSimpleName() + ": " + e, e);
            }
        }
        throw new IllegalArgumentException("cannot read a " + c.getName() + " from a queued job");
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumValue(Class<?> c, String name) {
        return Enum.valueOf((Class) c, name);
    }

    private static Object zero(Class<?> c) {
        if (c == boolean.class) {
            return false;
        } else if (c == int.class) {
            return 0;
        } else if (c == long.class) {
            return 0L;
        } else if (c == float.class) {
            return 0f;
        } else if (c == double.class) {
            return 0d;
        }
        throw new IllegalArgumentException("no zero for " + c);
    }
}
