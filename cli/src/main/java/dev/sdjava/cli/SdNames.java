package dev.sdjava.cli;

import dev.sdjava.CacheMode;
import dev.sdjava.CacheParams;
import dev.sdjava.HiresUpscaler;
import dev.sdjava.LoraApplyMode;
import dev.sdjava.Prediction;
import dev.sdjava.PreviewMode;
import dev.sdjava.RngType;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;
import dev.sdjava.WeightType;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * An API enum on the command line by sd.cpp's names ({@code euler_a}, {@code karras},
 * {@code q8_0}...): picocli's converter (the enum's {@code fromSdName}) and its completion
 * candidates, which {@code ${COMPLETION-CANDIDATES}} lists in {@code --help} (its
 * {@code values()} by {@code sdName()}). One subclass per enum only names the three methods:
 * annotations take classes, not instances.
 *
 * <p>Everything is looked up when picocli converts a value or renders help, never when it builds
 * the command model: a method reference does not initialise the enum, so {@code sdj info} and the
 * other commands do not touch the enums at all.
 */
abstract class SdNames<E extends Enum<E>> implements ITypeConverter<E>, Iterable<String> {
    private final Supplier<E[]> values;
    private final Function<E, String> sdName;
    private final Function<String, E> fromSdName;
    private final Predicate<E> listed;

    SdNames(Supplier<E[]> values, Function<E, String> sdName, Function<String, E> fromSdName) {
        this(values, sdName, fromSdName, e -> true);
    }

    SdNames(Supplier<E[]> values, Function<E, String> sdName, Function<String, E> fromSdName, Predicate<E> listed) {
        this.values = values;
        this.sdName = sdName;
        this.fromSdName = fromSdName;
        this.listed = listed;
    }

    @Override
    public E convert(String name) {
        try {
            return fromSdName.apply(name);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage()); // the API's message names the known values
        }
    }

    /** sd.cpp's name of {@code e}. */
    String sdName(E e) {
        return sdName.apply(e);
    }

    /** sd.cpp's names of the listed values, each once, in declaration order. */
    @Override
    public Iterator<String> iterator() {
        Set<String> names = new LinkedHashSet<>();
        for (E e : values.get()) {
            String n = sdName(e);
            if (listed.test(e) && n != null && !n.isEmpty()) {
                names.add(n);
            }
        }
        return names.iterator();
    }

    // One line per enum: they differ only in the three methods they name.
    static final class Samplers extends SdNames<SamplingMethod> { Samplers() { super(SamplingMethod::values, SamplingMethod::sdName, SamplingMethod::fromSdName); } }
    static final class Schedulers extends SdNames<Scheduler> { Schedulers() { super(Scheduler::values, Scheduler::sdName, Scheduler::fromSdName); } }
    static final class Rngs extends SdNames<RngType> { Rngs() { super(RngType::values, RngType::sdName, RngType::fromSdName); } }
    static final class Predictions extends SdNames<Prediction> { Predictions() { super(Prediction::values, Prediction::sdName, Prediction::fromSdName); } }
    static final class LoraModes extends SdNames<LoraApplyMode> { LoraModes() { super(LoraApplyMode::values, LoraApplyMode::sdName, LoraApplyMode::fromSdName); } }
    static final class Previews extends SdNames<PreviewMode> { Previews() { super(PreviewMode::values, PreviewMode::sdName, PreviewMode::fromSdName); } }
    static final class CacheModes extends SdNames<CacheMode> { CacheModes() { super(CacheMode::values, CacheParams::sdName, CacheParams::modeOf); } }
    static final class WeightTypes extends SdNames<WeightType> { WeightTypes() { super(WeightType::values, WeightType::sdName, WeightType::fromSdName); } }

    /**
     * The built-in hires upscalers. Not {@code MODEL}: a model is named by its file in
     * {@code --hires-upscalers-dir}; and not {@code NONE}, which only turns the fix off.
     */
    static final class HiresUpscalers extends SdNames<HiresUpscaler> {
        HiresUpscalers() {
            super(HiresUpscaler::values, HiresUpscaler::sdName, HiresUpscaler::fromSdName,
                    u -> u != HiresUpscaler.MODEL && u != HiresUpscaler.NONE);
        }
    }
}
