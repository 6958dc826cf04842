package dev.sdjava.server;

import dev.sdjava.Fixtures;
import dev.sdjava.GeneratedImage;
import dev.sdjava.GenerationRequest;
import dev.sdjava.SdImage;
import dev.sdjava.StableDiffusion;

import java.util.List;

/** One shared server on loopback over the shared SD1 context, and the core API's output to compare with. */
final class TestServers {
    private static SdServer shared;

    private TestServers() {
    }

    static synchronized SdServer shared() {
        if (shared == null) {
            shared = SdServer.builder(Fixtures.sharedSd1()).port(0).modelPath(Fixtures.sd1()).build().start();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    /** A fresh server over the shared context, configured by {@code b} (close it). */
    static SdServer start(java.util.function.UnaryOperator<SdServer.Builder> b) {
        return b.apply(SdServer.builder(Fixtures.sharedSd1()).port(0).modelPath(Fixtures.sd1())).build().start();
    }

    /** What the core API makes for {@code request} on the same context (as sdj generate does). */
    static List<SdImage> core(GenerationRequest request) {
        StableDiffusion sd = Fixtures.sharedSd1();
        return sd.generate(request).stream().map(GeneratedImage::image).toList();
    }
}
