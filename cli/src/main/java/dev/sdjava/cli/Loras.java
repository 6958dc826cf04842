package dev.sdjava.cli;

import dev.sdjava.Lora;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LoRAs, as upstream's CLI takes them ({@code extract_and_remove_lora}): with a
 * {@code --lora-model-dir}, each {@code <lora:NAME:WEIGHT>} in the prompt names a file in that
 * directory ({@code NAME}, else {@code NAME.gguf}, {@code .safetensors}, {@code .pt}; an absolute
 * path is taken as is; a {@code |high_noise|} prefix targets the high-noise model) and is removed
 * from the prompt; weights of the same file add up. sdj also takes {@code --lora PATH[:WEIGHT]}.
 * Unlike upstream, which warns and goes on, a LoRA file that is not found is an error.
 */
final class Loras {
    /** upstream's regex. */
    static final Pattern TAG = Pattern.compile("<lora:([^:>]+):([^>]+)>");
    private static final String HIGH_NOISE = "|high_noise|";
    private static final List<String> EXTENSIONS = List.of(".gguf", ".safetensors", ".pt");

    /** Sorted by path, like upstream's std::map, so LoRAs are applied in the same order. */
    private final Map<String, Float> low = new TreeMap<>();
    private final Map<String, Float> high = new TreeMap<>();
    private String prompt;

    private Loras(String prompt) {
        this.prompt = prompt;
    }

    /** Parses the tags of {@code prompt} (only when {@code dir} is set, as upstream) and the {@code --lora} values. */
    static Loras parse(String prompt, Path dir, List<String> options) {
        Loras l = new Loras(prompt);
        if (dir != null) {
            Matcher m = TAG.matcher(prompt);
            while (m.find()) {
                String raw = m.group(1);
                float weight;
                try {
                    weight = Float.parseFloat(m.group(2).strip());
                } catch (NumberFormatException e) {
                    throw new Failure(Failure.USAGE, "LoRA tag " + m.group() + " has no numeric weight");
                }
                boolean highNoise = raw.startsWith(HIGH_NOISE);
                if (highNoise) {
                    raw = raw.substring(HIGH_NOISE.length());
                }
                Path p = Path.of(raw);
                Path file = resolve(p.isAbsolute() ? p : dir.resolve(raw));
                if (file == null) {
                    throw new Failure(Failure.INPUT, "LoRA " + m.group() + " not found: no " + dir.resolve(raw).normalize()
                            + " (nor with " + String.join(", ", EXTENSIONS) + ")");
                }
                (highNoise ? l.high : l.low).merge(file.normalize().toString(), weight, Float::sum);
            }
            l.prompt = TAG.matcher(prompt).replaceAll("");
        }
        for (String o : options) {
            String path = o;
            float weight = 1f;
            int colon = o.lastIndexOf(':');
            if (colon > 0) {
                try {
                    weight = Float.parseFloat(o.substring(colon + 1));
                    path = o.substring(0, colon);
                } catch (NumberFormatException e) {
                    // no weight: the colon is part of the path
                }
            }
            Path file = Io.input(Path.of(path), "LoRA");
            l.low.merge(file.normalize().toString(), weight, Float::sum);
        }
        return l;
    }

    private static Path resolve(Path p) {
        if (Files.isRegularFile(p)) {
            return p;
        }
        for (String ext : EXTENSIONS) {
            Path q = p.resolveSibling(p.getFileName() + ext);
            if (Files.isRegularFile(q)) {
                return q;
            }
        }
        return null;
    }

    /** The prompt without its LoRA tags (unchanged without a LoRA directory). */
    String prompt() {
        return prompt;
    }

    List<Lora> loras() {
        List<Lora> out = new ArrayList<>();
        low.forEach((p, w) -> out.add(new Lora(Path.of(p), w, false)));
        high.forEach((p, w) -> out.add(new Lora(Path.of(p), w, true)));
        return out;
    }
}
