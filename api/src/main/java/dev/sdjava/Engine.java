package dev.sdjava;

import java.util.List;

/**
 * Where a {@link StableDiffusion} context runs: {@link InProcessEngine} (sd.cpp in this JVM) or
 * {@link IsolatedEngine} (sd.cpp in a supervised child JVM). The owning StableDiffusion
 * serialises every call except {@link #abort()}, checks arguments and handles cancellation; an
 * engine only runs the call.
 */
interface Engine extends AutoCloseable {
    /** Runs one request (already validated) and returns its images. */
    List<GeneratedImage> generate(GenerationRequest request);

    /** The sampler sd.cpp uses for this model when a request sets none. */
    SamplingMethod defaultSamplingMethod();

    /** The scheduler sd.cpp uses for this model and sampler when a request sets none. */
    Scheduler defaultScheduler(SamplingMethod sampler);

    /** Whether the loaded models can make images. */
    boolean supportsImageGeneration();

    /**
     * Stops a running {@link #generate} as soon as this engine can, from any thread: the isolated
     * engine ends its worker at once; the pinned sd.cpp cannot be stopped in-process, so there it
     * does nothing and the result is discarded when sd.cpp returns.
     */
    void abort();

    /** Frees the context (or ends the worker). Called once, with no call running. */
    @Override
    void close();
}
