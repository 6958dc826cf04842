package dev.sdjava;

import java.util.List;

/**
 * Receives preview images during sampling (see {@link GenerationRequest.Builder#preview}).
 * Called on the generating thread; exceptions are kept and rethrown after the call.
 */
@FunctionalInterface
public interface PreviewListener {
    /**
     * @param step   the sampling step the preview shows
     * @param frames the preview image(s), copied into Java memory
     * @param noisy  true if this shows the noisy latent, false for the denoised estimate
     */
    void onPreview(int step, List<SdImage> frames, boolean noisy);
}
