package dev.sdjava.internal.natives;

import dev.sdjava.internal.bindings.SdCpp;
import dev.sdjava.internal.bindings.sd_ctx_params_t;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Links, on the background install thread ({@link Callbacks#installInBackground()}), what the
 * first load calls: the generated bindings link each native call and struct accessor on first
 * use, which costs tens of milliseconds each in a fresh JVM. The only warm-up in sdjava.
 */
final class Warmup {
    private Warmup() {
    }

    static void linkLoadPath() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = sd_ctx_params_t.allocate(a);
            SdCpp.sd_ctx_params_init(p);
            sd_ctx_params_t.model_path(p, a.allocateFrom("link"));
            sd_ctx_params_t.n_threads(p, sd_ctx_params_t.n_threads(p));
        }
        for (String call : new String[] {"new_sd_ctx", "free_sd_ctx"}) {
            try { // the holder class of each native call (jextract's shape); initialising it links the call
                Class.forName(SdCpp.class.getName() + "$" + call, true, SdCpp.class.getClassLoader());
            } catch (ClassNotFoundException ignored) {
                // another binding generator's shape: linked on first use instead
            }
        }
    }
}
