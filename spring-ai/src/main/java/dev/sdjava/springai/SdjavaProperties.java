package dev.sdjava.springai;

import dev.sdjava.ModelConfig;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;

import java.nio.file.Path;

/**
 * The {@code sdjava.*} properties of the Spring Boot auto-configuration
 * ({@link SdjavaAutoConfiguration}): which model files to load, how, and the default options of
 * every call. Set at least {@code sdjava.model} (a full checkpoint) or
 * {@code sdjava.diffusion-model} (with its encoders and VAE).
 *
 * <pre>
 * sdjava.model=/models/sd15.safetensors
 * sdjava.threads=8
 * sdjava.options.steps=20
 * sdjava.options.width=512
 * sdjava.options.height=512
 * sdjava.options.sampling-method=euler-a
 * </pre>
 */
@ConfigurationProperties(prefix = SdjavaProperties.PREFIX)
public class SdjavaProperties {
    /** The properties' prefix. */
    public static final String PREFIX = "sdjava";

    /** A full checkpoint (.safetensors, .ckpt or .gguf) holding diffusion model, text encoder and VAE. */
    private Path model;
    /** A standalone diffusion model (UNet or DiT), instead of a full checkpoint. */
    private Path diffusionModel;
    /** A separate VAE, replacing the checkpoint's. */
    private Path vae;
    /** CLIP-L text encoder (SD3, Flux, SDXL split files). */
    private Path clipL;
    /** CLIP-G text encoder (SDXL, SD3). */
    private Path clipG;
    /** T5-XXL text encoder (SD3, Flux). */
    private Path t5xxl;
    /** LLM text encoder (Qwen-Image, Z-Image and similar). */
    private Path llm;
    /** TAESD, the tiny autoencoder; needed for preview-mode TAE. */
    private Path taesd;
    /** CPU threads, 1..1024; default: sd.cpp's count of physical cores. */
    private Integer threads;
    /**
     * The native backend to load (cpu, vulkan, cuda, metal), as -Dsdjava.backend; default: the
     * best one found. Takes effect only if the library is not loaded yet in this JVM.
     */
    private String backend;
    /** The native library file or directory, as -Dsdjava.library.path; default: searched. */
    private Path libraryPath;
    /** Run sd.cpp in a supervised child JVM (a native crash then fails one call, not the application). */
    private boolean isolated;
    /** Default options of every call; per-call options override them one by one. */
    @NestedConfigurationProperty
    private SdjavaImageOptions options = new SdjavaImageOptions();

    /** The {@link ModelConfig} these properties describe. */
    public ModelConfig toModelConfig() {
        if (model == null && diffusionModel == null) {
            throw new IllegalArgumentException("set " + PREFIX + ".model (a checkpoint) or " + PREFIX
                    + ".diffusion-model to load a model (or spring.ai.model.image to another provider)");
        }
        ModelConfig.Builder b = ModelConfig.builder();
        if (model != null) {
            b.model(model);
        }
        if (diffusionModel != null) {
            b.diffusionModel(diffusionModel);
        }
        if (vae != null) {
            b.vae(vae);
        }
        if (clipL != null) {
            b.clipL(clipL);
        }
        if (clipG != null) {
            b.clipG(clipG);
        }
        if (t5xxl != null) {
            b.t5xxl(t5xxl);
        }
        if (llm != null) {
            b.llm(llm);
        }
        if (taesd != null) {
            b.taesd(taesd);
        }
        if (threads != null) {
            b.threads(threads);
        }
        return b.build();
    }

    public Path getModel() {
        return model;
    }

    public void setModel(Path model) {
        this.model = model;
    }

    public Path getDiffusionModel() {
        return diffusionModel;
    }

    public void setDiffusionModel(Path diffusionModel) {
        this.diffusionModel = diffusionModel;
    }

    public Path getVae() {
        return vae;
    }

    public void setVae(Path vae) {
        this.vae = vae;
    }

    public Path getClipL() {
        return clipL;
    }

    public void setClipL(Path clipL) {
        this.clipL = clipL;
    }

    public Path getClipG() {
        return clipG;
    }

    public void setClipG(Path clipG) {
        this.clipG = clipG;
    }

    public Path getT5xxl() {
        return t5xxl;
    }

    public void setT5xxl(Path t5xxl) {
        this.t5xxl = t5xxl;
    }

    public Path getLlm() {
        return llm;
    }

    public void setLlm(Path llm) {
        this.llm = llm;
    }

    public Path getTaesd() {
        return taesd;
    }

    public void setTaesd(Path taesd) {
        this.taesd = taesd;
    }

    public Integer getThreads() {
        return threads;
    }

    public void setThreads(Integer threads) {
        this.threads = threads;
    }

    public String getBackend() {
        return backend;
    }

    public void setBackend(String backend) {
        this.backend = backend;
    }

    public Path getLibraryPath() {
        return libraryPath;
    }

    public void setLibraryPath(Path libraryPath) {
        this.libraryPath = libraryPath;
    }

    public boolean isIsolated() {
        return isolated;
    }

    public void setIsolated(boolean isolated) {
        this.isolated = isolated;
    }

    public SdjavaImageOptions getOptions() {
        return options;
    }

    public void setOptions(SdjavaImageOptions options) {
        this.options = options;
    }
}
