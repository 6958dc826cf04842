/**
 * sdjava: Java bindings to stable-diffusion.cpp through the Foreign Function and Memory API.
 *
 * <p>The one exported package, {@link dev.sdjava}, is the API: {@link dev.sdjava.StableDiffusion}
 * (a loaded context), {@link dev.sdjava.ModelConfig} (what to load), {@link dev.sdjava.GenerationRequest}
 * (one job), the results, listeners, exceptions and enums. Everything under
 * {@code dev.sdjava.internal} (the generated bindings, the library loader, upcalls, isolation's
 * wire and worker, file-format readers) is not exported and may change in any release.
 *
 * <p>Run with {@code --enable-native-access=dev.sdjava} on the module path
 * ({@code --enable-native-access=ALL-UNNAMED} on the class path).
 */
module dev.sdjava {
    requires java.desktop; // SdImage <-> BufferedImage, PNG through ImageIO
    requires java.logging; // the isolated worker sends its log records to the host as lines

    exports dev.sdjava;
}
