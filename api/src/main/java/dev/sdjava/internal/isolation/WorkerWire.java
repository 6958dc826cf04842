package dev.sdjava.internal.isolation;

import dev.sdjava.GenerationRequest;
import dev.sdjava.InvalidModelFileException;
import dev.sdjava.ModelConfig;
import dev.sdjava.PreviewListener;
import dev.sdjava.ProgressListener;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusionException;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * The binary protocol between an isolated context ({@code dev.sdjava.IsolatedEngine}, in the host) and its
 * worker ({@link IsolatedWorker}, a child JVM): one tagged value codec, the operation and event
 * codes, and exceptions carried across.
 *
 * <p>Requests and configurations are records and travel component by component (their public
 * accessors and canonical constructors), so every option of {@link ModelConfig} and
 * {@link GenerationRequest} crosses without a hand-written mapping; listeners do not travel (the
 * worker streams their events back). Images travel as raw pixels,
 * never re-encoded. Only classes of this package are ever instantiated from the wire.
 */
public final class WorkerWire {
    // operations, host -> worker
    public static final int OP_LOAD = 1, OP_GENERATE = 2, OP_DEFAULT_SAMPLER = 3, OP_DEFAULT_SCHEDULER = 4,
            OP_SUPPORTS_IMAGES = 5, OP_CLOSE = 6;
    /**
     * Host -> worker while a generation runs, one mode byte ({@link #CANCEL_ALL} or
     * {@link #CANCEL_AFTER_CURRENT_IMAGE}); no reply of its own: the generation's reply follows.
     */
    public static final int OP_CANCEL = 7;
    public static final int CANCEL_ALL = 0, CANCEL_AFTER_CURRENT_IMAGE = 1;
    // replies and events, worker -> host
    public static final int EV_PROGRESS = 1, EV_PREVIEW = 2, RE_OK = 10, RE_ERROR = 11;


    private static final int NULL = 0, STRING = 1, INT = 2, LONG = 3, FLOAT = 4, DOUBLE = 5, BOOL = 6, ENUM = 7,
            PATH = 8, FLOATS = 9, INTS = 10, LIST = 12, MAP = 13, RECORD = 14, IMAGE = 15;
    private static final String PACKAGE = "dev.sdjava.";

    private WorkerWire() {
    }

    public static void write(DataOutputStream out, Object v) throws IOException {
        switch (v) {
            case null -> out.writeByte(NULL);
            case String s -> {
                out.writeByte(STRING);
                bytes(out, s.getBytes(StandardCharsets.UTF_8));
            }
            case Integer i -> {
                out.writeByte(INT);
                out.writeInt(i);
            }
            case Long l -> {
                out.writeByte(LONG);
                out.writeLong(l);
            }
            case Float f -> {
                out.writeByte(FLOAT);
                out.writeFloat(f);
            }
            case Double d -> {
                out.writeByte(DOUBLE);
                out.writeDouble(d);
            }
            case Boolean b -> {
                out.writeByte(BOOL);
                out.writeBoolean(b);
            }
            case Enum<?> e -> {
                out.writeByte(ENUM);
                out.writeUTF(e.getDeclaringClass().getName());
                out.writeUTF(e.name());
            }
            case Path p -> {
                out.writeByte(PATH);
                bytes(out, p.toString().getBytes(StandardCharsets.UTF_8));
            }
            case float[] a -> {
                out.writeByte(FLOATS);
                out.writeInt(a.length);
                for (float f : a) {
                    out.writeFloat(f);
                }
            }
            case int[] a -> {
                out.writeByte(INTS);
                out.writeInt(a.length);
                for (int i : a) {
                    out.writeInt(i);
                }
            }
            case SdImage img -> {
                out.writeByte(IMAGE);
                image(out, img);
            }
            case List<?> list -> {
                out.writeByte(LIST);
                out.writeInt(list.size());
                for (Object o : list) {
                    write(out, o);
                }
            }
            case Map<?, ?> map -> {
                out.writeByte(MAP);
                out.writeInt(map.size());
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    write(out, e.getKey());
                    write(out, e.getValue());
                }
            }
            case Record r -> {
                out.writeByte(RECORD);
                out.writeUTF(r.getClass().getName());
                RecordComponent[] comps = r.getClass().getRecordComponents();
                out.writeInt(comps.length);
                for (RecordComponent c : comps) {
                    // Listeners stay in the host: the worker streams their events back.
                    Object value = reflect(() -> c.getAccessor().invoke(r));
                    write(out, value instanceof ProgressListener || value instanceof PreviewListener ? null : value);
                }
            }
            default -> throw new IllegalArgumentException("cannot send a " + v.getClass().getName() + " to the worker");
        }
    }

    public static Object read(DataInputStream in) throws IOException {
        int tag = in.readUnsignedByte();
        return switch (tag) {
            case NULL -> null;
            case STRING -> new String(bytes(in), StandardCharsets.UTF_8);
            case INT -> in.readInt();
            case LONG -> in.readLong();
            case FLOAT -> in.readFloat();
            case DOUBLE -> in.readDouble();
            case BOOL -> in.readBoolean();
            case ENUM -> {
                Class<?> c = packageClass(in.readUTF());
                String name = in.readUTF();
                yield reflect(() -> c.getMethod("valueOf", String.class).invoke(null, name));
            }
            case PATH -> Path.of(new String(bytes(in), StandardCharsets.UTF_8));
            case FLOATS -> {
                float[] a = new float[in.readInt()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = in.readFloat();
                }
                yield a;
            }
            case INTS -> {
                int[] a = new int[in.readInt()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = in.readInt();
                }
                yield a;
            }
            case IMAGE -> image(in);
            case LIST -> {
                int n = in.readInt();
                List<Object> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add(read(in));
                }
                yield list;
            }
            case MAP -> {
                int n = in.readInt();
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    map.put(read(in), read(in));
                }
                yield map;
            }
            case RECORD -> {
                Class<?> c = packageClass(in.readUTF());
                RecordComponent[] comps = c.getRecordComponents();
                int n = in.readInt();
                if (comps == null || n != comps.length) {
                    throw new IOException("record " + c.getName() + " does not match the wire");
                }
                Object[] args = new Object[n];
                Class<?>[] types = new Class<?>[n];
                for (int i = 0; i < n; i++) {
                    args[i] = read(in);
                    types[i] = comps[i].getType();
                }
                yield reflect(() -> c.getConstructor(types).newInstance(args)); // the public canonical constructor
            }
            default -> throw new IOException("unknown wire tag " + tag);
        };
    }

    public static void image(DataOutputStream out, SdImage img) throws IOException {
        out.writeInt(img.width());
        out.writeInt(img.height());
        out.writeInt(img.channels());
        out.write(img.pixels());
    }

    public static SdImage image(DataInputStream in) throws IOException {
        int w = in.readInt(), h = in.readInt(), c = in.readInt();
        if (w < 1 || h < 1 || w > SdImage.MAX_SIDE || h > SdImage.MAX_SIDE || c < 1 || c > 4) {
            throw new IOException("bad image header on the wire: " + w + "x" + h + "x" + c);
        }
        byte[] px = new byte[w * h * c];
        in.readFully(px);
        return new SdImage(w, h, c, px);
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1 << 28) {
            throw new IOException("bad length on the wire: " + n);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    private static Class<?> packageClass(String name) throws IOException {
        if (!name.startsWith(PACKAGE) || name.indexOf('.', PACKAGE.length()) >= 0) {
            throw new IOException("refusing class " + name + " from the wire");
        }
        try {
            return Class.forName(name, false, WorkerWire.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IOException("unknown class on the wire: " + name, e);
        }
    }

    // ---- exceptions ----

    /** Writes a failure so that {@link #readFailure} can rethrow its equivalent. */
    public static void writeFailure(DataOutputStream out, Throwable t) throws IOException {
        out.writeByte(RE_ERROR);
        switch (t) {
            case InvalidModelFileException e -> {
                out.writeByte('I');
                write(out, e.argument());
                write(out, e.file());
                write(out, e.reason());
            }
            case StableDiffusionException e -> {
                out.writeByte('E');
                write(out, e.kind());
                String m = String.valueOf(e.getMessage());
                int cut = m.indexOf("\nsd.cpp said:");
                write(out, cut >= 0 ? m.substring(0, cut) : m);
                write(out, e.nativeLog());
            }
            case IllegalArgumentException e -> {
                out.writeByte('A');
                write(out, e.getMessage());
            }
            case CancellationException e -> {
                out.writeByte('C');
                write(out, e.getMessage());
            }
            case IllegalStateException e -> {
                out.writeByte('S');
                write(out, e.getMessage());
            }
            default -> {
                out.writeByte('R');
                write(out, t.toString());
            }
        }
    }

    /** Reads what {@link #writeFailure} wrote (after its RE_ERROR code) as an exception to throw. */
    @SuppressWarnings("unchecked")
    public static RuntimeException readFailure(DataInputStream in) throws IOException {
        int kind = in.readUnsignedByte();
        return switch (kind) {
            case 'I' -> new InvalidModelFileException((String) read(in), (Path) read(in), (String) read(in));
            case 'E' -> new StableDiffusionException((StableDiffusionException.Kind) read(in), (String) read(in),
                    (List<String>) read(in), null);
            case 'A' -> new IllegalArgumentException((String) read(in));
            case 'S' -> new IllegalStateException((String) read(in));
            case 'C' -> new CancellationException((String) read(in));
            default -> new IllegalStateException("isolated worker failed: " + read(in));
        };
    }

    private interface Reflective {
        Object run() throws ReflectiveOperationException, IOException;
    }

    private static Object reflect(Reflective r) throws IOException {
        try {
            return r.run();
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new IOException("wire: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IOException("wire: " + e, e);
        }
    }
}
