package dev.sdjava.internal.natives;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Small checked helpers between the public API and the generated bindings: C strings in,
 * C strings out, and the C library's {@code free} for memory sd.cpp allocated with malloc.
 */
public final class Native {
    private static final MethodHandle FREE = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

    private Native() {
    }

    /**
     * A NUL-terminated UTF-8 copy of {@code s} in {@code arena}; {@code null} stays NULL.
     *
     * @throws IllegalArgumentException naming {@code what} if {@code s} holds a NUL character or an
     *         unpaired surrogate, which C could not receive intact
     */
    public static MemorySegment cString(Arena arena, String s, String what) {
        if (s == null) {
            return MemorySegment.NULL;
        }
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " must not contain NUL characters (at index " + s.indexOf('\0') + ")");
        }
        try {
            StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(java.nio.CharBuffer.wrap(s));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not valid UTF-16 text (unpaired surrogate)", e);
        }
        return arena.allocateFrom(s);
    }

    /** A path as a C string; {@code null} stays NULL. */
    public static MemorySegment cPath(Arena arena, Path p, String what) {
        return p == null ? MemorySegment.NULL : cString(arena, p.toAbsolutePath().toString(), what);
    }

    /** Copies a C string into Java; NULL gives {@code null}. Does not free it. */
    public static String string(MemorySegment p) {
        if (p == null || p.equals(MemorySegment.NULL)) {
            return null;
        }
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** Copies a malloc'd C string into Java and frees it. */
    public static String takeString(MemorySegment p) {
        try {
            return string(p);
        } finally {
            free(p);
        }
    }

    /** The C library's {@code free}; NULL is ignored. */
    public static void free(MemorySegment p) {
        if (p == null || p.equals(MemorySegment.NULL)) {
            return;
        }
        try {
            FREE.invokeExact(p);
        } catch (Throwable t) {
            throw new AssertionError("free() cannot throw", t);
        }
    }

    /** Checks that {@code p} names a readable regular file; {@code what} names the argument. */
    public static Path readableFile(Path p, String what) {
        if (p == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (!Files.exists(p)) {
            throw new IllegalArgumentException(what + " does not exist: " + p);
        }
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(what + " is not a regular file: " + p);
        }
        if (!Files.isReadable(p)) {
            throw new IllegalArgumentException(what + " is not readable: " + p);
        }
        return p;
    }

    /** Checks that {@code p} names a readable directory. */
    public static Path readableDirectory(Path p, String what) {
        if (p == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (!Files.isDirectory(p) || !Files.isReadable(p)) {
            throw new IllegalArgumentException(what + " is not a readable directory: " + p);
        }
        return p;
    }
}
