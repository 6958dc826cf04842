package dev.sdjava;

import dev.sdjava.internal.bindings.sd_cache_params_t;
import dev.sdjava.internal.options.CField;
import dev.sdjava.internal.options.CacheParamsOptions;
import dev.sdjava.internal.options.Option;
import dev.sdjava.internal.options.Options;
import dev.sdjava.internal.options.Range;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Step-cache settings of a request (sd.cpp's {@code sd_cache_params_t}). Immutable; made with
 * {@link #builder()}. Every option reads back through its accessor, which returns null while the
 * option is unset; unset options keep sd.cpp's defaults ({@code sd_cache_params_init}), given
 * below for reference.
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
 * @param scmMask                  step computation mask, e.g. "1,1,0,1"; default none
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
        private Builder() {
        }
    }
}
