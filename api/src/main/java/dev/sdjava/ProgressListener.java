package dev.sdjava;

/**
 * Receives progress of one model load or one generation, on the thread that called it.
 *
 * <p>sd.cpp reports tensor loading (step = tensors loaded), each sampling step and, with VAE
 * tiling, each tile. Listeners must be quick; an exception thrown here never reaches native
 * code: it is kept and rethrown by the API call once sd.cpp returns.
 */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param step           steps done so far, from 1 (0 means "starting")
     * @param steps          total steps of the current phase
     * @param secondsPerStep average seconds per step so far (0 if unknown)
     */
    void onProgress(int step, int steps, double secondsPerStep);
}
