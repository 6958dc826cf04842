package dev.sdjava.server;

import dev.sdjava.GenerationRequest;
import dev.sdjava.PreviewMode;

/**
 * A parsed, checked generation: the core request plus what only HTTP needs (how the images are
 * encoded, whether previews stream). Built by {@link Params}; run by {@link Jobs}.
 *
 * @param request           the request, without listeners (the worker adds them)
 * @param outputFormat      "png" or "jpeg"
 * @param outputCompression 0..100; the JPEG quality
 * @param embedMetadata     whether PNGs carry the parameters text
 * @param previewMode       previews for the job's event stream, or null for none
 * @param previewInterval   steps between previews
 */
record GenerationSpec(GenerationRequest request, String outputFormat, int outputCompression, boolean embedMetadata,
                      PreviewMode previewMode, int previewInterval) {
}
