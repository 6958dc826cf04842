package dev.sdjava.server;

import dev.sdjava.GenerationRequest;
import dev.sdjava.PreviewMode;

/**
 * A parsed, checked generation: the core request plus what only HTTP needs (how the images are
 * encoded, whether previews stream) and which model it asks for. Built by {@link Params}; run by
 * {@link Jobs} or, through Redis, by an {@link SdWorker}.
 *
 * @param request           the request, without listeners (the worker adds them)
 * @param outputFormat      "png" or "jpeg"
 * @param outputCompression 0..100; the JPEG quality
 * @param embedMetadata     whether PNGs carry the parameters text
 * @param previewMode       previews for the job's event stream, or null for none
 * @param previewInterval   steps between previews
 * @param model             the model the request names (OpenAI {@code model}, sdapi
 *                          {@code override_settings.sd_model_checkpoint}, native {@code model}), or
 *                          null; only a Redis queue routes by it (a stream per model)
 */
record GenerationSpec(GenerationRequest request, String outputFormat, int outputCompression, boolean embedMetadata,
                      PreviewMode previewMode, int previewInterval, String model) {
    /** A spec that names no model. */
    GenerationSpec(GenerationRequest request, String outputFormat, int outputCompression, boolean embedMetadata,
                   PreviewMode previewMode, int previewInterval) {
        this(request, outputFormat, outputCompression, embedMetadata, previewMode, previewInterval, null);
    }

    /** This spec routed to {@code model} (null: the queue's default). */
    GenerationSpec withModel(String m) {
        return new GenerationSpec(request, outputFormat, outputCompression, embedMetadata, previewMode, previewInterval, m);
    }

    /**
     * The model a request body names, or null: OpenAI's {@code model}, sdapi's
     * {@code override_settings.sd_model_checkpoint}, or a top-level {@code model} in the native schema.
     */
    static String modelOf(com.fasterxml.jackson.databind.node.ObjectNode body) {
        com.fasterxml.jackson.databind.JsonNode m = body.get("model");
        if (m == null || !m.isTextual()) {
            com.fasterxml.jackson.databind.JsonNode o = body.get("override_settings");
            m = o == null ? null : o.get("sd_model_checkpoint");
        }
        return m != null && m.isTextual() && !m.asText().isBlank() ? m.asText().strip() : null;
    }
}
