import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The step caches side by side with no cache (issue 17): for each size, runs upstream's
 * {@code sd-cli} without a cache and with each {@code --cache-mode[:--cache-option]} in turn
 * (none, A, B, ..., none, A, B, ... for the runs), reads sd.cpp's
 * {@code sampling completed, taking X s} and {@code ... skipped N/M steps} lines, and prints a
 * markdown table: the median sampling time, its ratio to no cache's, the steps skipped, and how
 * far the image is from the uncached one (PSNR, max difference in levels of 255).
 *
 * <p>{@code sdj generate} with the same flags writes the same pixels (cli's
 * {@code GenerateTest.stepCachesArePixelIdenticalToUpstream}) and adds no measurable time, so the
 * table holds for sdj. A mode sd.cpp does not run on the model's architecture (it logs
 * "requested but not supported" and would sample uncached) is stopped there and listed as such.
 *
 * <pre>
 * java bench/StepCache.java SD_CLI MODEL [sizes=256,512] [runs=3] [threads=2] [steps=20]
 *      [CACHE...]
 * </pre>
 * MODEL is a checkpoint ({@code -m}), or sd-cli flags in one argument for a model in separate
 * files, e.g. {@code "--diffusion-model dit.gguf --vae vae.safetensors --clip_l clip.safetensors
 * --cfg-scale 1"}; they come after the defaults, so a flag given there (here the CFG scale) wins.
 * Each CACHE is {@code MODE} or {@code MODE:KEY=V,...} (its --cache-option), e.g.
 * {@code ucache:threshold=2}; without any: ucache spectrum easycache dbcache taylorseer cache-dit. Euler, cfg 7, seed 42, the same prompt throughout. Not a test: the
 * figures depend on the machine and its load.
 */
public class StepCache {
    private static final Pattern SAMPLING = Pattern.compile("sampling completed, taking ([0-9.]+)s");
    private static final Pattern SKIPPED = Pattern.compile("(\\w+) skipped (\\d+)/(\\d+) steps");
    private static final Pattern REFUSED = Pattern.compile("\\] \\S+ +- (\\w+ requested but not supported[^\\r\\n]*)");

    /** One sd-cli run: sampling seconds (NaN when stopped), steps skipped, or sd.cpp's refusal. */
    record Run(double sampling, String skipped, String refused) {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: java bench/StepCache.java SD_CLI MODEL [sizes=256,512] [runs=3] [threads=2] [steps=20] "
                    + "[CACHE=MODE[:KEY=V,...] ...]");
            System.exit(2);
        }
        Path cli = Path.of(args[0]);
        List<String> model = args[1].startsWith("-") ? List.of(args[1].strip().split("\\s+")) : List.of("-m", args[1]);
        String[] sizes = (args.length > 2 ? args[2] : "256,512").split(",");
        int runs = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        int steps = args.length > 5 ? Integer.parseInt(args[5]) : 20;
        List<String> caches = new ArrayList<>(List.of("none"));
        caches.addAll(args.length > 6 ? List.of(args).subList(6, args.length)
                : List.of("ucache", "spectrum", "easycache", "dbcache", "taylorseer", "cache-dit"));
        Path out = Files.createTempDirectory("step-cache");
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "| size | cache | sampling, median of %d (s) | vs none | steps skipped | PSNR vs none | max diff |%n"
                        + "|---|---|---|---|---|---|---|%n", runs));
        for (String sizeText : sizes) {
            int size = Integer.parseInt(sizeText.strip());
            Map<String, List<Run>> results = new LinkedHashMap<>();
            for (int i = 0; i < runs; i++) {
                for (String cache : caches) {
                    if (results.containsKey(cache) && results.get(cache).get(0).refused() != null) {
                        continue; // refused once, refused always
                    }
                    Run r = run(cli, model, size, steps, threads, cache, png(out, size, cache));
                    results.computeIfAbsent(cache, k -> new ArrayList<>()).add(r);
                    System.err.printf(Locale.ROOT, "%dx%d run %d %s: %s%n", size, size, i + 1, cache,
                            r.refused() != null ? r.refused() : String.format(Locale.ROOT, "sampling %.2f s, skipped %s",
                                    r.sampling(), r.skipped()));
                }
            }
            double none = median(results.get("none"));
            BufferedImage base = ImageIO.read(png(out, size, "none").toFile());
            for (String cache : caches) {
                List<Run> rs = results.get(cache);
                String label = cache.equals("none") ? "none" : "`" + cache.replaceFirst(":", "` `") + "`";
                if (rs.get(0).refused() != null) {
                    table.append(String.format(Locale.ROOT, "| %dx%d | %s | - | - | refused: sd.cpp says \"%s\" | - | - |%n",
                            size, size, label, rs.get(0).refused()));
                    continue;
                }
                double t = median(rs);
                String diff = cache.equals("none") ? "- | -" : difference(base, ImageIO.read(png(out, size, cache).toFile()));
                table.append(String.format(Locale.ROOT, "| %dx%d | %s | %.2f | %.2fx | %s | %s |%n", size, size, label, t, t / none,
                        rs.get(rs.size() - 1).skipped(), diff));
            }
        }
        System.out.print(table);
    }

    private static Path png(Path dir, int size, String cache) {
        return dir.resolve(size + "-" + cache.replaceAll("[^A-Za-z0-9.-]", "_") + ".png");
    }

    private static Run run(Path cli, List<String> model, int size, int steps, int threads, String cache, Path png) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(cli.toString(), "-p", "a lighthouse at dusk",
                "-W", Integer.toString(size), "-H", Integer.toString(size), "--steps", Integer.toString(steps),
                "--sampling-method", "euler", "--cfg-scale", "7", "-s", "42", "-t", Integer.toString(threads),
                "-o", png.toString()));
        cmd.addAll(model);
        if (!cache.equals("none")) {
            String[] mo = cache.split(":", 2);
            cmd.addAll(List.of("--cache-mode", mo[0]));
            if (mo.length > 1) {
                cmd.addAll(List.of("--cache-option", mo[1]));
            }
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        double sampling = Double.NaN;
        String skipped = "0/" + steps;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                Matcher m = REFUSED.matcher(line);
                if (m.find()) {
                    p.destroy(); // it would sample uncached: nothing to measure
                    p.waitFor();
                    return new Run(Double.NaN, null, m.group(1).strip());
                }
                m = SKIPPED.matcher(line);
                if (m.find()) {
                    skipped = m.group(2) + "/" + m.group(3);
                }
                m = SAMPLING.matcher(line);
                if (m.find()) {
                    sampling = Double.parseDouble(m.group(1));
                }
            }
        }
        if (p.waitFor() != 0 || Double.isNaN(sampling)) {
            throw new IllegalStateException("sd-cli " + String.join(" ", cmd) + " failed or printed no timing (exit " + p.exitValue() + ")");
        }
        return new Run(sampling, skipped, null);
    }

    /** "PSNR | max diff" of b against a, over the RGB channels. */
    private static String difference(BufferedImage a, BufferedImage b) {
        int max = 0;
        double se = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int pa = a.getRGB(x, y), pb = b.getRGB(x, y);
                for (int s = 0; s < 24; s += 8) {
                    int d = Math.abs(((pa >> s) & 255) - ((pb >> s) & 255));
                    max = Math.max(max, d);
                    se += d * (double) d;
                }
            }
        }
        double mse = se / (3.0 * a.getWidth() * a.getHeight());
        return (mse == 0 ? "identical" : String.format(Locale.ROOT, "%.1f dB", 10 * Math.log10(255 * 255 / mse))) + " | " + max + "/255";
    }

    private static double median(List<Run> runs) {
        double[] v = runs.stream().mapToDouble(Run::sampling).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
