package dev.sdjava;

import dev.sdjava.internal.bindings.sd_cache_params_t;
import dev.sdjava.internal.options.CField;
import dev.sdjava.internal.options.CacheParamsOptions;
import dev.sdjava.internal.options.Option;
import dev.sdjava.internal.options.Options;
import dev.sdjava.internal.options.Range;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Step-cache settings of a request (sd.cpp's {@code sd_cache_params_t}). Immutable; made with
 * {@link #builder()}. Every option reads back through its accessor, which returns null while the
 * option is unset; unset options keep sd.cpp's defaults ({@code sd_cache_params_init}), given
 * below for reference.
 *
 * <p>Upstream sd-cli's and sd-server's spelling ({@code --cache-mode ucache --cache-option
 * "threshold=0.5,start=0.2"}) is read by {@link #modeOf(String)} and {@link Builder#sdOptions(String)},
 * with upstream's meaning: the same words give the same C struct as sd-cli.
 *
 * <p>Checked when built, as sd-cli checks them: for EasyCache and UCache a threshold that is set
 * is {@code >= 0} and, when both are set, {@code startPercent < endPercent}; {@code scmMask} is
 * 0s and 1s separated by commas (sd.cpp would abort on anything else).
 *
 * @param mode                     the cache algorithm; default DISABLED
 * @param reuseThreshold           reuse threshold, finite; default: unset (+inf in sd.cpp, which picks per mode)
 * @param startPercent             fraction of steps before caching starts, 0..1; default 0.15
 * @param endPercent               fraction of steps after which caching stops, 0..1; default 0.95
 * @param errorDecayRate           error decay rate, finite; default 1
 * @param useRelativeThreshold     threshold relative to the output; default true
 * @param resetErrorOnCompute      reset the accumulated error after a full step; default true
 * @param fnComputeBlocks          DBCache: front blocks always computed; default 8
 * @param bnComputeBlocks          DBCache: back blocks always computed; default 0
 * @param residualDiffThreshold    DBCache: residual difference threshold, finite; default 0.08
 * @param maxWarmupSteps           steps computed before caching may start; default 8
 * @param maxCachedSteps           most steps served from cache, -1 = no limit; default -1
 * @param maxContinuousCachedSteps most cached steps in a row, -1 = no limit; default -1
 * @param taylorseerDerivatives    TaylorSeer: derivatives kept; default 1
 * @param taylorseerSkipInterval   TaylorSeer: skip interval; default 1
 * @param scmMask                  step computation mask of the DiT block caches, one 0 (may cache) or 1
 *                                 (compute) per step, comma-separated, e.g. "1,1,0,1"; default none
 * @param scmPolicyDynamic         dynamic step computation policy; default true
 * @param spectrumW                Spectrum: w, finite; default 0.4
 * @param spectrumM                Spectrum: m; default 3
 * @param spectrumLam              Spectrum: lambda, finite; default 1
 * @param spectrumWindowSize       Spectrum: window size; default 2
 * @param spectrumFlexWindow       Spectrum: flexible window, finite; default 0.5
 * @param spectrumWarmupSteps      Spectrum: warm-up steps; default 4
 * @param spectrumStopPercent      Spectrum: fraction of steps where it stops, 0..1; default 0.9
 */
@Options
public record CacheParams(
        @CField("mode") CacheMode mode,
        @CField("reuse_threshold") @Range(min = -3.0e38, max = 3.0e38) Float reuseThreshold,
        @CField("start_percent") @Range(min = 0, max = 1) Float startPercent,
        @CField("end_percent") @Range(min = 0, max = 1) Float endPercent,
        @CField("error_decay_rate") @Range(min = -3.0e38, max = 3.0e38) Float errorDecayRate,
        @CField("use_relative_threshold") Boolean useRelativeThreshold,
        @CField("reset_error_on_compute") Boolean resetErrorOnCompute,
        @CField("Fn_compute_blocks") Integer fnComputeBlocks,
        @CField("Bn_compute_blocks") Integer bnComputeBlocks,
        @CField("residual_diff_threshold") @Range(min = -3.0e38, max = 3.0e38) Float residualDiffThreshold,
        @CField("max_warmup_steps") Integer maxWarmupSteps,
        @CField("max_cached_steps") Integer maxCachedSteps,
        @CField("max_continuous_cached_steps") Integer maxContinuousCachedSteps,
        @CField("taylorseer_n_derivatives") Integer taylorseerDerivatives,
        @CField("taylorseer_skip_interval") Integer taylorseerSkipInterval,
        @CField("scm_mask") String scmMask,
        @CField("scm_policy_dynamic") Boolean scmPolicyDynamic,
        @CField("spectrum_w") @Range(min = -3.0e38, max = 3.0e38) Float spectrumW,
        @CField("spectrum_m") Integer spectrumM,
        @CField("spectrum_lam") @Range(min = -3.0e38, max = 3.0e38) Float spectrumLam,
        @CField("spectrum_window_size") Integer spectrumWindowSize,
        @CField("spectrum_flex_window") @Range(min = -3.0e38, max = 3.0e38) Float spectrumFlexWindow,
        @CField("spectrum_warmup_steps") Integer spectrumWarmupSteps,
        @CField("spectrum_stop_percent") @Range(min = 0, max = 1) Float spectrumStopPercent) {

    private static final Pattern SCM_MASK = Pattern.compile("[01](,[01])*");

    /** Checks what sd-cli checks (see the class comment); every way of making one passes here. */
    public CacheParams {
        boolean stepCache = mode == CacheMode.EASYCACHE || mode == CacheMode.UCACHE;
        if (stepCache && reuseThreshold != null && reuseThreshold < 0) {
            throw new IllegalArgumentException("the cache threshold must be >= 0, got " + reuseThreshold);
        }
        if (stepCache && startPercent != null && endPercent != null && startPercent >= endPercent) {
            throw new IllegalArgumentException("the cache start must be below its end (0 <= start < end <= 1), got start "
                    + startPercent + ", end " + endPercent);
        }
        if (scmMask != null && !scmMask.isEmpty() && !SCM_MASK.matcher(scmMask).matches()) {
            throw new IllegalArgumentException("the scm mask must be 0s and 1s separated by commas (1: compute, "
                    + "0: may cache), e.g. \"1,1,0,1\", got \"" + scmMask + "\"");
        }
    }

    /** Caching off: sd.cpp's defaults. */
    public static final CacheParams DISABLED = builder().build();

    /** A builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings, to derive a changed copy. */
    public Builder toBuilder() {
        return new Builder().from(this);
    }

    /**
     * Upstream's name of a mode, as sd-cli's {@code --cache-mode} takes it: the constant in lower
     * case with '-' for '_' ({@code ucache}, {@code cache-dit}).
     */
    public static String sdName(CacheMode mode) {
        return mode.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * The mode upstream names {@code name} ({@link #sdName(CacheMode)}), e.g. {@code easycache}.
     *
     * @throws IllegalArgumentException for any other name; the message lists the names
     */
    public static CacheMode modeOf(String name) {
        for (CacheMode m : CacheMode.values()) {
            if (sdName(m).equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown cache mode '" + name + "': use one of "
                + Arrays.stream(CacheMode.values()).map(CacheParams::sdName).collect(Collectors.joining(", ")));
    }

    /** Fills an {@code sd_cache_params_t} already initialised by sd.cpp. */
    void toNative(MemorySegment p, Arena arena) {
        Structs.fill(p, sd_cache_params_t.layout(), this, CacheParamsOptions.ALL, arena);
    }

    /** The options that are set, e.g. {@code CacheParams[mode=EASYCACHE, reuseThreshold=0.2]}. */
    @Override
    public String toString() {
        return Option.describe(this, CacheParamsOptions.ALL);
    }

    /** Builds {@link CacheParams}; setters check their argument. Not thread-safe. */
    public static final class Builder extends CacheParamsBuilderBase {
        /** What one sd-cli key does with its value text, given the mode set so far. */
        private interface Key {
            void set(Builder b, String value);
        }

        /**
         * sd-cli's {@code --cache-option} keys (examples/common/common.cpp,
         * initialize_cache_params), in its order: the one place they are spelled. "threshold" and
         * "warmup" fill the field of the mode: EasyCache/UCache's reuse threshold or the block
         * caches' residual threshold; Spectrum's warm-up or the block caches'.
         */
        private static final Map<String, Key> KEYS = new LinkedHashMap<>();

        static {
            KEYS.put("threshold", (b, v) -> {
                if (b.mode == CacheMode.EASYCACHE || b.mode == CacheMode.UCACHE) {
                    b.reuseThreshold(number(v));
                } else {
                    b.residualDiffThreshold(number(v));
                }
            });
            KEYS.put("start", (b, v) -> b.startPercent(number(v)));
            KEYS.put("end", (b, v) -> b.endPercent(number(v)));
            KEYS.put("decay", (b, v) -> b.errorDecayRate(number(v)));
            KEYS.put("relative", (b, v) -> b.useRelativeThreshold(number(v) != 0));
            KEYS.put("reset", (b, v) -> b.resetErrorOnCompute(number(v) != 0));
            KEYS.put("Fn", (b, v) -> b.fnComputeBlocks(integer(v)));
            KEYS.put("Bn", (b, v) -> b.bnComputeBlocks(integer(v)));
            KEYS.put("warmup", (b, v) -> {
                if (b.mode == CacheMode.SPECTRUM) {
                    b.spectrumWarmupSteps(integer(v));
                } else {
                    b.maxWarmupSteps(integer(v));
                }
            });
            KEYS.put("w", (b, v) -> b.spectrumW(number(v)));
            KEYS.put("m", (b, v) -> b.spectrumM(integer(v)));
            KEYS.put("lam", (b, v) -> b.spectrumLam(number(v)));
            KEYS.put("window", (b, v) -> b.spectrumWindowSize(integer(v)));
            KEYS.put("flex", (b, v) -> b.spectrumFlexWindow(number(v)));
            KEYS.put("stop", (b, v) -> b.spectrumStopPercent(number(v)));
        }

        /** sd-cli also takes these spellings. */
        private static final Map<String, String> LOWER_CASE_KEYS = Map.of("fn", "Fn", "bn", "Bn");

        private Builder() {
        }

        /**
         * Sets the options sd-cli's {@code --cache-option} names, e.g. {@code "threshold=0.25"} or
         * {@code "threshold=1.5,reset=0"}: comma-separated {@code key=value}, keys
         * {@code threshold, start, end, decay, relative, reset} (EasyCache, UCache),
         * {@code Fn, Bn, threshold, warmup} (DBCache, TaylorSeer, Cache-DiT) and
         * {@code w, m, lam, window, flex, warmup, stop} (Spectrum); {@code relative} and
         * {@code reset} are numbers, 0 for false. Set the {@link #mode} first: "threshold" and
         * "warmup" mean the mode's own field, as in sd-cli.
         *
         * @param keyValues the list; empty sets nothing
         * @return this builder
         * @throws IllegalArgumentException for an entry without '=', an unknown key (the message
         *                                  lists the keys), or a value that is no number or out of range
         */
        public Builder sdOptions(String keyValues) {
            if (keyValues.isEmpty()) {
                return this;
            }
            for (String entry : keyValues.split(",", -1)) {
                int eq = entry.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("cache option '" + entry + "' is not key=value");
                }
                String key = entry.substring(0, eq);
                Key k = KEYS.get(LOWER_CASE_KEYS.getOrDefault(key, key));
                if (k == null) {
                    throw new IllegalArgumentException("unknown cache option '" + key + "': the keys are "
                            + String.join(", ", KEYS.keySet()));
                }
                try {
                    k.set(this, entry.substring(eq + 1));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("cache option '" + entry + "': " + e.getMessage(), e);
                }
            }
            return this;
        }

        private static float number(String v) {
            return parse(v, Float::parseFloat, "a number");
        }

        private static int integer(String v) {
            return parse(v, Integer::parseInt, "an integer");
        }

        private static <T> T parse(String v, Function<String, T> parse, String what) {
            try {
                return parse.apply(v.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + v + "' is not " + what);
            }
        }
    }
}
