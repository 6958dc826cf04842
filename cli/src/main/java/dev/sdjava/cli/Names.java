package dev.sdjava.cli;

import dev.sdjava.LoraApplyMode;
import dev.sdjava.Prediction;
import dev.sdjava.PreviewMode;
import dev.sdjava.RngType;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;
import dev.sdjava.WeightType;
import picocli.CommandLine.ITypeConverter;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Option values that are sd.cpp names ({@code euler_a}, {@code karras}, {@code q8_0}...): parsed
 * by sd.cpp itself through the enums' {@code fromSdName}, so sdj accepts exactly what upstream's
 * CLI accepts; and the lists of names shown in {@code --help}.
 */
final class Names {
    // The names as literals: --help must not load the native library (sdj info never does).
    // NamesTest checks them against sd.cpp's own names.
    static final String SAMPLERS = "euler, euler_a, heun, dpm2, dpm++2s_a, dpm++2m, dpm++2mv2, ipndm, ipndm_v, lcm, "
            + "ddim_trailing, tcd, res_multistep, res_2s, er_sde";
    static final String SCHEDULERS = "discrete, karras, exponential, ays, gits, sgm_uniform, simple, smoothstep, "
            + "kl_optimal, lcm, bong_tangent";
    static final String RNGS = "std_default, cuda, cpu";
    static final String PREDICTIONS = "eps, v, edm_v, sd3_flow, flux_flow, flux2_flow";
    static final String LORA_MODES = "auto, immediately, at_runtime";
    static final String PREVIEWS = "none, proj, tae, vae";

    private Names() {
    }

    /**
     * No completion candidates: without this picocli lists an enum option's constants when it
     * builds the model, which initialises the enum and so loads the native library.
     */
    static final class None implements Iterable<String> {
        public java.util.Iterator<String> iterator() {
            return java.util.Collections.emptyIterator();
        }
    }

    static final class Sampler implements ITypeConverter<SamplingMethod> {
        public SamplingMethod convert(String s) {
            return SamplingMethod.fromSdName(s);
        }
    }

    static final class Sched implements ITypeConverter<Scheduler> {
        public Scheduler convert(String s) {
            return Scheduler.fromSdName(s);
        }
    }

    static final class Rng implements ITypeConverter<RngType> {
        public RngType convert(String s) {
            return RngType.fromSdName(s);
        }
    }

    static final class Type implements ITypeConverter<WeightType> {
        public WeightType convert(String s) {
            return WeightType.fromSdName(s);
        }
    }

    static final class Pred implements ITypeConverter<Prediction> {
        public Prediction convert(String s) {
            return Prediction.fromSdName(s);
        }
    }

    static final class LoraMode implements ITypeConverter<LoraApplyMode> {
        public LoraApplyMode convert(String s) {
            return LoraApplyMode.fromSdName(s);
        }
    }

    static final class Preview implements ITypeConverter<PreviewMode> {
        public PreviewMode convert(String s) {
            return PreviewMode.fromSdName(s);
        }
    }

    /** sd.cpp's names of an enum's values, joined by ", " (loads the native library). */
    static <E extends Enum<E>> String names(E[] values, Function<E, String> sdName) {
        List<String> out = new ArrayList<>();
        for (E e : values) {
            String n = sdName.apply(e);
            if (n != null && !n.isEmpty() && !out.contains(n)) {
                out.add(n);
            }
        }
        return String.join(", ", out);
    }
}
