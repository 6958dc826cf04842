package dev.sdjava.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The LoRA and hires-upscaler files a client may name: scanned from the configured directories on
 * each use (as sd-server does), so a request can only ever reach a file listed here, never a path
 * it makes up.
 */
final class Catalog {
    /** One file: display name (stem), path relative to its directory with '/', absolute path. */
    record Entry(String name, String path, Path file) {
    }

    private final Path loraDir;
    private final Path upscalerDir;

    Catalog(Path loraDir, Path upscalerDir) {
        this.loraDir = loraDir;
        this.upscalerDir = upscalerDir;
    }

    /** LoRAs under the LoRA directory and its subdirectories, sorted by path. */
    List<Entry> loras() {
        return scan(loraDir, Integer.MAX_VALUE, Comparator.comparing(Entry::path));
    }

    /** Upscaler models directly in the upscaler directory, sorted by name. */
    List<Entry> upscalers() {
        return scan(upscalerDir, 1, Comparator.comparing(Entry::name));
    }

    Path lora(String relativePath) {
        return loras().stream().filter(e -> e.path().equals(relativePath)).map(Entry::file).findFirst().orElse(null);
    }

    Path upscaler(String name) {
        return upscalers().stream().filter(e -> e.name().equals(name)).map(Entry::file).findFirst().orElse(null);
    }

    private static List<Entry> scan(Path dir, int depth, Comparator<Entry> order) {
        List<Entry> out = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.walk(dir, depth)) {
            files.filter(Files::isRegularFile).filter(Catalog::isModel).forEach(p -> {
                String file = p.getFileName().toString();
                String stem = file.substring(0, file.lastIndexOf('.'));
                String rel = dir.relativize(p).toString().replace('\\', '/');
                out.add(new Entry(stem, rel, p.toAbsolutePath().normalize()));
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            return out;
        }
        out.sort(order);
        return out;
    }

    private static boolean isModel(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".gguf") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".safetensors");
    }
}
