import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Two native builds side by side (issue 17): runs the {@code sd-cli} of build A and of build B
 * alternately (A B A B ...) on the same model, prompt, size, steps and seed, reads sd.cpp's own
 * {@code sampling completed, taking X s} and {@code decode_first_stage completed, taking X s}
 * lines, and prints the medians, the B/A ratios of the medians, and how far B's image is from A's
 * (max difference in levels of 255, PSNR).
 *
 * <pre>
 * java bench/BuildAB.java A_BIN_DIR B_BIN_DIR MODEL [size=256] [steps=2] [runs=3] [threads=2]
 * </pre>
 * e.g. a copy of a default build's {@code bin/} against {@code target/native/cpu/bin}. Not a
 * test: the figures depend on the machine and its load.
 */
public class BuildAB {
    private static final Pattern SAMPLING = Pattern.compile("sampling completed, taking ([0-9.]+)s");
    private static final Pattern DECODE = Pattern.compile("decode_first_stage completed, taking ([0-9.]+)s");

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: java bench/BuildAB.java A_BIN_DIR B_BIN_DIR MODEL [size=256] [steps=2] [runs=3] [threads=2]");
            System.exit(2);
        }
        Path a = Path.of(args[0]), b = Path.of(args[1]), model = Path.of(args[2]);
        int size = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        int steps = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        int runs = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        int threads = args.length > 6 ? Integer.parseInt(args[6]) : 2;
        Path out = Files.createTempDirectory("build-ab");
        List<double[]> ta = new ArrayList<>(), tb = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            ta.add(run(a, model, size, steps, threads, out.resolve("a.png")));
            tb.add(run(b, model, size, steps, threads, out.resolve("b.png")));
            System.out.printf(Locale.ROOT, "run %d: A sampling %.2f s decode %.2f s | B sampling %.2f s decode %.2f s%n",
                    i + 1, ta.getLast()[0], ta.getLast()[1], tb.getLast()[0], tb.getLast()[1]);
        }
        for (int k = 0; k < 2; k++) {
            double ma = median(ta, k), mb = median(tb, k);
            System.out.printf(Locale.ROOT, "RESULT %s %dx%d steps=%d: A median %.2f s, B median %.2f s, B/A %.2f%n",
                    k == 0 ? "sampling" : "vae_decode", size, size, steps, ma, mb, mb / ma);
        }
        BufferedImage ia = ImageIO.read(out.resolve("a.png").toFile()), ib = ImageIO.read(out.resolve("b.png").toFile());
        int max = 0;
        double se = 0;
        for (int y = 0; y < ia.getHeight(); y++) {
            for (int x = 0; x < ia.getWidth(); x++) {
                int pa = ia.getRGB(x, y), pb = ib.getRGB(x, y);
                for (int s = 0; s < 24; s += 8) {
                    int d = Math.abs(((pa >> s) & 255) - ((pb >> s) & 255));
                    max = Math.max(max, d);
                    se += d * (double) d;
                }
            }
        }
        double mse = se / (3.0 * ia.getWidth() * ia.getHeight());
        System.out.printf(Locale.ROOT, "RESULT image B vs A: max diff %d/255, PSNR %s%n", max,
                mse == 0 ? "inf (identical)" : String.format(Locale.ROOT, "%.1f dB", 10 * Math.log10(255 * 255 / mse)));
    }

    private static double[] run(Path bin, Path model, int size, int steps, int threads, Path png) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(bin.resolve("sd-cli").toString(), "-m", model.toString(), "-p", "a lighthouse at dusk",
                "-W", Integer.toString(size), "-H", Integer.toString(size), "--steps", Integer.toString(steps),
                "--sampling-method", "euler", "--cfg-scale", "7", "-s", "42", "-t", Integer.toString(threads),
                "-o", png.toString()).redirectErrorStream(true);
        // sd-cli's RUNPATH names the build folder it was linked in; a copied build must load its own library.
        pb.environment().put("LD_LIBRARY_PATH", bin.toAbsolutePath().toString());
        Process p = pb.start();
        double sampling = Double.NaN, decode = Double.NaN;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                Matcher m = SAMPLING.matcher(line);
                if (m.find()) {
                    sampling = Double.parseDouble(m.group(1));
                }
                m = DECODE.matcher(line);
                if (m.find()) {
                    decode = Double.parseDouble(m.group(1));
                }
            }
        }
        if (p.waitFor() != 0 || Double.isNaN(sampling) || Double.isNaN(decode)) {
            throw new IllegalStateException(bin + "/sd-cli failed or printed no timings (exit " + p.exitValue() + ")");
        }
        return new double[] {sampling, decode};
    }

    private static double median(List<double[]> runs, int k) {
        double[] v = runs.stream().mapToDouble(r -> r[k]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
