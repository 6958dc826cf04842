package dev.sdjava.jmh;

import dev.sdjava.StableDiffusion;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/** The binding's own per-call costs through the public API, each to set against one sampling step (seconds). */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BindingBenchmarks {
    /**
     * One downcall round trip through the public API ({@code sd_get_num_physical_cores}); the C
     * function itself probes /sys, so this is more than the bare transition (see
     * {@code InternalBenchmarks.trivialDowncall}).
     */
    @Benchmark
    public int downcallPhysicalCores() {
        return StableDiffusion.physicalCores();
    }

    /** {@code sd_version()} and the copy of its C string into a Java String. */
    @Benchmark
    public String downcallVersion() {
        return StableDiffusion.version();
    }
}
