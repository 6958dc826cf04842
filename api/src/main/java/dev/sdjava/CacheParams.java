package dev.sdjava;

import dev.sdjava.internal.natives.Native;

import dev.sdjava.internal.bindings.sd_cache_params_t;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Step-cache settings of a request (sd.cpp's {@code sd_cache_params_t}). Immutable; made with
 * {@link #builder()}. Unset values keep sd.cpp's defaults ({@code sd_cache_params_init}), given
 * below for reference.
 */
public final class CacheParams {
    /** Caching off: sd.cpp's defaults. */
    public static final CacheParams DISABLED = builder().build();

    private final CacheMode mode;
    private final Float reuseThreshold;
    private final Float startPercent;
    private final Float endPercent;
    private final Float errorDecayRate;
    private final Boolean useRelativeThreshold;
    private final Boolean resetErrorOnCompute;
    private final Integer fnComputeBlocks;
    private final Integer bnComputeBlocks;
    private final Float residualDiffThreshold;
    private final Integer maxWarmupSteps;
    private final Integer maxCachedSteps;
    private final Integer maxContinuousCachedSteps;
    private final Integer taylorseerDerivatives;
    private final Integer taylorseerSkipInterval;
    private final String scmMask;
    private final Boolean scmPolicyDynamic;
    private final Float spectrumW;
    private final Integer spectrumM;
    private final Float spectrumLam;
    private final Integer spectrumWindowSize;
    private final Float spectrumFlexWindow;
    private final Integer spectrumWarmupSteps;
    private final Float spectrumStopPercent;

    private CacheParams(Builder b) {
        mode = b.mode;
        reuseThreshold = b.reuseThreshold;
        startPercent = b.startPercent;
        endPercent = b.endPercent;
        errorDecayRate = b.errorDecayRate;
        useRelativeThreshold = b.useRelativeThreshold;
        resetErrorOnCompute = b.resetErrorOnCompute;
        fnComputeBlocks = b.fnComputeBlocks;
        bnComputeBlocks = b.bnComputeBlocks;
        residualDiffThreshold = b.residualDiffThreshold;
        maxWarmupSteps = b.maxWarmupSteps;
        maxCachedSteps = b.maxCachedSteps;
        maxContinuousCachedSteps = b.maxContinuousCachedSteps;
        taylorseerDerivatives = b.taylorseerDerivatives;
        taylorseerSkipInterval = b.taylorseerSkipInterval;
        scmMask = b.scmMask;
        scmPolicyDynamic = b.scmPolicyDynamic;
        spectrumW = b.spectrumW;
        spectrumM = b.spectrumM;
        spectrumLam = b.spectrumLam;
        spectrumWindowSize = b.spectrumWindowSize;
        spectrumFlexWindow = b.spectrumFlexWindow;
        spectrumWarmupSteps = b.spectrumWarmupSteps;
        spectrumStopPercent = b.spectrumStopPercent;
    }

    /** A builder with nothing set. */
    public static Builder builder() {
        return new Builder();
    }

    /** The cache algorithm, or null when unset (disabled). */
    public CacheMode mode() {
        return mode;
    }

    /** Fills an {@code sd_cache_params_t} already initialised by sd.cpp. */
    void toNative(MemorySegment p, Arena arena) {
        if (mode != null) sd_cache_params_t.mode(p, mode.value());
        if (reuseThreshold != null) sd_cache_params_t.reuse_threshold(p, reuseThreshold);
        if (startPercent != null) sd_cache_params_t.start_percent(p, startPercent);
        if (endPercent != null) sd_cache_params_t.end_percent(p, endPercent);
        if (errorDecayRate != null) sd_cache_params_t.error_decay_rate(p, errorDecayRate);
        if (useRelativeThreshold != null) sd_cache_params_t.use_relative_threshold(p, useRelativeThreshold);
        if (resetErrorOnCompute != null) sd_cache_params_t.reset_error_on_compute(p, resetErrorOnCompute);
        if (fnComputeBlocks != null) sd_cache_params_t.Fn_compute_blocks(p, fnComputeBlocks);
        if (bnComputeBlocks != null) sd_cache_params_t.Bn_compute_blocks(p, bnComputeBlocks);
        if (residualDiffThreshold != null) sd_cache_params_t.residual_diff_threshold(p, residualDiffThreshold);
        if (maxWarmupSteps != null) sd_cache_params_t.max_warmup_steps(p, maxWarmupSteps);
        if (maxCachedSteps != null) sd_cache_params_t.max_cached_steps(p, maxCachedSteps);
        if (maxContinuousCachedSteps != null) sd_cache_params_t.max_continuous_cached_steps(p, maxContinuousCachedSteps);
        if (taylorseerDerivatives != null) sd_cache_params_t.taylorseer_n_derivatives(p, taylorseerDerivatives);
        if (taylorseerSkipInterval != null) sd_cache_params_t.taylorseer_skip_interval(p, taylorseerSkipInterval);
        if (scmMask != null) sd_cache_params_t.scm_mask(p, Native.cString(arena, scmMask, "cache scmMask"));
        if (scmPolicyDynamic != null) sd_cache_params_t.scm_policy_dynamic(p, scmPolicyDynamic);
        if (spectrumW != null) sd_cache_params_t.spectrum_w(p, spectrumW);
        if (spectrumM != null) sd_cache_params_t.spectrum_m(p, spectrumM);
        if (spectrumLam != null) sd_cache_params_t.spectrum_lam(p, spectrumLam);
        if (spectrumWindowSize != null) sd_cache_params_t.spectrum_window_size(p, spectrumWindowSize);
        if (spectrumFlexWindow != null) sd_cache_params_t.spectrum_flex_window(p, spectrumFlexWindow);
        if (spectrumWarmupSteps != null) sd_cache_params_t.spectrum_warmup_steps(p, spectrumWarmupSteps);
        if (spectrumStopPercent != null) sd_cache_params_t.spectrum_stop_percent(p, spectrumStopPercent);
    }

    /** Builds {@link CacheParams}. */
    public static final class Builder {
        private CacheMode mode;
        private Float reuseThreshold;
        private Float startPercent;
        private Float endPercent;
        private Float errorDecayRate;
        private Boolean useRelativeThreshold;
        private Boolean resetErrorOnCompute;
        private Integer fnComputeBlocks;
        private Integer bnComputeBlocks;
        private Float residualDiffThreshold;
        private Integer maxWarmupSteps;
        private Integer maxCachedSteps;
        private Integer maxContinuousCachedSteps;
        private Integer taylorseerDerivatives;
        private Integer taylorseerSkipInterval;
        private String scmMask;
        private Boolean scmPolicyDynamic;
        private Float spectrumW;
        private Integer spectrumM;
        private Float spectrumLam;
        private Integer spectrumWindowSize;
        private Float spectrumFlexWindow;
        private Integer spectrumWarmupSteps;
        private Float spectrumStopPercent;

        private Builder() {
        }

        /** The cache algorithm; default DISABLED. */
        public Builder mode(CacheMode v) {
            mode = v;
            return this;
        }

        /** Reuse threshold; default +inf (sd.cpp picks per mode). */
        public Builder reuseThreshold(float v) {
            if (Float.isNaN(v)) throw new IllegalArgumentException("reuseThreshold must not be NaN");
            reuseThreshold = v;
            return this;
        }

        /** Fraction of steps before caching starts, 0..1; default 0.15. */
        public Builder startPercent(float v) {
            if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException("startPercent must be in [0,1], got " + v);
            startPercent = v;
            return this;
        }

        /** Fraction of steps after which caching stops, 0..1; default 0.95. */
        public Builder endPercent(float v) {
            if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException("endPercent must be in [0,1], got " + v);
            endPercent = v;
            return this;
        }

        /** Error decay rate; default 1. */
        public Builder errorDecayRate(float v) {
            if (Float.isNaN(v)) throw new IllegalArgumentException("errorDecayRate must not be NaN");
            errorDecayRate = v;
            return this;
        }

        /** Threshold relative to the output; default true. */
        public Builder useRelativeThreshold(boolean v) {
            useRelativeThreshold = v;
            return this;
        }

        /** Reset the accumulated error after a full step; default true. */
        public Builder resetErrorOnCompute(boolean v) {
            resetErrorOnCompute = v;
            return this;
        }

        /** DBCache: front blocks always computed; default 8. */
        public Builder fnComputeBlocks(int v) {
            fnComputeBlocks = v;
            return this;
        }

        /** DBCache: back blocks always computed; default 0. */
        public Builder bnComputeBlocks(int v) {
            bnComputeBlocks = v;
            return this;
        }

        /** DBCache: residual difference threshold; default 0.08. */
        public Builder residualDiffThreshold(float v) {
            if (Float.isNaN(v)) throw new IllegalArgumentException("residualDiffThreshold must not be NaN");
            residualDiffThreshold = v;
            return this;
        }

        /** Steps computed before caching may start; default 8. */
        public Builder maxWarmupSteps(int v) {
            maxWarmupSteps = v;
            return this;
        }

        /** Most steps served from cache, -1 = no limit; default -1. */
        public Builder maxCachedSteps(int v) {
            maxCachedSteps = v;
            return this;
        }

        /** Most cached steps in a row, -1 = no limit; default -1. */
        public Builder maxContinuousCachedSteps(int v) {
            maxContinuousCachedSteps = v;
            return this;
        }

        /** TaylorSeer: derivatives kept; default 1. */
        public Builder taylorseerDerivatives(int v) {
            taylorseerDerivatives = v;
            return this;
        }

        /** TaylorSeer: skip interval; default 1. */
        public Builder taylorseerSkipInterval(int v) {
            taylorseerSkipInterval = v;
            return this;
        }

        /** Step computation mask, e.g. "1,1,0,1"; default none. */
        public Builder scmMask(String v) {
            scmMask = v;
            return this;
        }

        /** Dynamic step computation policy; default true. */
        public Builder scmPolicyDynamic(boolean v) {
            scmPolicyDynamic = v;
            return this;
        }

        /** Spectrum: w; default 0.4. */
        public Builder spectrumW(float v) {
            if (Float.isNaN(v)) throw new IllegalArgumentException("spectrumW must not be NaN");
            spectrumW = v;
            return this;
        }

        /** Spectrum: m; default 3. */
        public Builder spectrumM(int v) {
            spectrumM = v;
            return this;
        }

        /** Spectrum: lambda; default 1. */
        public Builder spectrumLam(float v) {
            if (Float.isNaN(v)) throw new IllegalArgumentException("spectrumLam must not be NaN");
            spectrumLam = v;
            return this;
        }

        /** Spectrum: window size; default 2. */
        public Builder spectrumWindowSize(int v) {
            spectrumWindowSize = v;
            return this;
        }

        /** Spectrum: flexible window; default 0.5. */
        public Builder spectrumFlexWindow(float v) {
            if (Float.isNaN(v)) throw new IllegalArgumentException("spectrumFlexWindow must not be NaN");
            spectrumFlexWindow = v;
            return this;
        }

        /** Spectrum: warm-up steps; default 4. */
        public Builder spectrumWarmupSteps(int v) {
            spectrumWarmupSteps = v;
            return this;
        }

        /** Spectrum: fraction of steps where it stops; default 0.9. */
        public Builder spectrumStopPercent(float v) {
            if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException("spectrumStopPercent must be in [0,1], got " + v);
            spectrumStopPercent = v;
            return this;
        }

        /** The immutable settings. */
        public CacheParams build() {
            return new CacheParams(this);
        }
    }
}
