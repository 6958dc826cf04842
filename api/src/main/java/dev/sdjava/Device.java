package dev.sdjava;

import dev.sdjava.internal.natives.Native;
import dev.sdjava.internal.natives.NativeLoader;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * A compute device of the loaded library's ggml backends (the CPU, a GPU...), as ggml's device
 * registry lists it.
 *
 * <p>ggml's registry is not part of {@code stable-diffusion.h}, so the generated bindings do not
 * cover it; its five functions are bound here by hand, from the same library (ggml is linked
 * into it).
 *
 * @param name        ggml's device name, e.g. {@code CPU}, {@code CUDA0}, {@code Vulkan0}
 * @param description a human description (the CPU model, the GPU name)
 * @param type        the kind of device
 * @param memoryFree  free memory in bytes as the device reports it (0 when unknown)
 * @param memoryTotal total memory in bytes (0 when unknown)
 */
public record Device(String name, String description, Type type, long memoryFree, long memoryTotal) {
    /** ggml's {@code enum ggml_backend_dev_type}. */
    public enum Type {
        /** A CPU using system memory. */
        CPU,
        /** A GPU with dedicated memory. */
        GPU,
        /** An integrated GPU using host memory. */
        IGPU,
        /** An accelerator used together with the CPU backend (BLAS, AMX). */
        ACCEL,
        /** A type this version of sdjava does not know. */
        OTHER
    }

    /** The devices of the loaded library, in ggml's order (loads the library if needed). */
    public static List<Device> list() {
        NativeLoader.load();
        List<Device> out = new ArrayList<>();
        try (Arena call = Arena.ofConfined()) {
            long n = (long) Ggml.COUNT.invokeExact();
            for (long i = 0; i < n; i++) {
                MemorySegment dev = (MemorySegment) Ggml.GET.invokeExact(i);
                if (dev.equals(MemorySegment.NULL)) {
                    continue;
                }
                String name = Native.string((MemorySegment) Ggml.NAME.invokeExact(dev));
                String description = Native.string((MemorySegment) Ggml.DESCRIPTION.invokeExact(dev));
                int t = (int) Ggml.TYPE.invokeExact(dev);
                MemorySegment free = call.allocate(ValueLayout.JAVA_LONG);
                MemorySegment total = call.allocate(ValueLayout.JAVA_LONG);
                Ggml.MEMORY.invokeExact(dev, free, total);
                Type[] types = Type.values();
                out.add(new Device(name, description, t >= 0 && t < types.length - 1 ? types[t] : Type.OTHER,
                        free.get(ValueLayout.JAVA_LONG, 0), total.get(ValueLayout.JAVA_LONG, 0)));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("ggml device query failed", t);
        }
        return List.copyOf(out);
    }

    /** Downcalls into ggml's device registry, made once after the library is loaded. */
    private static final class Ggml {
        static final MethodHandle COUNT, GET, NAME, DESCRIPTION, TYPE, MEMORY;

        static {
            NativeLoader.load();
            Linker linker = Linker.nativeLinker();
            SymbolLookup lib = SymbolLookup.loaderLookup();
            COUNT = linker.downcallHandle(lib.findOrThrow("ggml_backend_dev_count"),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG));
            GET = linker.downcallHandle(lib.findOrThrow("ggml_backend_dev_get"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            NAME = linker.downcallHandle(lib.findOrThrow("ggml_backend_dev_name"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            DESCRIPTION = linker.downcallHandle(lib.findOrThrow("ggml_backend_dev_description"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            TYPE = linker.downcallHandle(lib.findOrThrow("ggml_backend_dev_type"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            MEMORY = linker.downcallHandle(lib.findOrThrow("ggml_backend_dev_memory"),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        }
    }
}
