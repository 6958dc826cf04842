package dev.sdjava.springai;

import org.springframework.ai.image.ImageGenerationMetadata;

/**
 * What sdjava reports about one image of an {@link org.springframework.ai.image.ImageResponse}.
 *
 * @param seed       the seed of this image (the request's plus its batch index); null for a partial image
 * @param index      the image's position in the batch (or in a preview's frames), from 0
 * @param parameters the generation parameters in sd-cli's PNG text format; null for a partial image
 * @param partial    true for a preview made while sampling ({@link SdjavaImageModel#stream}), false for a result
 * @param step       the sampling step a partial image shows; -1 for a result
 */
public record SdjavaImageGenerationMetadata(Long seed, int index, String parameters, boolean partial, int step)
        implements ImageGenerationMetadata {
    /** Whether this is a preview made while sampling rather than a result. */
    public boolean isPartial() {
        return partial;
    }
}
