package dev.sdjava;

/**
 * Skip-layer guidance (sd.cpp's {@code sd_slg_params_t}; for DiT models such as SD3): an extra
 * guidance term computed with some layers skipped.
 *
 * @param layers     indices of the layers to skip (copied)
 * @param layerStart fraction of the steps where it starts, in [0,1]
 * @param layerEnd   fraction of the steps where it ends, in [0,1]
 * @param scale      its strength; 0 turns it off
 */
public record SkipLayerGuidance(int[] layers, float layerStart, float layerEnd, float scale) {
    public SkipLayerGuidance {
        if (layers == null) {
            throw new IllegalArgumentException("skip layers must not be null");
        }
        layers = layers.clone();
        for (int l : layers) {
            if (l < 0 || l > 1000) {
                throw new IllegalArgumentException("skip layer indices must be 0..1000, got " + l);
            }
        }
        if (!(layerStart >= 0 && layerStart <= 1) || !(layerEnd >= 0 && layerEnd <= 1)) {
            throw new IllegalArgumentException("skip layer start/end must be in [0,1]");
        }
        if (!Float.isFinite(scale)) {
            throw new IllegalArgumentException("skip layer scale must be finite");
        }
    }

    @Override
    public int[] layers() {
        return layers.clone();
    }
}
