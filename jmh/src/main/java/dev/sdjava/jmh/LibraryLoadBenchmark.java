package dev.sdjava.jmh;

import dev.sdjava.StableDiffusion;
import dev.sdjava.StableDiffusion;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Loading the native library, once per fresh JVM: each fork measures the first call only
 * (SingleShotTime, no warmup), so the error bar is across JVMs. The library file is in the page
 * cache after the first fork, as it is for any application start but the very first.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 10, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class LibraryLoadBenchmark {
    /** Finding and dlopen-ing libstable-diffusion ({@link NativeLoader#load()}). */
    @Benchmark
    public String loadLibrary() {
        return StableDiffusion.loadLibrary();
    }

    /** Everything the first API call pays: library load, binding class init, linking the downcall, the call. */
    @Benchmark
    public int firstCallPhysicalCores() {
        return StableDiffusion.physicalCores();
    }
}
