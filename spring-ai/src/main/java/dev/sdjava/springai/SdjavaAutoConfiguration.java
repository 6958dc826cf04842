package dev.sdjava.springai;

import dev.sdjava.StableDiffusion;

import org.springframework.ai.image.ImageModel;
import org.springframework.ai.model.SpringAIModelProperties;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

import java.util.Locale;

/**
 * Spring Boot auto-configuration: one {@link StableDiffusion} context loaded once from the
 * {@code sdjava.*} properties ({@link SdjavaProperties}) and closed with the application context,
 * and an {@link SdjavaImageModel} over it, injectable as Spring AI's {@link ImageModel}.
 *
 * <p>Active when sdjava and Spring AI are on the class path, unless {@code spring.ai.model.image}
 * names another provider (Spring AI's switch between image models; {@code sdjava} or unset selects
 * this one). Each bean backs off when the application defines its own.
 */
@AutoConfiguration
@ConditionalOnClass({StableDiffusion.class, ImageModel.class})
@ConditionalOnProperty(name = SpringAIModelProperties.IMAGE_MODEL, havingValue = SdjavaAutoConfiguration.PROVIDER,
        matchIfMissing = true)
@EnableConfigurationProperties(SdjavaProperties.class)
public class SdjavaAutoConfiguration {
    /** The value of {@code spring.ai.model.image} that selects sdjava. */
    public static final String PROVIDER = "sdjava";
    /** The system properties the native loader reads (README, "Natives per backend"). */
    static final String BACKEND_PROPERTY = "sdjava.backend";
    static final String LIBRARY_PATH_PROPERTY = "sdjava.library.path";

    /**
     * The context, loaded once from the properties (in a child JVM with {@code sdjava.isolated=true}).
     *
     * @throws IllegalArgumentException  if no model is configured
     * @throws IllegalStateException     if {@code sdjava.backend} or {@code sdjava.library-path} disagree
     *                                   with a library this JVM already loaded or with -D settings
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public StableDiffusion sdjavaStableDiffusion(SdjavaProperties properties) {
        var config = properties.toModelConfig();
        if (properties.getLibraryPath() != null) {
            systemProperty(LIBRARY_PATH_PROPERTY, properties.getLibraryPath().toString());
        }
        String backend = properties.getBackend() == null ? null : properties.getBackend().strip().toLowerCase(Locale.ROOT);
        if (backend != null && !backend.isEmpty()) {
            systemProperty(BACKEND_PROPERTY, backend);
        }
        StableDiffusion sd = properties.isIsolated() ? StableDiffusion.loadIsolated(config) : StableDiffusion.load(config);
        if (backend != null && !backend.isEmpty() && !properties.isIsolated() && !backend.equals(StableDiffusion.backend())) {
            sd.close();
            throw new IllegalStateException(SdjavaProperties.PREFIX + ".backend is " + backend + " but the native library "
                    + "this JVM loaded is " + StableDiffusion.backend() + " (it was loaded before the application context)");
        }
        return sd;
    }

    /** The Spring AI image model over the context, with {@code sdjava.options.*} as its defaults. */
    @Bean
    @ConditionalOnMissingBean
    public SdjavaImageModel sdjavaImageModel(StableDiffusion sd, SdjavaProperties properties) {
        return new SdjavaImageModel(sd, properties.getOptions());
    }

    /** Sets a loader property, refusing to overwrite a different value given on the command line. */
    private static void systemProperty(String name, String value) {
        String old = System.getProperty(name);
        if (old != null && !old.equals(value)) {
            throw new IllegalStateException("-D" + name + "=" + old + " disagrees with the application's setting " + value);
        }
        System.setProperty(name, value);
    }
}
