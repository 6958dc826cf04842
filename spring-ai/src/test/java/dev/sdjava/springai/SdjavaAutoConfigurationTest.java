package dev.sdjava.springai;

import org.junit.jupiter.api.Test;
import org.springframework.ai.image.ImageModel;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The auto-configuration's conditions and property binding, without loading a model. */
class SdjavaAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SdjavaAutoConfiguration.class));

    /** The properties without the beans that load a model. */
    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(SdjavaProperties.class)
    static class PropertiesOnly {
    }

    @Test
    void anotherImageProviderTurnsItOff() {
        runner.withPropertyValues("spring.ai.model.image=openai", "sdjava.model=/nowhere.safetensors").run(ctx -> {
            assertFalse(ctx.containsBean("sdjavaStableDiffusion"));
            assertTrue(ctx.getBeansOfType(ImageModel.class).isEmpty());
        });
    }

    @Test
    void withoutAModelStartupFailsNamingTheProperty() {
        runner.run(ctx -> {
            assertTrue(ctx.getStartupFailure() != null, "the context started without a model");
            Throwable root = ctx.getStartupFailure();
            while (root.getCause() != null) {
                root = root.getCause();
            }
            assertTrue(root.getMessage().contains("sdjava.model"), root.getMessage());
        });
    }

    @Test
    void propertiesBindPathsEnumsAndOptions() {
        new ApplicationContextRunner().withUserConfiguration(PropertiesOnly.class)
                .withPropertyValues("sdjava.model=/m/sd15.safetensors", "sdjava.taesd=/m/taesd.safetensors", "sdjava.threads=3",
                        "sdjava.options.sampling-method=euler-a", "sdjava.options.scheduler=karras", "sdjava.options.cfg-scale=4.5",
                        "sdjava.options.preview-mode=tae")
                .run(ctx -> {
                    SdjavaProperties p = ctx.getBean(SdjavaProperties.class);
                    var config = p.toModelConfig();
                    assertEquals("/m/sd15.safetensors", config.model().toString());
                    assertEquals("/m/taesd.safetensors", config.taesd().toString());
                    assertEquals(3, config.threads());
                    assertEquals(dev.sdjava.SamplingMethod.EULER_A, p.getOptions().getSamplingMethod());
                    assertEquals(dev.sdjava.Scheduler.KARRAS, p.getOptions().getScheduler());
                    assertEquals(4.5f, p.getOptions().getCfgScale());
                    assertEquals(dev.sdjava.PreviewMode.TAE, p.getOptions().getPreviewMode());
                });
    }
}
