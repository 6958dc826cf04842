package dev.sdjava.langchain4j;

import dev.langchain4j.data.image.Image;
import dev.langchain4j.exception.NonRetriableException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.model.image.ImageModel;
import dev.langchain4j.model.output.Response;
import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.ModelConfig;
import dev.sdjava.SamplingMethod;
import dev.sdjava.Scheduler;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;
import dev.sdjava.StableDiffusionException;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.UnaryOperator;

/**
 * A LangChain4j {@link ImageModel} over an sdjava {@link StableDiffusion} context: images made in
 * this process by stable-diffusion.cpp (CPU or GPU), nothing sent over a network.
 *
 * <pre>{@code
 * try (var model = SdjavaImageModel.builder()
 *         .modelConfig(ModelConfig.builder().model(Path.of("sd15.safetensors")).build())
 *         .size(512, 512).steps(20).seed(42L)
 *         .build()) {
 *     Image image = model.generate("a lighthouse at dusk").content();   // base64 PNG
 * }
 * }</pre>
 *
 * <p>Settings come from the {@link #builder()}: the context ({@link Builder#stableDiffusion}, shared
 * and not closed by this model, or {@link Builder#modelConfig}, loaded by {@code build()} and closed
 * by {@link #close()}), and the request settings every call uses (size, steps, CFG, sampler,
 * scheduler, seed, negative prompt, strength; anything else of {@link GenerationRequest} through
 * {@link Builder#requestCustomizer}). Unset settings keep sd.cpp's defaults (512x512, 20 steps,
 * CFG 7, the model's sampler and scheduler, a random seed), so the same settings give the same
 * pixels as {@link StableDiffusion#generate} with the same request.
 *
 * <ul>
 *   <li>{@link #generate(String)}, {@link #generate(String, int)}: text-to-image; {@code n} images
 *       are one sd.cpp batch, image i with seed + i.</li>
 *   <li>{@link #edit(Image, String)}: image-to-image from {@code image}, by {@code strength}
 *       (default 0.75).</li>
 *   <li>{@link #edit(Image, Image, String)}: inpainting: repaints where the mask is white, keeps
 *       where it is black.</li>
 * </ul>
 * Edits produce the input image's size unless the builder sets one (the image must then have
 * it). Input images are read from {@link Image#base64Data()} or from a {@code file:} or
 * {@code data:} {@link Image#url()}; nothing is fetched over a network.
 *
 * <p>Results are {@link Image}s with base64 PNG data ({@code image/png}, the generation
 * parameters in a {@code parameters} text chunk) and the response metadata holds
 * {@code "seed"} and {@code "parameters"} (for one image) or {@code "seeds"} (for several).
 *
 * <p>Errors: a bad setting or input is an {@link IllegalArgumentException} naming it, before
 * anything native runs; a failure in sd.cpp is a {@link NonRetriableException}, a crashed
 * isolated worker a {@link RetriableException} (the next call starts a new one), each with the
 * {@link StableDiffusionException} as cause. Interrupting the calling thread cancels as far as
 * the pinned sd.cpp allows ({@link StableDiffusion}, "Cancellation") and throws
 * {@link CancellationException}. Thread-safe; calls on one context run one at a time.
 */
public final class SdjavaImageModel implements ImageModel, AutoCloseable {
    private final StableDiffusion sd;
    private final boolean owned;
    private final Builder settings;

    private SdjavaImageModel(StableDiffusion sd, boolean owned, Builder settings) {
        this.sd = sd;
        this.owned = owned;
        this.settings = settings;
    }

    /** A builder; it needs {@link Builder#stableDiffusion} or {@link Builder#modelConfig}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The context this model generates with. */
    public StableDiffusion stableDiffusion() {
        return sd;
    }

    @Override
    public Response<Image> generate(String prompt) {
        return single(run(request(prompt, null, null, 1)));
    }

    /** {@code n} images (1..64) in one sd.cpp batch; image i uses the seed plus i. */
    @Override
    public Response<List<Image>> generate(String prompt, int n) {
        List<GeneratedImage> images = run(request(prompt, null, null, n));
        List<Image> out = new ArrayList<>(images.size());
        List<Long> seeds = new ArrayList<>(images.size());
        for (GeneratedImage g : images) {
            out.add(image(g));
            seeds.add(g.seed());
        }
        return Response.from(out, null, null, Map.of("seeds", List.copyOf(seeds)));
    }

    /** Image-to-image: {@code image} redrawn by {@code strength} towards {@code prompt}. */
    @Override
    public Response<Image> edit(Image image, String prompt) {
        return single(run(request(prompt, read(image, "image", 3), null, 1)));
    }

    /** Inpainting: {@code image} repainted where {@code mask} is white, kept where it is black. */
    @Override
    public Response<Image> edit(Image image, Image mask, String prompt) {
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null (edit(image, prompt) edits without one)");
        }
        return single(run(request(prompt, read(image, "image", 3), read(mask, "mask", 1), 1)));
    }

    /** Closes the context if {@code build()} loaded it ({@link Builder#modelConfig}); a shared one stays open. */
    @Override
    public void close() {
        if (owned) {
            sd.close();
        }
    }

    private GenerationRequest request(String prompt, SdImage image, SdImage mask, int n) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt must not be null");
        }
        var b = GenerationRequest.builder(prompt);
        if (n != 1) {
            b.batchCount(n);
        }
        Builder s = settings;
        if (s.width != null) {
            b.width(s.width);
        } else if (image != null) {
            b.width(image.width());
        }
        if (s.height != null) {
            b.height(s.height);
        } else if (image != null) {
            b.height(image.height());
        }
        if (s.steps != null) {
            b.steps(s.steps);
        }
        if (s.cfgScale != null) {
            b.cfgScale(s.cfgScale);
        }
        if (s.samplingMethod != null) {
            b.samplingMethod(s.samplingMethod);
        }
        if (s.scheduler != null) {
            b.scheduler(s.scheduler);
        }
        if (s.seed != null) {
            b.seed(s.seed);
        }
        if (s.negativePrompt != null) {
            b.negativePrompt(s.negativePrompt);
        }
        if (image != null) {
            b.initImage(image);
            if (s.strength != null) {
                b.strength(s.strength);
            }
            if (mask != null) {
                b.mask(mask);
            }
        }
        if (s.customizer != null) {
            b = s.customizer.apply(b);
            if (b == null) {
                throw new IllegalArgumentException("requestCustomizer returned null; it must return the builder");
            }
        }
        return b.build();
    }

    private List<GeneratedImage> run(GenerationRequest request) {
        try {
            return sd.generate(request);
        } catch (StableDiffusionException e) {
            if (e.kind() == StableDiffusionException.Kind.WORKER_CRASHED) {
                throw new RetriableException("sdjava: " + e.getMessage(), e);
            }
            throw new NonRetriableException("sdjava: " + e.getMessage(), e);
        }
    }

    private static Response<Image> single(List<GeneratedImage> images) {
        GeneratedImage g = images.getFirst();
        return Response.from(image(g), null, null, Map.of("seed", g.seed(), "parameters", g.parameters()));
    }

    private static Image image(GeneratedImage g) {
        return Image.builder().base64Data(Base64.getEncoder().encodeToString(g.toPng())).mimeType("image/png").build();
    }

    /** The pixels of an input image, with {@code channels} bytes per pixel (3 for images, 1 for masks). */
    static SdImage read(Image image, String what, int channels) {
        if (image == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (image.base64Data() != null) {
            return SdImage.read(decode(image.base64Data(), what), channels);
        }
        URI url = image.url();
        if (url == null) {
            throw new IllegalArgumentException(what + " has neither base64Data nor a url");
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme();
        if (scheme.equalsIgnoreCase("file")) {
            Path p = Path.of(url);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException(what + " file not found: " + p);
            }
            return SdImage.read(p, channels);
        }
        if (scheme.equalsIgnoreCase("data")) {
            String s = url.getSchemeSpecificPart();
            int comma = s.indexOf(',');
            if (comma < 0 || !s.substring(0, comma).endsWith(";base64")) {
                throw new IllegalArgumentException(what + " data: URL must be base64 (data:image/png;base64,...)");
            }
            return SdImage.read(decode(s.substring(comma + 1), what), channels);
        }
        throw new IllegalArgumentException(what + " url must be file: or data: (sdjava fetches nothing over a network), got "
                + scheme + ":");
    }

    private static byte[] decode(String base64, String what) {
        try {
            return Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " base64Data is not base64: " + e.getMessage(), e);
        }
    }

    /**
     * Builds an {@link SdjavaImageModel}. Request settings are checked by {@link #build()} (as
     * {@link GenerationRequest}'s setters check them: an {@link IllegalArgumentException} naming the
     * setting and its range). Not thread-safe.
     */
    public static final class Builder {
        private StableDiffusion stableDiffusion;
        private ModelConfig modelConfig;
        private Integer width;
        private Integer height;
        private Integer steps;
        private Float cfgScale;
        private SamplingMethod samplingMethod;
        private Scheduler scheduler;
        private Long seed;
        private String negativePrompt;
        private Float strength;
        private UnaryOperator<GenerationRequest.Builder> customizer;

        private Builder() {
        }

        /** Generates with this context, which the caller owns and closes; the model never closes it. */
        public Builder stableDiffusion(StableDiffusion sd) {
            this.stableDiffusion = sd;
            return this;
        }

        /** Loads this configuration in {@link #build()}; the model owns the context and {@link SdjavaImageModel#close()} frees it. */
        public Builder modelConfig(ModelConfig config) {
            this.modelConfig = config;
            return this;
        }

        /** Image width in pixels, a multiple of 8 in 8..8192; default 512 (edits: the input's). */
        public Builder width(Integer width) {
            this.width = width;
            return this;
        }

        /** Image height in pixels, a multiple of 8 in 8..8192; default 512 (edits: the input's). */
        public Builder height(Integer height) {
            this.height = height;
            return this;
        }

        /** Width and height in pixels. */
        public Builder size(int width, int height) {
            return width(width).height(height);
        }

        /** Sampling steps, 1..1000; default 20. */
        public Builder steps(Integer steps) {
            this.steps = steps;
            return this;
        }

        /** Classifier-free guidance scale, 0..100; default 7. */
        public Builder cfgScale(Float cfgScale) {
            this.cfgScale = cfgScale;
            return this;
        }

        /** The sampler; default: sd.cpp's choice for the model. */
        public Builder samplingMethod(SamplingMethod samplingMethod) {
            this.samplingMethod = samplingMethod;
            return this;
        }

        /** The noise schedule; default: sd.cpp's choice for the model and sampler. */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        /** The seed, at least 0; default random (reported in the response metadata). */
        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        /** What not to draw; default "". */
        public Builder negativePrompt(String negativePrompt) {
            this.negativePrompt = negativePrompt;
            return this;
        }

        /** How much an edit changes the input image, 0..1; default 0.75. */
        public Builder strength(Float strength) {
            this.strength = strength;
            return this;
        }

        /**
         * Changes every request after the settings above are applied: any other option of
         * {@link GenerationRequest} (LoRAs, VAE tiling, hires fix...). Returns the builder to use.
         */
        public Builder requestCustomizer(UnaryOperator<GenerationRequest.Builder> customizer) {
            this.customizer = customizer;
            return this;
        }

        /**
         * The model; loads {@link #modelConfig} if that was given.
         *
         * @throws IllegalArgumentException if neither or both of stableDiffusion and modelConfig are set,
         *                                  or a request setting is out of range
         */
        public SdjavaImageModel build() {
            if ((stableDiffusion == null) == (modelConfig == null)) {
                throw new IllegalArgumentException("set exactly one of stableDiffusion (shared) and modelConfig (loaded and owned)");
            }
            Builder copy = copy();
            // Checks the settings now, with the request's own setters, rather than at the first call.
            new SdjavaImageModel(null, false, copy).request("", null, null, 1);
            if (strength != null) {
                GenerationRequest.builder("").strength(strength);
            }
            if (stableDiffusion != null) {
                return new SdjavaImageModel(stableDiffusion, false, copy);
            }
            return new SdjavaImageModel(StableDiffusion.load(modelConfig), true, copy);
        }

        private Builder copy() {
            Builder c = new Builder();
            c.width = width;
            c.height = height;
            c.steps = steps;
            c.cfgScale = cfgScale;
            c.samplingMethod = samplingMethod;
            c.scheduler = scheduler;
            c.seed = seed;
            c.negativePrompt = negativePrompt;
            c.strength = strength;
            c.customizer = customizer;
            return c;
        }
    }
}
