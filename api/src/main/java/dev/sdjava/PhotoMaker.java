package dev.sdjava;

import java.nio.file.Path;
import java.util.List;

/**
 * PhotoMaker settings of a request (sd.cpp's {@code sd_pm_params_t}); needs a context made with
 * {@link ModelConfig.Builder#photoMaker}.
 *
 * @param idImages      images of the person (RGB)
 * @param idEmbedding   the id embedding file (PhotoMaker v2), or null
 * @param styleStrength style strength in percent, 0..100; sd.cpp's default is 20
 */
public record PhotoMaker(List<SdImage> idImages, Path idEmbedding, float styleStrength) {
    public PhotoMaker {
        idImages = List.copyOf(idImages);
        if (!(styleStrength >= 0 && styleStrength <= 100)) {
            throw new IllegalArgumentException("styleStrength must be 0..100, got " + styleStrength);
        }
    }
}
