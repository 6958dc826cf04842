package dev.sdjava;

import java.util.List;

/**
 * Where a {@link StableDiffusion} context runs: {@link InProcessEngine} (sd.cpp in this JVM) or
 * {@link IsolatedEngine} (sd.cpp in a supervised child JVM). The owning StableDiffusion
 * serialises every call, checks arguments and decides what a cancelled call returns; an engine
 * runs the call and passes the {@link Cancellation}'s requests on to sd.cpp while it runs.
 */
interface Engine extends AutoCloseable {
    /**
     * Runs one request (already validated) and returns its images: all of them, or with
     * {@link Cancellation.Mode#NEW_LATENTS} the finished ones. From the start to the return it
     * attaches itself to {@code cancel}, so that a request there stops sd.cpp. A cancelled call may
     * throw or return; the caller checks {@code cancel} afterwards.
     */
    List<GeneratedImage> generate(GenerationRequest request, Cancellation cancel);

    /**
     * Runs one video request (already validated) and returns its frames, attached to {@code cancel} as
     * {@link #generate} is. Throws UnsupportedOperationException if the loaded models cannot make videos.
     */
    GeneratedVideo generateVideo(VideoRequest request, Cancellation cancel);

    /** The sampler sd.cpp uses for this model when a request sets none. */
    SamplingMethod defaultSamplingMethod();

    /** The scheduler sd.cpp uses for this model and sampler when a request sets none. */
    Scheduler defaultScheduler(SamplingMethod sampler);

    /** Whether the loaded models can make videos. */
    boolean supportsVideoGeneration();

    /** Whether the loaded models can make images. */
    boolean supportsImageGeneration();

    /** Frees the context (or ends the worker). Called once, with no call running. */
    @Override
    void close();
}
