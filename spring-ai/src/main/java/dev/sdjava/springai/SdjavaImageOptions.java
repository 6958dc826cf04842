package dev.sdjava.springai;

import dev.sdjava.PreviewMode;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;

import org.springframework.ai.image.ImageOptions;

import java.util.Objects;

/**
 * Spring AI {@link ImageOptions} for sdjava: the portable ones ({@code n}, {@code model},
 * {@code width}, {@code height}, {@code responseFormat}, {@code style}) and sd.cpp's sampling
 * settings on top. Every option left null keeps the default of the layer below: per-call options
 * over the model's defaults ({@code sdjava.options.*} with the Boot auto-configuration), those over
 * sd.cpp's own (512x512, 20 steps, CFG 7, the model's sampler and scheduler, a random seed).
 *
 * <p>A JavaBean (Boot binds {@code sdjava.options.*} onto it) with a {@link #builder()}. Ranges
 * are sdjava's and are checked when a request is built from the options:
 * an out-of-range value is an {@link IllegalArgumentException} naming the option.
 *
 * <ul>
 *   <li>{@code n}: images per call, 1..64 (sd.cpp's batch count; image i uses seed + i).</li>
 *   <li>{@code model}: informational; the model is the one the context loaded. When set, it must
 *       equal {@link SdjavaImageModel#modelName()} (the model file's name), else the call fails.</li>
 *   <li>{@code width}, {@code height}: pixels, multiples of 8 in 8..8192. Edits default to the input
 *       image's size.</li>
 *   <li>{@code responseFormat}: {@code b64_json} (default: base64 PNG in {@code Image.getB64Json()})
 *       or {@code url} (a {@code data:image/png;base64,...} URL in {@code Image.getUrl()}); no
 *       network URLs, the images never leave the process.</li>
 *   <li>{@code style}: sd.cpp has no style parameter; a style is appended to the prompt as
 *       {@code "<prompt>, <style>"}.</li>
 *   <li>{@code negativePrompt}, {@code steps} (1..1000), {@code cfgScale} (0..100),
 *       {@code samplingMethod}, {@code scheduler}, {@code seed} (at least 0), {@code strength}
 *       (edits only, 0..1, default 0.75).</li>
 *   <li>{@code previewMode} and {@code previewInterval}: the partial images of
 *       {@link SdjavaImageModel#stream}; default {@link PreviewMode#PROJ} every step.
 *       {@link PreviewMode#TAE} needs a TAESD model ({@code sdjava.taesd}).</li>
 * </ul>
 */
public class SdjavaImageOptions implements ImageOptions {
    /** {@link #getResponseFormat()} for base64 PNG data (the default). */
    public static final String B64_JSON = "b64_json";
    /** {@link #getResponseFormat()} for a {@code data:} URL holding the PNG. */
    public static final String URL = "url";

    /** Images per call, 1..64 (one sd.cpp batch; image i uses seed + i); default 1. */
    private Integer n;
    /** The model's name; when set it must be the loaded model's file name. */
    private String model;
    /** Width in pixels, a multiple of 8 in 8..8192; default 512, or the input image's for edits. */
    private Integer width;
    /** Height in pixels, a multiple of 8 in 8..8192; default 512, or the input image's for edits. */
    private Integer height;
    /** b64_json (default) or url (a data: URL). */
    private String responseFormat;
    /** A style, appended to the prompt after a comma (sd.cpp has no style parameter). */
    private String style;
    /** What not to draw; default "". */
    private String negativePrompt;
    /** Sampling steps, 1..1000; default 20. */
    private Integer steps;
    /** Classifier-free guidance scale, 0..100; default 7. */
    private Float cfgScale;
    /** The sampler; default: sd.cpp's choice for the model. */
    private SamplingMethod samplingMethod;
    /** The noise schedule; default: sd.cpp's choice for the model and sampler. */
    private Scheduler scheduler;
    /** The seed, at least 0; default random. */
    private Long seed;
    /** How much an edit changes the input image, 0..1; default 0.75. */
    private Float strength;
    /** How streaming previews are made (proj, tae, vae); default proj. */
    private PreviewMode previewMode;
    /** Steps between streaming previews, 1..1000; default 1. */
    private Integer previewInterval;

    /** Empty options: everything from the layer below. */
    public SdjavaImageOptions() {
    }

    /** A builder of options. */
    public static Builder builder() {
        return new Builder();
    }

    /** A copy of these options. */
    public SdjavaImageOptions copy() {
        return new SdjavaImageOptions().overlay(this);
    }

    /**
     * A new set of options: these, with every option that {@code over} sets replacing this one's.
     * {@code over} may be any {@link ImageOptions} (only its portable options are read then) or null.
     */
    public SdjavaImageOptions merge(ImageOptions over) {
        return copy().overlay(over);
    }

    private SdjavaImageOptions overlay(ImageOptions o) {
        if (o == null) {
            return this;
        }
        n = pick(o.getN(), n);
        model = pick(o.getModel(), model);
        width = pick(o.getWidth(), width);
        height = pick(o.getHeight(), height);
        responseFormat = pick(o.getResponseFormat(), responseFormat);
        style = pick(o.getStyle(), style);
        if (o instanceof SdjavaImageOptions s) {
            negativePrompt = pick(s.negativePrompt, negativePrompt);
            steps = pick(s.steps, steps);
            cfgScale = pick(s.cfgScale, cfgScale);
            samplingMethod = pick(s.samplingMethod, samplingMethod);
            scheduler = pick(s.scheduler, scheduler);
            seed = pick(s.seed, seed);
            strength = pick(s.strength, strength);
            previewMode = pick(s.previewMode, previewMode);
            previewInterval = pick(s.previewInterval, previewInterval);
        }
        return this;
    }

    private static <T> T pick(T over, T under) {
        return over != null ? over : under;
    }

    /** Images per call, 1..64; default 1. */
    @Override
    public Integer getN() {
        return n;
    }

    public void setN(Integer n) {
        this.n = n;
    }

    /** The model's name; when set it must be the loaded model's ({@link SdjavaImageModel#modelName()}). */
    @Override
    public String getModel() {
        return model;
    }

    public void setModel(String model) {
        this.model = model;
    }

    /** Width in pixels, a multiple of 8 in 8..8192; default 512, or the input image's for edits. */
    @Override
    public Integer getWidth() {
        return width;
    }

    public void setWidth(Integer width) {
        this.width = width;
    }

    /** Height in pixels, a multiple of 8 in 8..8192; default 512, or the input image's for edits. */
    @Override
    public Integer getHeight() {
        return height;
    }

    public void setHeight(Integer height) {
        this.height = height;
    }

    /** {@value #B64_JSON} (default) or {@value #URL} (a data: URL). */
    @Override
    public String getResponseFormat() {
        return responseFormat;
    }

    public void setResponseFormat(String responseFormat) {
        this.responseFormat = responseFormat;
    }

    /** A style appended to the prompt as {@code "<prompt>, <style>"}; default none. */
    @Override
    public String getStyle() {
        return style;
    }

    public void setStyle(String style) {
        this.style = style;
    }

    /** What not to draw; default "". Prompt messages with a negative weight are added to it. */
    public String getNegativePrompt() {
        return negativePrompt;
    }

    public void setNegativePrompt(String negativePrompt) {
        this.negativePrompt = negativePrompt;
    }

    /** Sampling steps, 1..1000; default 20. */
    public Integer getSteps() {
        return steps;
    }

    public void setSteps(Integer steps) {
        this.steps = steps;
    }

    /** Classifier-free guidance scale, 0..100; default 7. */
    public Float getCfgScale() {
        return cfgScale;
    }

    public void setCfgScale(Float cfgScale) {
        this.cfgScale = cfgScale;
    }

    /** The sampler; default: sd.cpp's choice for the model. */
    public SamplingMethod getSamplingMethod() {
        return samplingMethod;
    }

    public void setSamplingMethod(SamplingMethod samplingMethod) {
        this.samplingMethod = samplingMethod;
    }

    /** The noise schedule; default: sd.cpp's choice for the model and sampler. */
    public Scheduler getScheduler() {
        return scheduler;
    }

    public void setScheduler(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** The seed, at least 0; default random (reported in each result's metadata). */
    public Long getSeed() {
        return seed;
    }

    public void setSeed(Long seed) {
        this.seed = seed;
    }

    /** How much an edit changes the input image, 0..1; default 0.75. Ignored without an input image. */
    public Float getStrength() {
        return strength;
    }

    public void setStrength(Float strength) {
        this.strength = strength;
    }

    /** How streaming previews are made; default {@link PreviewMode#PROJ}. Ignored by {@code call}. */
    public PreviewMode getPreviewMode() {
        return previewMode;
    }

    public void setPreviewMode(PreviewMode previewMode) {
        this.previewMode = previewMode;
    }

    /** Steps between streaming previews, 1..1000; default 1. Ignored by {@code call}. */
    public Integer getPreviewInterval() {
        return previewInterval;
    }

    public void setPreviewInterval(Integer previewInterval) {
        this.previewInterval = previewInterval;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SdjavaImageOptions s && Objects.equals(n, s.n) && Objects.equals(model, s.model)
                && Objects.equals(width, s.width) && Objects.equals(height, s.height)
                && Objects.equals(responseFormat, s.responseFormat) && Objects.equals(style, s.style)
                && Objects.equals(negativePrompt, s.negativePrompt) && Objects.equals(steps, s.steps)
                && Objects.equals(cfgScale, s.cfgScale) && samplingMethod == s.samplingMethod && scheduler == s.scheduler
                && Objects.equals(seed, s.seed) && Objects.equals(strength, s.strength) && previewMode == s.previewMode
                && Objects.equals(previewInterval, s.previewInterval);
    }

    @Override
    public int hashCode() {
        return Objects.hash(n, model, width, height, responseFormat, style, negativePrompt, steps, cfgScale,
                samplingMethod, scheduler, seed, strength, previewMode, previewInterval);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("SdjavaImageOptions[");
        append(s, "n", n);
        append(s, "model", model);
        append(s, "width", width);
        append(s, "height", height);
        append(s, "responseFormat", responseFormat);
        append(s, "style", style);
        append(s, "negativePrompt", negativePrompt);
        append(s, "steps", steps);
        append(s, "cfgScale", cfgScale);
        append(s, "samplingMethod", samplingMethod);
        append(s, "scheduler", scheduler);
        append(s, "seed", seed);
        append(s, "strength", strength);
        append(s, "previewMode", previewMode);
        append(s, "previewInterval", previewInterval);
        if (s.charAt(s.length() - 1) == ' ') {
            s.setLength(s.length() - 2);
        }
        return s.append(']').toString();
    }

    private static void append(StringBuilder s, String name, Object value) {
        if (value != null) {
            s.append(name).append('=').append(value).append(", ");
        }
    }

    /** Builds {@link SdjavaImageOptions}; each setter sets one option (null unsets it). */
    public static final class Builder {
        private final SdjavaImageOptions o = new SdjavaImageOptions();

        private Builder() {
        }

        public Builder n(Integer n) {
            o.n = n;
            return this;
        }

        public Builder model(String model) {
            o.model = model;
            return this;
        }

        public Builder width(Integer width) {
            o.width = width;
            return this;
        }

        public Builder height(Integer height) {
            o.height = height;
            return this;
        }

        /** Width and height in pixels. */
        public Builder size(int width, int height) {
            return width(width).height(height);
        }

        public Builder responseFormat(String responseFormat) {
            o.responseFormat = responseFormat;
            return this;
        }

        public Builder style(String style) {
            o.style = style;
            return this;
        }

        public Builder negativePrompt(String negativePrompt) {
            o.negativePrompt = negativePrompt;
            return this;
        }

        public Builder steps(Integer steps) {
            o.steps = steps;
            return this;
        }

        public Builder cfgScale(Float cfgScale) {
            o.cfgScale = cfgScale;
            return this;
        }

        public Builder samplingMethod(SamplingMethod samplingMethod) {
            o.samplingMethod = samplingMethod;
            return this;
        }

        public Builder scheduler(Scheduler scheduler) {
            o.scheduler = scheduler;
            return this;
        }

        public Builder seed(Long seed) {
            o.seed = seed;
            return this;
        }

        public Builder strength(Float strength) {
            o.strength = strength;
            return this;
        }

        public Builder previewMode(PreviewMode previewMode) {
            o.previewMode = previewMode;
            return this;
        }

        public Builder previewInterval(Integer previewInterval) {
            o.previewInterval = previewInterval;
            return this;
        }

        /** The options (a copy: the builder may go on). */
        public SdjavaImageOptions build() {
            return o.copy();
        }
    }
}
