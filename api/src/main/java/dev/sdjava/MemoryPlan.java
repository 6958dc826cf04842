package dev.sdjava;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a memory budget ({@link ModelConfig#maxMemory()}) chose: the measures that bring the
 * estimated peak RSS of the process under the budget, and the configuration they give.
 *
 * <p>The estimate is read from the model files' headers (tensor bytes by component, at the weight
 * type each tensor will have in sd.cpp) and the image size, phase by phase, as sd.cpp allocates:
 * <pre>
 *   load     all weights
 *   sample   all weights (less the text encoders with freeParamsImmediately) + UNet/DiT compute buffer
 *   decode   all weights (only the VAE's with freeParamsImmediately)       + VAE compute buffer
 *   peak     = the largest phase + fixed overhead (the JVM and sd.cpp's own) (+ the mapped files with mmap)
 * </pre>
 * The compute buffers are sd.cpp's own figures for SD1 at 512x512 ({@code compute buffer size}
 * lines of {@code sd-cli -v}), scaled by the pixel count (squared for attention without flash
 * attention). They were measured on SD1 only: for other families the estimate is a guide.
 *
 * <p>The measures, in the order tried until the estimate fits:
 * <ol>
 *   <li>flash attention in the diffusion model (its attention buffer is the largest at 512x512);</li>
 *   <li>VAE tiling (the decoder's buffer; set on each request that has none);</li>
 *   <li>offloading or mmap: never chosen. On a CPU build {@code offload_params_to_cpu} and
 *       {@code keep_clip_on_cpu} change nothing, and on a GPU build they move weights from VRAM into
 *       RAM, which raises the RSS this budget is about; mmap adds the mapped file to the RSS, since
 *       sd.cpp still copies the weights into its buffers;</li>
 *   <li>a smaller weight type, q8_0 then q4_0, converted once with {@link StableDiffusion#convert}
 *       into {@code <name>-<type>.gguf} next to the source and reused while it is newer than the
 *       source (only the full checkpoint or the standalone diffusion model);</li>
 *   <li>TAESD instead of the full VAE, only with {@link ModelConfig#maxMemoryTaesd()}.</li>
 * </ol>
 * Then it drops, latest first, each earlier measure the fitting plan no longer needs (with q4_0
 * chosen, VAE tiling may be unnecessary). Options the user set always win: a set flash attention,
 * weight type or tensor rules, or TAESD, is kept as given and its measure skipped. When even all
 * measures do not fit, {@link #plan} throws with the smallest estimate and what blocked the rest.
 */
final class MemoryPlan {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;

    // sd.cpp's compute buffer sizes for SD1 at 512x512 (sd-cli -v, "compute buffer size"), and
    // what the processes measured beyond weights and buffers (/usr/bin/time, docs/PERFORMANCE.md).
    static final int CALIBRATION_SIDE = 512;
    static final long UNET_COMPUTE = 560 * MIB;
    static final long UNET_FLASH_COMPUTE = 124 * MIB;
    static final long VAE_COMPUTE = 1664 * MIB;
    static final long VAE_TILED_COMPUTE = 416 * MIB;
    static final long TAE_COMPUTE = 100 * MIB;
    static final long COND_COMPUTE = 2 * MIB;
    /**
     * sd.cpp's own RSS beside weights and buffers (libraries, ggml contexts, latents, images), while
     * loading and while computing: measured peaks less weights and buffers (f16+fa peaks at load, 2091
     * MiB; f16 and q4_0+fa+tiling while sampling, 2428 and 1617 MiB; sd-cli 2352 MiB).
     */
    static final long NATIVE_LOAD = 45 * MIB;
    static final long NATIVE_COMPUTE = 54 * MIB;
    /**
     * A default JVM's share beside sd.cpp's: heap in use, classes, JIT code. 77 to 84 MiB over sd-cli on the
     * AVX2 machine (PERFORMANCE.md, table 4); sdj on G1 on the 2-core Xeon measured 104 to 122.
     */
    static final long JVM = 124 * MIB;
    /**
     * The system property that replaces {@link #JVM} with a JVM's own measured share, in whole MiB. sdj's
     * launcher sets it for its one-shot commands, which run on a lean JVM (serial collector, 16 MiB
     * initial heap, C1 only: 68 MiB over sd-cli measured, against 104 on the default G1).
     */
    static final String JVM_SHARE_PROPERTY = "sdjava.memoryPlan.jvmShareMiB";

    /** The cheapest size the plan assumes when the configuration gives none. */
    static final int DEFAULT_SIDE = 512;

    /** Converts a model file (a seam for tests; normally {@link StableDiffusion#convert}). */
    interface Converter {
        void convert(Path input, Path output, WeightType type);
    }

    private static final Converter SD_CPP = (in, out, type) -> StableDiffusion.convert(in, null, out, type, null);
    private static final System.Logger LOG = System.getLogger("dev.sdjava");

    /** One set of measures. */
    record Choice(boolean flash, boolean tiling, WeightType type, boolean taesd) {
        Choice withFlash(boolean f) {
            return new Choice(f, tiling, type, taesd);
        }

        Choice withTiling(boolean t) {
            return new Choice(flash, t, type, taesd);
        }

        Choice withType(WeightType w) {
            return new Choice(flash, tiling, w, taesd);
        }

        Choice withTaesd(boolean t) {
            return new Choice(flash, tiling, type, t);
        }
    }

    /** An estimate, in bytes: the peak and what it is made of. */
    record Estimate(long peak, long weights, long compute, long fixed, String phase) {
    }

    private final long budget;
    private final int side;
    private final Choice choice;
    private final Estimate estimate;
    private final ModelConfig planned;
    private final String description;

    private MemoryPlan(long budget, int side, Choice choice, Estimate estimate, ModelConfig planned, String description) {
        this.budget = budget;
        this.side = side;
        this.choice = choice;
        this.estimate = estimate;
        this.planned = planned;
        this.description = description;
    }

    /** The plan for {@code config}'s budget, converting weights if it chose a smaller type. */
    static MemoryPlan plan(ModelConfig config) {
        return plan(config, SD_CPP);
    }

    /**
     * The plan for {@code config}'s budget ({@link ModelConfig#maxMemory()} must be set).
     *
     * @throws IllegalArgumentException if no plan fits, naming the smallest estimate
     */
    static MemoryPlan plan(ModelConfig config, Converter converter) {
        long budget = config.maxMemory();
        int side = config.maxMemoryImageSize() == null ? DEFAULT_SIDE : config.maxMemoryImageSize();
        Model model = Model.of(config);
        Choice c = model.given();
        List<Choice> steps = new ArrayList<>();
        steps.add(c);
        List<String> blocked = new ArrayList<>();
        if (!model.fits(c, side, budget)) {
            for (Step s : Step.values()) {
                Choice next = s.apply(c, model, blocked);
                if (next == null) {
                    continue;
                }
                c = next;
                steps.add(c);
                if (model.fits(c, side, budget)) {
                    break;
                }
            }
        }
        Estimate e = model.estimate(c, side);
        if (e.peak() > budget) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "maxMemory %s cannot be met for %dx%d images: the smallest plan (%s) needs an estimated %s%s; "
                            + "raise the budget, plan for smaller images (maxMemoryImageSize)%s",
                    gib(budget), side, side, model.describe(c, null), gib(e.peak()),
                    blocked.isEmpty() ? "" : " (" + String.join("; ", blocked) + ")",
                    blocked.stream().anyMatch(b -> b.startsWith("TAESD")) ? ", or allow TAESD (maxMemoryTaesd)" : ""));
        }
        c = model.prune(c, steps, side, budget);
        e = model.estimate(c, side);
        ModelConfig.Builder b = config.toBuilder();
        String converted = null;
        if (c.flash() && config.flashAttention() == null && config.diffusionFlashAttention() == null) {
            b.diffusionFlashAttention(true);
        }
        if (c.type() != null && config.weightType() == null) {
            Path source = model.source();
            Path out = convertedCopy(source, c.type(), converter);
            converted = out.toString();
            if (config.model() != null) {
                b.model(out);
            } else {
                b.diffusionModel(out);
            }
        }
        if (c.taesd() && config.taesd() == null) {
            b.taesd(config.maxMemoryTaesd());
        }
        String text = String.format(Locale.ROOT, "memory budget %s for %dx%d: %s; estimated peak %s (weights %s, compute %s, fixed %s; %s)",
                gib(budget), side, side, model.describe(c, converted), gib(e.peak()), gib(e.weights()), gib(e.compute()),
                gib(e.fixed()), e.phase());
        return new MemoryPlan(budget, side, c, e, b.build(), text);
    }

    /** The configuration to load: the user's with the chosen measures. */
    ModelConfig config() {
        return planned;
    }

    /** The measures chosen. */
    Choice choice() {
        return choice;
    }

    /** The estimate of the chosen plan. */
    Estimate estimate() {
        return estimate;
    }

    /** One line: the budget, the measures and the estimate. */
    String description() {
        return description;
    }

    /** {@code request} with the plan's VAE tiling where it sets none; a warning if it is larger than planned. */
    GenerationRequest adjust(GenerationRequest request) {
        int w = request.width() == null ? DEFAULT_SIDE : request.width();
        int h = request.height() == null ? DEFAULT_SIDE : request.height();
        if (Math.max(w, h) > side) {
            LOG.log(System.Logger.Level.WARNING, "a {0}x{1} request is larger than the {2}x{2} the memory budget of {3} planned for: "
                    + "the peak may exceed it (set maxMemoryImageSize)", w, h, side, gib(budget));
        }
        if (choice.tiling() && request.vaeTiling() == null && !choice.taesd()) {
            return request.toBuilder().vaeTiling(VaeTiling.DEFAULT).build();
        }
        return request;
    }

    /**
     * {@code source} converted to {@code type}: {@code <name>-<type>.gguf} next to it, written once
     * (through a temporary file, so an interrupted conversion leaves nothing half-written) and
     * reused while it is newer than the source.
     */
    static Path convertedCopy(Path source, WeightType type, Converter converter) {
        String name = source.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        Path out = source.resolveSibling(stem + "-" + type.sdName() + ".gguf");
        try {
            if (Files.isRegularFile(out) && Files.getLastModifiedTime(out).compareTo(Files.getLastModifiedTime(source)) >= 0) {
                ModelFile.check(out, "converted model");
                LOG.log(System.Logger.Level.INFO, "memory budget: using {0}, converted before from {1}", out, source);
                return out;
            }
            Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid() + ".gguf");
            LOG.log(System.Logger.Level.INFO, "memory budget: converting {0} to {1} into {2} (once)", source, type.sdName(), out);
            try {
                converter.convert(source, tmp, type);
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("memory budget: could not write the " + type.sdName() + " copy of " + source
                    + " to " + out + " (convert it yourself with sdj convert and pass the .gguf): " + e.getMessage(), e);
        }
    }

    /** The diffusion model's weight bytes under {@code c} (tests compare them with converted files). */
    static long unetWeights(ModelConfig config, Choice c) {
        Model m = Model.of(config);
        return m.bytes(m.diffusion, c.type(), c.type() == null);
    }

    /** "2.00 GiB". */
    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) GIB);
    }

    /** The measures, in the order tried. */
    private enum Step {
        FLASH {
            @Override
            Choice apply(Choice c, Model m, List<String> blocked) {
                if (c.flash()) {
                    return null;
                }
                if (!m.flashFree) {
                    blocked.add("flash attention is off as configured");
                    return null;
                }
                return c.withFlash(true);
            }
        },
        TILING {
            @Override
            Choice apply(Choice c, Model m, List<String> blocked) {
                return c.tiling() || c.taesd() ? null : c.withTiling(true);
            }
        },
        Q8_0 {
            @Override
            Choice apply(Choice c, Model m, List<String> blocked) {
                return m.typeStep(c, WeightType.Q8_0, blocked);
            }
        },
        Q4_0 {
            @Override
            Choice apply(Choice c, Model m, List<String> blocked) {
                return m.typeStep(c, WeightType.Q4_0, blocked);
            }
        },
        TAESD {
            @Override
            Choice apply(Choice c, Model m, List<String> blocked) {
                if (c.taesd()) {
                    return null;
                }
                if (m.taesdFile == null) {
                    blocked.add("TAESD not allowed: no maxMemoryTaesd file");
                    return null;
                }
                return c.withTaesd(true).withTiling(false);
            }
        };

        abstract Choice apply(Choice c, Model m, List<String> blocked);
    }

    /** {@link #JVM}, or the share {@link #JVM_SHARE_PROPERTY} gives. */
    static long jvmShare() {
        String v = System.getProperty(JVM_SHARE_PROPERTY);
        if (v == null) {
            return JVM;
        }
        try {
            long mib = Long.parseLong(v.strip());
            if (mib >= 0 && mib <= 64L * 1024) {
                return mib * MIB;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("system property " + JVM_SHARE_PROPERTY + " must be the JVM's share of the "
                + "process's memory in whole MiB (0 to 65536), got '" + v + "'; unset it to use " + JVM / MIB + " MiB");
    }

    /** The model's weights by component, read from the headers, and the options that bound the plan. */
    private static final class Model {
        final ModelConfig config;
        final List<ModelFile.Tensor> diffusion = new ArrayList<>();
        final List<ModelFile.Tensor> text = new ArrayList<>();
        final List<ModelFile.Tensor> vae = new ArrayList<>();
        final List<ModelFile.Tensor> other = new ArrayList<>();
        final java.util.Map<ModelFile.Tensor, Boolean> neFirst = new java.util.IdentityHashMap<>();
        final java.util.Set<ModelFile.Tensor> fromSource = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        long taeWeights;
        long mappedBytes;
        final long jvm = jvmShare();
        final boolean flashFree;
        final boolean typeFree;
        final Path taesdFile;

        private Model(ModelConfig config) {
            this.config = config;
            flashFree = config.flashAttention() == null && config.diffusionFlashAttention() == null;
            typeFree = config.weightType() == null && config.tensorTypeRules() == null;
            taesdFile = config.taesd() == null ? config.maxMemoryTaesd() : null;
        }

        static Model of(ModelConfig config) {
            Model m = new Model(config);
            if (config.model() != null) {
                m.add(config.model(), null, true);
            }
            if (config.diffusionModel() != null) {
                m.add(config.diffusionModel(), m.diffusion, config.model() == null);
            }
            for (Path p : new Path[] {config.clipL(), config.clipG(), config.t5xxl(), config.llm(), config.llmVision()}) {
                if (p != null) {
                    m.add(p, m.text, false);
                }
            }
            if (config.vae() != null) {
                m.add(config.vae(), m.vae, false);
            }
            for (Path p : new Path[] {config.highNoiseDiffusionModel(), config.controlNet(), config.photoMaker(), config.clipVision()}) {
                if (p != null) {
                    m.add(p, m.other, false);
                }
            }
            Path tae = config.taesd() != null ? config.taesd() : config.maxMemoryTaesd();
            if (tae != null) {
                ModelFile f = ModelFile.read(tae);
                m.taeWeights = f.tensors().stream().mapToLong(ModelFile.Tensor::byteSize).sum();
                if (config.taesd() != null && Boolean.TRUE.equals(config.mmap())) {
                    m.mappedBytes += f.fileSize();
                }
            }
            return m;
        }

        /** Sorts a file's tensors into components: by name for a checkpoint, all into {@code into} otherwise. */
        private void add(Path file, List<ModelFile.Tensor> into, boolean source) {
            ModelFile f = ModelFile.read(file);
            if (Boolean.TRUE.equals(config.mmap())) {
                mappedBytes += f.fileSize();
            }
            boolean gguf = f.format() == ModelFile.Format.GGUF;
            for (ModelFile.Tensor t : f.tensors()) {
                String n = t.name();
                List<ModelFile.Tensor> target = into;
                if (into == null) {
                    if (n.startsWith("model.diffusion_model.")) {
                        target = diffusion;
                    } else if (n.startsWith("first_stage_model.")) {
                        target = vae;
                    } else if (n.startsWith("cond_stage_model.") || n.startsWith("conditioner.") || n.startsWith("text_encoders.")) {
                        target = text;
                    } else {
                        continue; // scheduler tables and the like: sd.cpp does not load them
                    }
                }
                if (target == vae && !vaeLoaded(n)) {
                    continue;
                }
                target.add(t);
                neFirst.put(t, gguf);
                if (source) {
                    fromSource.add(t);
                }
            }
        }

        /** Whether sd.cpp loads this VAE tensor: not the encoder's with vaeDecodeOnly. */
        private boolean vaeLoaded(String name) {
            String n = name.startsWith("first_stage_model.") ? name.substring("first_stage_model.".length()) : name;
            return !config.vaeDecodeOnly() || !(n.startsWith("encoder") || n.startsWith("conv1") || n.startsWith("quant"));
        }

        Path source() {
            return config.model() != null ? config.model() : config.diffusionModel();
        }

        /** The measures the configuration starts with. */
        Choice given() {
            boolean flash = Boolean.TRUE.equals(config.flashAttention()) || Boolean.TRUE.equals(config.diffusionFlashAttention());
            boolean tae = config.taesd() != null && !Boolean.TRUE.equals(config.taePreviewOnly());
            return new Choice(flash, false, null, tae);
        }

        Choice typeStep(Choice c, WeightType type, List<String> blocked) {
            if (!typeFree) {
                if (blocked.stream().noneMatch(b -> b.startsWith("the weight type"))) {
                    blocked.add("the weight type is fixed as configured");
                }
                return null;
            }
            // A file already quantized (or stored in a type this one would not shrink) is left as it is.
            return weights(c.withType(type)) < weights(c) ? c.withType(type) : null;
        }

        /** All weights sd.cpp would hold under {@code c}. */
        long weights(Choice c) {
            WeightType type = c.type() != null ? c.type() : config.weightType();
            boolean all = c.type() == null;
            return bytes(diffusion, type, all) + bytes(text, type, all) + bytes(vae, type, all) + bytes(other, type, all);
        }

        boolean fits(Choice c, int side, long budget) {
            return estimate(c, side).peak() <= budget;
        }

        Estimate estimate(Choice c, int side) {
            WeightType type = c.type() != null ? c.type() : config.weightType();
            boolean all = c.type() == null; // a load-time weightType converts every file, a plan's copy only the source
            long d = bytes(diffusion, type, all);
            long t = bytes(text, type, all);
            long v = c.taesd() ? 0 : bytes(vae, type, all);
            long o = bytes(other, type, all);
            boolean previewTae = config.taesd() != null && Boolean.TRUE.equals(config.taePreviewOnly());
            long tae = c.taesd() || previewTae ? taeWeights : 0;
            long weights = d + t + v + o + tae;
            double s = (double) side * side / ((double) CALIBRATION_SIDE * CALIBRATION_SIDE);
            long unet = (long) (c.flash() ? UNET_FLASH_COMPUTE * s : UNET_COMPUTE * Math.max(s, s * s));
            long dec = c.taesd() ? (long) (TAE_COMPUTE * s) : c.tiling() ? VAE_TILED_COMPUTE : (long) (VAE_COMPUTE * s);
            boolean free = config.freeParamsImmediately();
            long fixed = jvm + mappedBytes;
            long load = weights + COND_COMPUTE + NATIVE_LOAD;
            long sample = weights - (free ? t : 0) + unet + NATIVE_COMPUTE;
            long decode = (free ? v + tae + o : weights) + dec + NATIVE_COMPUTE;
            long top = Math.max(load, Math.max(sample, decode));
            String phase = top == decode ? "at the VAE decode" : top == sample ? "while sampling" : "at load";
            long residentWeights = top == decode && free ? v + tae + o : top == sample && free ? weights - t : weights;
            long nat = top == load ? NATIVE_LOAD : NATIVE_COMPUTE;
            return new Estimate(top + fixed, residentWeights, top - residentWeights - nat, fixed + nat, phase);
        }

        /** Drops, latest first, each measure before the last that the plan no longer needs. */
        Choice prune(Choice c, List<Choice> steps, int side, long budget) {
            Choice given = steps.getFirst();
            if (c.type() == WeightType.Q4_0 && fits(c.withType(WeightType.Q8_0), side, budget)) {
                c = c.withType(WeightType.Q8_0);
            }
            if (c.type() != null && given.type() == null && fits(c.withType(null), side, budget)) {
                c = c.withType(null);
            }
            if (c.tiling() && !given.tiling() && fits(c.withTiling(false), side, budget)) {
                c = c.withTiling(false);
            }
            if (c.flash() && !given.flash() && fits(c.withFlash(false), side, budget)) {
                c = c.withFlash(false);
            }
            return c;
        }

        /** The bytes sd.cpp holds for these tensors at {@code type} (null: as stored). */
        private long bytes(List<ModelFile.Tensor> tensors, WeightType type, boolean all) {
            long sum = 0;
            for (ModelFile.Tensor t : tensors) {
                sum += (type != null && (all || fromSource.contains(t))) ? converted(t, type) : stored(t);
            }
            return sum;
        }

        /** Stored bytes, as sd.cpp loads them (a PyTorch file's F32 stays F32, like safetensors). */
        private static long stored(ModelFile.Tensor t) {
            return t.byteSize();
        }

        /** Bytes after sd.cpp's conversion rule ({@code ModelLoader::tensor_should_be_converted}). */
        private long converted(ModelFile.Tensor t, WeightType type) {
            int[] block = blockOf(type);
            if (block == null || !stored(t.type())) {
                return t.byteSize();
            }
            List<Long> shape = t.shape();
            long ne0 = shape.isEmpty() ? 1 : neFirst.get(t) ? shape.getFirst() : shape.getLast();
            if (ne0 % block[0] != 0 || !convertible(t.name())) {
                return t.byteSize();
            }
            return t.elementCount() / block[0] * block[1];
        }

        /** Elements and bytes per block of the types a plan or a user may choose. */
        private static int[] blockOf(WeightType type) {
            return switch (type) {
                case F32 -> new int[] {1, 4};
                case F16, BF16 -> new int[] {1, 2};
                case Q8_0 -> new int[] {32, 34};
                case Q5_0 -> new int[] {32, 22};
                case Q5_1 -> new int[] {32, 24};
                case Q4_0 -> new int[] {32, 18};
                case Q4_1 -> new int[] {32, 20};
                default -> null;
            };
        }

        /** Float tensors are converted; ones already quantized keep their type. */
        private static boolean stored(String type) {
            return type.equals("F32") || type.equals("F16") || type.equals("BF16");
        }

        /** sd.cpp's names that are never converted (biases, norms' scales, embeddings, some input layers). */
        private static boolean convertible(String name) {
            if (name.endsWith(".bias") || name.endsWith(".scale")) {
                return false;
            }
            for (String s : new String[] {"img_in.", "txt_in.", "time_in.", "vector_in.", "guidance_in.", "final_layer.",
                    "x_embedder.", "t_embedder.", "y_embedder.", "pos_embed", "context_embedder.", "time_embed.",
                    "label_emb.", "embedding"}) {
                if (name.contains(s)) {
                    return false;
                }
            }
            return true;
        }

        /** "diffusion flash attention, VAE tiling, q8_0 weights (converted to F)" or "nothing to change". */
        String describe(Choice c, String converted) {
            Choice g = given();
            List<String> parts = new ArrayList<>();
            if (c.flash() && !g.flash()) {
                parts.add("diffusion flash attention");
            }
            if (c.tiling()) {
                parts.add("VAE tiling");
            }
            if (c.type() != null) {
                parts.add(c.type().sdName() + " weights" + (converted == null ? "" : " (" + converted + ")"));
            }
            if (c.taesd() && !g.taesd()) {
                parts.add("TAESD decoder");
            }
            return parts.isEmpty() ? "nothing to change" : String.join(", ", parts);
        }
    }
}
