package dev.sdjava.springai;

import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.ModelConfig;
import dev.sdjava.PreviewMode;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;
import dev.sdjava.StableDiffusionException;

import org.springframework.ai.content.Media;
import org.springframework.ai.image.Image;
import org.springframework.ai.image.ImageGeneration;
import org.springframework.ai.image.ImageMessage;
import org.springframework.ai.image.ImageModel;
import org.springframework.ai.image.ImagePrompt;
import org.springframework.ai.image.ImageResponse;
import org.springframework.ai.image.ImageResponseMetadata;
import org.springframework.ai.model.StreamingModel;
import org.springframework.ai.retry.NonTransientAiException;
import org.springframework.ai.retry.TransientAiException;

import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Spring AI {@link ImageModel} over one loaded sdjava {@link StableDiffusion} context: images
 * are made in this process by stable-diffusion.cpp (CPU or GPU), nothing goes over a network.
 *
 * <pre>{@code
 * var model = new SdjavaImageModel(sd);   // sd: StableDiffusion.load(...), owned by the caller
 * ImageResponse r = model.call(new ImagePrompt("a lighthouse at dusk",
 *         SdjavaImageOptions.builder().size(512, 512).steps(20).seed(42L).build()));
 * byte[] png = Base64.getDecoder().decode(r.getResult().getOutput().getB64Json());
 * }</pre>
 *
 * <h2>What it does</h2>
 * <ul>
 *   <li>{@link #call}: text-to-image; an image-to-image or inpainting edit when the prompt's
 *       first message carries image {@link Media} (see {@link #edit} and {@link #MASK_MEDIA_NAME}).</li>
 *   <li>{@link #stream}: the same generation as a {@link Flux}: partial images made from sd.cpp's
 *       previews while it samples, then the final response. Spring AI 2.0.1 has no
 *       {@code StreamingImageModel}; this implements its generic {@link StreamingModel}.</li>
 *   <li>{@link #edit}: Spring AI 2.0.1 has no {@code ImageEditModel} either; an input image makes an
 *       img2img request, an input image and a mask an inpainting request.</li>
 * </ul>
 * The request is built from the prompt and {@link SdjavaImageOptions} (per-call over this model's
 * defaults) and run with {@link StableDiffusion#generate}, so the same parameters give the same
 * pixels as the core API. Prompt messages are joined with {@code ", "}; a weight other than 1
 * is written in sd.cpp's attention syntax {@code (text:weight)}, and a message with a negative
 * weight goes into the negative prompt.
 *
 * <h2>Results</h2>
 * One {@link ImageGeneration} per image, its {@link Image} a PNG (with the generation parameters
 * in a {@code parameters} text chunk, as sd-cli writes) as base64 or a {@code data:} URL, its
 * metadata an {@link SdjavaImageGenerationMetadata} (seed, index, parameters, partial or final).
 *
 * <h2>Errors and cancellation</h2>
 * A bad option or input is an {@link IllegalArgumentException} naming it, before anything
 * native runs. A failure in sd.cpp is a {@link NonTransientAiException} (retrying the same request
 * gives the same failure), except a crashed isolated worker ({@link StableDiffusion#loadIsolated}),
 * which is a {@link TransientAiException}: the next call starts a fresh worker. Spring AI's
 * retry templates treat the two accordingly; the {@link StableDiffusionException} is the cause.
 * Interrupting the calling thread of {@link #call}, or cancelling the subscription of
 * {@link #stream}, stops the generation as far as the pinned sd.cpp allows
 * ({@link StableDiffusion}, "Cancellation"): a waiting call never starts, a running one is
 * discarded when sd.cpp returns, and {@code call} throws {@link CancellationException}.
 *
 * <p>Thread-safe; calls on one context run one at a time (the context's lock).
 */
public class SdjavaImageModel implements ImageModel, StreamingModel<ImagePrompt, ImageResponse> {
    /** The {@link Media#getName() name} of the media that is the inpainting mask in an edit prompt. */
    public static final String MASK_MEDIA_NAME = "mask";

    private static final AtomicLong STREAMS = new AtomicLong();

    private final StableDiffusion sd;
    private final SdjavaImageOptions defaults;

    /** A model over {@code sd} with no default options (sd.cpp's defaults apply). */
    public SdjavaImageModel(StableDiffusion sd) {
        this(sd, new SdjavaImageOptions());
    }

    /**
     * A model over {@code sd} (not closed by this model: its owner closes it) with these default
     * options, which per-call options override one by one.
     */
    public SdjavaImageModel(StableDiffusion sd, SdjavaImageOptions defaults) {
        if (sd == null) {
            throw new IllegalArgumentException("sd must not be null");
        }
        this.sd = sd;
        this.defaults = defaults == null ? new SdjavaImageOptions() : defaults.copy();
    }

    /** The context this model generates with. */
    public StableDiffusion stableDiffusion() {
        return sd;
    }

    /** The default options (a copy). */
    public SdjavaImageOptions defaultOptions() {
        return defaults.copy();
    }

    /** The loaded model's name: the file name of its checkpoint or diffusion model. */
    public String modelName() {
        ModelConfig c = sd.config();
        Path p = c.model() != null ? c.model() : c.diffusionModel();
        return p == null ? "" : p.getFileName().toString();
    }

    /**
     * Generates the images of {@code prompt}: text-to-image, or an edit when its first message
     * carries image media.
     *
     * @throws IllegalArgumentException if an option or an input image is invalid
     * @throws CancellationException    if the calling thread was interrupted
     * @throws NonTransientAiException  if sd.cpp failed
     * @throws TransientAiException     if an isolated worker crashed (a retry starts a new one)
     */
    @Override
    public ImageResponse call(ImagePrompt prompt) {
        Inputs in = inputs(prompt);
        return call(prompt, in.image, in.mask);
    }

    /**
     * Edits {@code image}: image-to-image with the prompt's text, or inpainting where {@code mask}
     * is white (black keeps) when a mask is given. The output has the image's size unless the
     * options set another (the image and mask must then have that size).
     *
     * @param image the image to start from (RGB; an alpha channel is dropped)
     * @param mask  the inpainting mask (read as grey), or null for image-to-image
     * @throws IllegalArgumentException if {@code image} is null or the sizes do not fit
     */
    public ImageResponse edit(ImagePrompt prompt, SdImage image, SdImage mask) {
        if (image == null) {
            throw new IllegalArgumentException("image to edit must not be null");
        }
        return call(prompt, image, mask);
    }

    private ImageResponse call(ImagePrompt prompt, SdImage image, SdImage mask) {
        SdjavaImageOptions o = options(prompt);
        GenerationRequest request = request(prompt, o, image, mask).build();
        List<GeneratedImage> images = run(request);
        return response(images, o);
    }

    /**
     * Streams the generation of {@code prompt}: a response with the partial image(s) of each
     * preview (every {@code previewInterval} steps, {@link SdjavaImageGenerationMetadata#isPartial()}
     * true), then the final response, then completion. Nothing runs until subscription; each
     * subscription runs the generation once, on its own thread. Cancelling the subscription
     * interrupts that thread (see the class documentation). Errors arrive as {@code onError} with
     * the exceptions {@link #call} throws.
     */
    @Override
    public Flux<ImageResponse> stream(ImagePrompt prompt) {
        return Flux.create(sink -> {
            Inputs in;
            SdjavaImageOptions o;
            GenerationRequest.Builder b;
            try {
                in = inputs(prompt);
                o = options(prompt);
                b = request(prompt, o, in.image, in.mask);
                PreviewMode mode = o.getPreviewMode() != null ? o.getPreviewMode() : PreviewMode.PROJ;
                int interval = o.getPreviewInterval() != null ? o.getPreviewInterval() : 1;
                b.preview(mode, interval, false, (step, frames, noisy) -> {
                    if (!sink.isCancelled()) {
                        sink.next(partial(frames, step, o));
                    }
                });
            } catch (RuntimeException e) {
                sink.error(e);
                return;
            }
            GenerationRequest request = b.build();
            Thread worker = Thread.ofVirtual().name("sdjava-stream-" + STREAMS.incrementAndGet()).unstarted(() -> {
                try {
                    List<GeneratedImage> images = run(request);
                    sink.next(response(images, o));
                    sink.complete();
                } catch (RuntimeException e) {
                    if (!sink.isCancelled()) {
                        sink.error(e);
                    }
                }
            });
            // TODO(cancellation): when the core's submit()/Future lands, cancel that future here instead.
            sink.onCancel(worker::interrupt);
            worker.start();
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    private ImageResponse partial(List<SdImage> frames, int step, SdjavaImageOptions o) {
        List<ImageGeneration> out = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            byte[] png = frames.get(i).toPng();
            out.add(new ImageGeneration(image(png, o), new SdjavaImageGenerationMetadata(null, i, null, true, step)));
        }
        return new ImageResponse(out, new ImageResponseMetadata());
    }

    private ImageResponse response(List<GeneratedImage> images, SdjavaImageOptions o) {
        List<ImageGeneration> out = new ArrayList<>(images.size());
        for (GeneratedImage g : images) {
            out.add(new ImageGeneration(image(g.toPng(), o),
                    new SdjavaImageGenerationMetadata(g.seed(), g.index(), g.parameters(), false, -1)));
        }
        return new ImageResponse(out, new ImageResponseMetadata());
    }

    private static Image image(byte[] png, SdjavaImageOptions o) {
        String b64 = Base64.getEncoder().encodeToString(png);
        return SdjavaImageOptions.URL.equals(format(o)) ? new Image("data:image/png;base64," + b64, null) : new Image(null, b64);
    }

    private static String format(SdjavaImageOptions o) {
        String f = o.getResponseFormat();
        if (f == null) {
            return SdjavaImageOptions.B64_JSON;
        }
        f = f.strip().toLowerCase(Locale.ROOT);
        if (!f.equals(SdjavaImageOptions.B64_JSON) && !f.equals(SdjavaImageOptions.URL)) {
            throw new IllegalArgumentException("responseFormat must be " + SdjavaImageOptions.B64_JSON + " or "
                    + SdjavaImageOptions.URL + " (a data: URL), got " + o.getResponseFormat());
        }
        return f;
    }

    private List<GeneratedImage> run(GenerationRequest request) {
        try {
            return sd.generate(request);
        } catch (StableDiffusionException e) {
            if (e.kind() == StableDiffusionException.Kind.WORKER_CRASHED) {
                throw new TransientAiException("sdjava: " + e.getMessage(), e);
            }
            throw new NonTransientAiException("sdjava: " + e.getMessage(), e);
        }
    }

    private SdjavaImageOptions options(ImagePrompt prompt) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt must not be null");
        }
        SdjavaImageOptions o = defaults.merge(prompt.getOptions());
        format(o);
        if (o.getModel() != null && !o.getModel().equals(modelName())) {
            throw new IllegalArgumentException("model must be the loaded model, " + modelName() + " (or unset), got "
                    + o.getModel() + "; load another StableDiffusion context for another model");
        }
        return o;
    }

    /** The request of {@code prompt} with options {@code o}, and the edit's inputs when not null. */
    GenerationRequest.Builder request(ImagePrompt prompt, SdjavaImageOptions o, SdImage image, SdImage mask) {
        List<String> positive = new ArrayList<>();
        List<String> negative = new ArrayList<>();
        if (o.getNegativePrompt() != null && !o.getNegativePrompt().isEmpty()) {
            negative.add(o.getNegativePrompt());
        }
        for (ImageMessage m : prompt.getInstructions()) {
            String text = m.getText() == null ? "" : m.getText();
            if (text.isBlank()) {
                continue;
            }
            float w = m.getWeight() == null ? 1f : m.getWeight();
            if (!Float.isFinite(w)) {
                throw new IllegalArgumentException("message weight must be finite, got " + w);
            }
            (w < 0 ? negative : positive).add(weighted(text, Math.abs(w)));
        }
        if (o.getStyle() != null && !o.getStyle().isBlank()) {
            positive.add(o.getStyle());
        }
        var b = GenerationRequest.builder(String.join(", ", positive));
        if (!negative.isEmpty()) {
            b.negativePrompt(String.join(", ", negative));
        }
        if (o.getN() != null) {
            b.batchCount(o.getN());
        }
        if (o.getWidth() != null) {
            b.width(o.getWidth());
        } else if (image != null) {
            b.width(image.width());
        }
        if (o.getHeight() != null) {
            b.height(o.getHeight());
        } else if (image != null) {
            b.height(image.height());
        }
        if (o.getSteps() != null) {
            b.steps(o.getSteps());
        }
        if (o.getCfgScale() != null) {
            b.cfgScale(o.getCfgScale());
        }
        if (o.getSamplingMethod() != null) {
            b.samplingMethod(o.getSamplingMethod());
        }
        if (o.getScheduler() != null) {
            b.scheduler(o.getScheduler());
        }
        if (o.getSeed() != null) {
            b.seed(o.getSeed());
        }
        if (image != null) {
            b.initImage(image.channels() == 3 ? image : image.withChannels(3));
            if (o.getStrength() != null) {
                b.strength(o.getStrength());
            }
            if (mask != null) {
                b.mask(mask.channels() == 1 ? mask : mask.withChannels(1));
            }
        } else if (mask != null) {
            throw new IllegalArgumentException("a mask needs an image to edit");
        }
        return b;
    }

    private static String weighted(String text, float w) {
        return w == 1f ? text : "(" + text + ":" + w + ")";
    }

    private record Inputs(SdImage image, SdImage mask) {
    }

    /** The edit inputs carried as media by the prompt's first message: an image, and one named "mask". */
    private static Inputs inputs(ImagePrompt prompt) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt must not be null");
        }
        SdImage image = null;
        SdImage mask = null;
        List<ImageMessage> messages = prompt.getInstructions();
        if (messages == null || messages.isEmpty()) {
            return new Inputs(null, null);
        }
        for (Media media : messages.getFirst().getMedia()) {
            if (media.getMimeType() == null || !"image".equals(media.getMimeType().getType())) {
                throw new IllegalArgumentException("media must be images, got " + media.getMimeType());
            }
            boolean isMask = MASK_MEDIA_NAME.equals(media.getName());
            if (isMask ? mask != null : image != null) {
                throw new IllegalArgumentException("at most one image and one media named \"" + MASK_MEDIA_NAME
                        + "\" can be edited, got more");
            }
            SdImage decoded = SdImage.read(bytes(media), isMask ? 1 : 3);
            if (isMask) {
                mask = decoded;
            } else {
                image = decoded;
            }
        }
        if (mask != null && image == null) {
            throw new IllegalArgumentException("a mask needs an image to edit (media not named \"" + MASK_MEDIA_NAME + "\")");
        }
        return new Inputs(image, mask);
    }

    private static byte[] bytes(Media media) {
        Object data = media.getData();
        if (data instanceof byte[] b) {
            return b;
        }
        if (data instanceof String s && s.startsWith("data:") && s.contains(";base64,")) {
            return Base64.getDecoder().decode(s.substring(s.indexOf(";base64,") + 8));
        }
        throw new IllegalArgumentException("image media must hold bytes or a base64 data: URL (sdjava fetches nothing), got "
                + (data == null ? "null" : data.getClass().getName()));
    }
}
