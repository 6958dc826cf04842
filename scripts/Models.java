import dev.sdjava.synthetic.Architecture;
import dev.sdjava.synthetic.GgufType;
import dev.sdjava.synthetic.Precision;
import dev.sdjava.synthetic.SyntheticModel;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The script tier's driver, run by scripts/models.sh: reads every {@code scripts/families/*.properties}, writes
 * their synthetic files into the model cache, runs upstream's sd-cli and sdj on them with the same flags (each under
 * {@code flock /tmp/sdjava-build.lock /usr/bin/time -v}), compares the pixels and rewrites the table of
 * docs/MODELS.md between its marker lines. Exits 1 when a family's pixels differ or its image is flat, after
 * writing every row. Run from the repository root with the cli's jars on the class path (models.sh does).
 */
public final class Models {
    static final String LOCK = "/tmp/sdjava-build.lock";
    static final String BEGIN = "<!-- models:begin -->";
    static final String END = "<!-- models:end -->";
    static final Set<String> KEYS = Set.of("order", "family", "mode", "files", "args", "info", "notes", "reason");
    /**
     * {@code ${image:WxH}}: a test image; {@code ${images:WxH}}: a directory of two (--pm-id-images-dir);
     * {@code ${tensor:AxB}}: an sd.cpp tensor file of A x B floats (--pm-id-embed-path).
     */
    static final Pattern IMAGE = Pattern.compile("\\$\\{(images?|tensor):(\\d+)x(\\d+)}");
    static final Pattern STEP = Pattern.compile("\\|\\s*(\\d+)/(\\d+) - ([0-9.]+)(it/s|s/it)");
    static final Pattern LOAD = Pattern.compile("loading tensors completed, taking ([0-9.]+)s");
    static final Pattern VERSION = Pattern.compile("Version: (.*?)\\s*$", Pattern.MULTILINE);
    static final Pattern RSS = Pattern.compile("Maximum resident set size \\(kbytes\\): (\\d+)");
    static final Pattern WALL = Pattern.compile("Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\): (?:(\\d+):)?(\\d+):([0-9.]+)");
    static final long T0 = System.nanoTime();
    /** Seconds sd-cli and sdj ran, without the waits for the lock. */
    static double running;

    private Models() {
    }

    /** One file of a family: the flag that passes it, its architecture and type (f16: safetensors, else GGUF). */
    record ModelFile(String flag, Architecture arch, GgufType type) {
        String name() {
            return type == null ? SyntheticModel.fileName(arch, Precision.F16, SyntheticModel.DEFAULT_SEED)
                    : SyntheticModel.ggufFileName(arch, type, Precision.F16, SyntheticModel.DEFAULT_SEED);
        }

        long size() {
            return type == null ? SyntheticModel.fileSize(arch, Precision.F16, SyntheticModel.DEFAULT_SEED)
                    : SyntheticModel.ggufFileSize(arch, type, Precision.F16);
        }
    }

    /** One family file; {@code reason} set means not measured (and mode/files/args absent). */
    record Family(String id, int order, String name, String mode, List<ModelFile> files, List<String> args,
                  String info, String notes, String reason) {
        boolean video() {
            return "vid_gen".equals(mode);
        }

        /** The sdj subcommand that does what sd-cli's {@code -M mode} does. */
        String sdjCommand() {
            return switch (mode) {
                case "vid_gen" -> "video";
                case "upscale" -> "upscale";
                default -> "generate";
            };
        }
    }

    /** What one side's run gave. */
    record Run(String log, double wallS, long rssKb) {
    }

    public static void main(String[] argv) throws Exception {
        List<String> only = null;
        boolean keepGoing = false;
        boolean evict = false;
        for (int i = 0; i < argv.length; i++) {
            switch (argv[i]) {
                case "--only" -> only = i + 1 < argv.length ? List.of(argv[++i].split(",")) : fail("--only needs ID,...");
                case "--keep-going" -> keepGoing = true;
                case "--evict" -> evict = true;
                default -> fail("usage: scripts/models.sh [--only ID,...] [--keep-going] [--evict]  (unknown argument '" + argv[i] + "')");
            }
        }
        List<Family> families = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("scripts/families"))) {
            for (Path p : s.filter(f -> f.toString().endsWith(".properties")).sorted().toList()) {
                try {
                    families.add(parse(p));
                } catch (IllegalArgumentException ex) {
                    fail(ex.getMessage());
                }
            }
        }
        families.sort(Comparator.comparingInt(Family::order).thenComparing(Family::id));
        for (String id : only == null ? List.<String>of() : only) {
            if (families.stream().noneMatch(f -> matches(f, id))) {
                fail("--only: no family '" + id + "'; known: " + String.join(", ", families.stream().map(Family::id).toList()));
            }
        }
        Path doc = Path.of("docs/MODELS.md");
        String text = Files.readString(doc);
        int b = text.indexOf(BEGIN);
        int e = text.indexOf(END);
        if (b < 0 || e < b) {
            fail(doc + " has no '" + BEGIN + "' ... '" + END + "' marker lines around its table");
        }
        Map<String, String> previous = previousRows(text.substring(b, e));
        String header = "Generated by `scripts/models.sh` on " + LocalDate.now() + ", commit " + commit() + ", " + cpu()
                + " (" + Runtime.getRuntime().availableProcessors() + " threads)" + (only == null ? "" : "; rows of "
                + String.join(", ", only) + " regenerated, the others kept from the previous run") + ".";
        List<String> rows = new ArrayList<>();
        boolean failed = false;
        Set<Path> before = cachedFiles();
        for (int fi = 0; fi < families.size(); fi++) {
            Family f = families.get(fi);
            if (f.reason() != null) {
                rows.add(row(f.name(), "-", "-", "not measured: " + f.reason(), "-", "-", "-", "-"));
            } else if (only != null && only.stream().noneMatch(id -> matches(f, id))) {
                rows.add(previous.getOrDefault(f.name(), row(f.name(), "-", "-", "not run (`scripts/models.sh --only " + f.id()
                        + "`)", "-", "-", "-", "-")));
            } else {
                try {
                    String r = measure(f);
                    failed |= r.contains("DIFFERENT") || r.contains("FLAT");
                    rows.add(r);
                } catch (Exception ex) {
                    progress(f, "FAILED: " + ex.getMessage());
                    if (!keepGoing) {
                        System.err.println(f.id() + ": " + ex.getMessage() + "\n(docs/MODELS.md left as it was; --keep-going writes an"
                                + " error row and goes on)");
                        System.exit(1);
                    }
                    failed = true;
                    rows.add(row(f.name(), "-", "-", "ERROR: " + cell(ex.getMessage()), "-", "-", "-", "-"));
                }
                if (evict) {
                    evict(f, families.subList(fi + 1, families.size()), before);
                }
            }
        }
        StringBuilder table = new StringBuilder(BEGIN).append("\n").append(header).append("\n\n")
                .append("| family | synthetic files | detection (sd-cli; `sdj info`) | parity | s/step (sd-cli) | load (sd-cli) | peak RSS | wall |\n")
                .append("|---|---|---|---|---|---|---|---|\n");
        rows.forEach(r -> table.append(r).append("\n"));
        Files.writeString(doc, text.substring(0, b) + table + text.substring(e));
        System.err.printf(Locale.ROOT, "[%6.1f s] wrote %s (%d rows); sd-cli and sdj ran %.1f s of it, the rest was"
                        + " writing files, waiting for %s and starting JVMs%s%n", elapsed(), doc, rows.size(), running, LOCK,
                failed ? "; some families are NOT identical or failed: see their rows" : "");
        System.exit(failed ? 1 : 0);
    }

    /** The files in the model cache now. */
    static Set<Path> cachedFiles() throws IOException {
        Path cache = SyntheticModel.cacheDirectory().toAbsolutePath();
        if (!Files.isDirectory(cache)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.list(cache)) {
            return Set.copyOf(s.toList());
        }
    }

    /**
     * {@code --evict}, for a disk smaller than all families' files together: deletes the files this run wrote for
     * {@code f} that no later family needs. Files that were in the cache before the run stay.
     */
    static void evict(Family f, List<Family> later, Set<Path> before) throws IOException {
        Path cache = SyntheticModel.cacheDirectory().toAbsolutePath();
        Set<String> needed = new java.util.HashSet<>();
        later.stream().filter(l -> l.reason() == null).forEach(l -> l.files().forEach(m -> needed.add(m.name())));
        for (ModelFile m : f.files()) {
            Path p = cache.resolve(m.name());
            if (!needed.contains(m.name()) && !before.contains(p) && Files.deleteIfExists(p)) {
                progress(f, "evicted " + p.getFileName());
            }
        }
    }

    static boolean matches(Family f, String id) {
        return f.id().equals(id) || f.id().replaceFirst("^\\d+-", "").equals(id);
    }

    /** Writes the files, runs both sides, compares, and returns the family's table row. */
    static String measure(Family f) throws Exception {
        Path cache = SyntheticModel.cacheDirectory().toAbsolutePath();
        Path dir = Path.of("target/models", f.id()).toAbsolutePath();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> old = Files.walk(dir)) {
                for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
                    if (!p.equals(dir)) {
                        Files.delete(p);
                    }
                }
            }
        }
        Files.createDirectories(dir);
        List<String> files = new ArrayList<>();
        StringBuilder described = new StringBuilder();
        Path infoFile = null;
        for (ModelFile m : f.files()) {
            Path p = cache.resolve(m.name());
            if (!Files.isRegularFile(p) || Files.size(p) != m.size()) {
                progress(f, "writing " + p.getFileName());
                List<String> cmd = new ArrayList<>(List.of("flock", LOCK, "./sdj", "test-model", "--arch", m.arch().fileStem()));
                if (m.type() != null) {
                    cmd.addAll(List.of("--type", m.type().ggmlName()));
                }
                cmd.addAll(List.of("-o", p.toString()));
                exec(cmd, dir.resolve("test-model.log"));
            }
            // a directory flag (--lora-model-dir, --embd-dir) gets the cache directory that holds the file
            files.addAll(List.of(m.flag(), m.flag().endsWith("-dir") ? cache.toString() : p.toString()));
            described.append(described.isEmpty() ? "" : ", ").append("`").append(m.arch().fileStem())
                    .append(m.type() == null ? "" : " " + m.type().ggmlName()).append("` ").append(gb(Files.size(p)));
            if (m.flag().equals(f.info())) {
                infoFile = p;
            }
        }
        List<String> args = new ArrayList<>();
        for (String a : f.args()) {
            Matcher im = IMAGE.matcher(a);
            StringBuilder sb = new StringBuilder();
            while (im.find()) {
                int w = Integer.parseInt(im.group(2));
                int h = Integer.parseInt(im.group(3));
                Path made = switch (im.group(1)) {
                    case "image" -> gradient(dir, w, h);
                    case "images" -> images(dir, w, h);
                    default -> tensor(dir, w, h);
                };
                im.appendReplacement(sb, Matcher.quoteReplacement(made.toString()));
            }
            args.add(im.appendTail(sb).toString());
        }
        String ext = f.video() ? "_%d.png" : ".png";
        progress(f, "sd-cli");
        List<String> cli = new ArrayList<>(List.of("target/native/cpu/bin/sd-cli", "-M", f.mode()));
        cli.addAll(files);
        cli.addAll(args);
        cli.addAll(List.of("-o", dir.resolve("cli" + ext).toString()));
        Run c = timed(cli, dir.resolve("cli.log"));
        progress(f, "sdj");
        List<String> sdj = new ArrayList<>(List.of("./sdj", f.sdjCommand()));
        sdj.addAll(files);
        sdj.addAll(args);
        sdj.addAll(List.of("-o", dir.resolve("sdj" + ext).toString()));
        Run j = timed(sdj, dir.resolve("sdj.log"));
        String parity = parity(dir, f.video());
        progress(f, parity);
        String detection = version(c.log());
        if (infoFile != null) {
            String info = new String(exec(List.of("./sdj", "info", infoFile.toString()), dir.resolve("info.log")));
            Matcher sm = Pattern.compile("^summary:\\s*(.*)$", Pattern.MULTILINE).matcher(info);
            detection += "; " + (sm.find() ? sm.group(1).trim() : "(no summary line)");
        }
        // every tensor load sd-cli reports, added up: a PhotoMaker file's LoRA part loads (twice) before the model
        Matcher lm = LOAD.matcher(c.log());
        double loadS = 0;
        boolean loaded = false;
        while (lm.find()) {
            loadS += Double.parseDouble(lm.group(1));
            loaded = true;
        }
        String load = loaded ? String.format(Locale.ROOT, "%.2f s", loadS) : "-";
        return row(f.name(), described + (f.notes() == null ? "" : "; " + f.notes()), detection, parity, steps(c.log()), load,
                String.format(Locale.ROOT, "sd-cli %s, sdj %s", gb(c.rssKb() * 1024), gb(j.rssKb() * 1024)),
                String.format(Locale.ROOT, "sd-cli %.1f s, sdj %.1f s", c.wallS(), j.wallS()));
    }

    /** Compares sd-cli's and sdj's outputs in {@code dir}: "identical (...)", "DIFFERENT (...)" or "... FLAT ...". */
    static String parity(Path dir, boolean video) throws Exception {
        List<String[]> pairs = new ArrayList<>();
        if (video) {
            try (Stream<Path> s = Files.list(dir)) {
                for (String n : s.map(p -> p.getFileName().toString()).filter(n -> n.matches("cli_\\d+\\.png")).sorted(
                        Comparator.comparingInt(n -> Integer.parseInt(n.replaceAll("\\D", "")))).toList()) {
                    pairs.add(new String[] {n, n.replace("cli_", "sdj_")});
                }
            }
            if (pairs.isEmpty()) {
                throw new IOException("sd-cli wrote no cli_N.png frames in " + dir);
            }
        } else {
            pairs.add(new String[] {"cli.png", "sdj.png"});
        }
        int max = 0;
        double psnr = Double.POSITIVE_INFINITY;
        int flat = Integer.MAX_VALUE;
        String size = "";
        for (String[] p : pairs) {
            if (!Files.isRegularFile(dir.resolve(p[1]))) {
                return "DIFFERENT (sdj wrote no " + p[1] + ")";
            }
            BufferedImage a = ImageDiff.read(dir.resolve(p[0]).toString());
            BufferedImage b = ImageDiff.read(dir.resolve(p[1]).toString());
            ImageDiff.Diff d = ImageDiff.compare(a, b);
            if (!d.sameSize()) {
                return "DIFFERENT (size " + d.width() + "x" + d.height() + " vs " + d.other() + ")";
            }
            size = d.width() + "x" + d.height();
            max = Math.max(max, d.maxAbs());
            psnr = Math.min(psnr, d.psnr());
            flat = Math.min(flat, distinctValues(b));
        }
        if (video && countFrames(dir, "sdj_") != pairs.size()) {
            return "DIFFERENT (sd-cli wrote " + pairs.size() + " frames, sdj " + countFrames(dir, "sdj_") + ")";
        }
        String what = video ? pairs.size() + " frames of " + size : size;
        String verdict = max == 0 ? "identical (" + what + ")"
                : String.format(Locale.ROOT, "DIFFERENT (max %d, PSNR %.1f dB) at %s", max, psnr, what);
        // as ParityTest: a flat (or NaN, which sd.cpp writes as one colour) image proves nothing
        return flat > 16 ? verdict : verdict + ", but FLAT (" + flat + " distinct channel values): proves nothing";
    }

    static long countFrames(Path dir, String prefix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches(prefix + "\\d+\\.png")).count();
        }
    }

    static int distinctValues(BufferedImage img) {
        boolean[] seen = new boolean[256];
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    int v = (p >> shift) & 0xff;
                    if (!seen[v]) {
                        seen[v] = true;
                        n++;
                    }
                }
            }
        }
        return n;
    }

    /** A deterministic WxH gradient PNG in {@code dir} (red along x, green along y, blue across). */
    static Path gradient(Path dir, int w, int h) throws IOException {
        Path p = dir.resolve("image-" + w + "x" + h + ".png");
        if (!Files.exists(p)) {
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int r = x * 255 / Math.max(1, w - 1);
                    int g = y * 255 / Math.max(1, h - 1);
                    img.setRGB(x, y, r << 16 | g << 8 | (r + g) / 2);
                }
            }
            ImageIO.write(img, "png", p.toFile());
        }
        return p;
    }

    /** A directory in {@code dir} with two WxH test images: the gradient and the gradient turned a quarter. */
    static Path images(Path dir, int w, int h) throws IOException {
        Path d = Files.createDirectories(dir.resolve("images-" + w + "x" + h));
        BufferedImage g = ImageIO.read(gradient(dir, w, h).toFile());
        ImageIO.write(g, "png", d.resolve("1.png").toFile());
        BufferedImage turned = new BufferedImage(h, w, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                turned.setRGB(h - 1 - y, x, g.getRGB(x, y));
            }
        }
        ImageIO.write(turned, "png", d.resolve("2.png").toFile());
        return d;
    }

    /**
     * A tensor file as sd.cpp reads it (tensor_ggml.hpp load_tensor_from_file_as_tensor: int32 dimension count,
     * name length and ggml type 0 = f32, the dimensions innermost first, the name, the floats), of a rows of b
     * deterministic values around +-1: the stand-in for face_detect.py's id_embeds.bin (a = 512, b = ID images).
     */
    static Path tensor(Path dir, int a, int b) throws IOException {
        Path p = dir.resolve("tensor-" + a + "x" + b + ".bin");
        String name = "id_embeds";
        ByteBuffer buf = ByteBuffer.allocate(3 * 4 + 2 * 4 + name.length() + a * b * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(2).putInt(name.length()).putInt(0).putInt(a).putInt(b).put(name.getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < a * b; i++) {
            buf.putFloat((float) Math.sin(0.7 * i + 0.3));
        }
        Files.write(p, buf.array());
        return p;
    }

    static String version(String log) {
        Matcher m = VERSION.matcher(log);
        return m.find() ? "`Version: " + m.group(1) + "`" : "(no Version line)";
    }

    /** The sampling progress bar's per-step figures, as seconds per step ("0.11 / 0.11"). */
    static String steps(String log) {
        List<String> out = new ArrayList<>();
        Map<Integer, Double> bar = new LinkedHashMap<>();
        for (String line : log.split("[\r\n]")) {
            Matcher m = STEP.matcher(line);
            while (m.find()) {
                int i = Integer.parseInt(m.group(1));
                if (i <= 0) {
                    continue;
                }
                double v = Double.parseDouble(m.group(3));
                bar.put(i, m.group(4).equals("it/s") ? 1 / v : v);
                if (i == Integer.parseInt(m.group(2))) {
                    bar.values().forEach(s -> out.add(String.format(Locale.ROOT, "%.2f", s)));
                    bar.clear();
                }
            }
        }
        return out.isEmpty() ? "-" : String.join(" / ", out);
    }

    /** Runs {@code cmd} under the build lock and {@code /usr/bin/time -v}; fails on a non-zero exit. */
    static Run timed(List<String> cmd, Path log) throws Exception {
        List<String> full = new ArrayList<>(List.of("flock", LOCK, "/usr/bin/time", "-v"));
        full.addAll(cmd);
        String out = new String(exec(full, log));
        Matcher r = RSS.matcher(out);
        Matcher w = WALL.matcher(out);
        if (!r.find() || !w.find()) {
            throw new IOException("no /usr/bin/time -v figures in " + log);
        }
        double wall = (w.group(1) == null ? 0 : Long.parseLong(w.group(1)) * 3600) + Long.parseLong(w.group(2)) * 60
                + Double.parseDouble(w.group(3));
        running += wall;
        return new Run(out, wall, Long.parseLong(r.group(1)));
    }

    /** Runs a command with stdout and stderr into {@code log}; returns what it wrote, or fails with its last error line. */
    static byte[] exec(List<String> cmd, Path log) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int rc = p.waitFor();
        byte[] out = Files.readAllBytes(log);
        if (rc != 0) {
            String s = new String(out).replace('\r', '\n');
            int cut = s.indexOf("\tCommand being timed");
            List<String> lines = (cut < 0 ? s : s.substring(0, cut)).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("Command exited with")).toList();
            throw new IOException(String.join(" ", cmd.subList(0, Math.min(cmd.size(), 8))) + " ... exited " + rc + ": "
                    + lines.reversed().stream().filter(l -> l.toLowerCase(Locale.ROOT).contains("error")).findFirst()
                    .orElse(lines.isEmpty() ? "" : lines.getLast()).strip() + " (log: " + log + ")");
        }
        return out;
    }

    /** The rows of the previous table, by family name (its first cell). */
    static Map<String, String> previousRows(String table) {
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : table.lines().toList()) {
            if (line.startsWith("| ") && !line.startsWith("| family |")) {
                rows.put(line.substring(2, line.indexOf(" |", 2)), line);
            }
        }
        return rows;
    }

    static String row(String... cells) {
        return "| " + String.join(" | ", cells) + " |";
    }

    static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    static String gb(long bytes) {
        return bytes < 100_000_000 ? String.format(Locale.ROOT, "%.1f MB", bytes / 1e6)
                : String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }

    static String commit() throws Exception {
        String c = new String(new ProcessBuilder("git", "rev-parse", "--short", "HEAD").start().getInputStream().readAllBytes()).strip();
        boolean dirty = new ProcessBuilder("git", "diff", "--quiet", "HEAD").start().waitFor() != 0;
        return "`" + c + (dirty ? "-dirty" : "") + "`";
    }

    static String cpu() throws IOException {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
    }

    static void progress(Family f, String step) {
        System.err.printf(Locale.ROOT, "[%6.1f s] %s: %s%n", elapsed(), f.id(), step);
    }

    static double elapsed() {
        return (System.nanoTime() - T0) / 1e9;
    }

    static <T> T fail(String message) {
        System.err.println("models: " + message);
        System.exit(2);
        return null;
    }

    // ---- the family files

    /** Reads and checks one family file (Java properties, one key=value a line, '#' comments on their own lines). */
    static Family parse(Path file) throws IOException {
        Map<String, String> v = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(file);
        for (int n = 1; n <= lines.size(); n++) {
            String line = lines.get(n - 1).strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("!")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw bad(file, n, "not key=value: '" + line + "'");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (!KEYS.contains(key)) {
                throw bad(file, n, "unknown key '" + key + "'; the keys are " + String.join(", ", KEYS.stream().sorted().toList()));
            }
            if (value.endsWith("\\")) {
                throw bad(file, n, "continuation lines are not supported: put " + key + " on one line");
            }
            if (v.put(key, value) != null) {
                throw bad(file, n, "'" + key + "' given twice");
            }
            lineOf.put(key, n);
        }
        String id = file.getFileName().toString().replaceFirst("\\.properties$", "");
        for (String k : List.of("order", "family")) {
            if (v.get(k) == null || v.get(k).isEmpty()) {
                throw bad(file, 0, "'" + k + "' is missing");
            }
        }
        int order;
        try {
            order = Integer.parseInt(v.get("order"));
        } catch (NumberFormatException e) {
            throw bad(file, lineOf.get("order"), "order '" + v.get("order") + "' is not a whole number");
        }
        if (v.containsKey("reason")) {
            for (String k : List.of("mode", "files", "args", "info")) {
                if (v.containsKey(k)) {
                    throw bad(file, lineOf.get(k), "'" + k + "' with 'reason': a family is either measured or has a reason, not both");
                }
            }
            return new Family(id, order, cell(v.get("family")), null, List.of(), List.of(), null, v.get("notes"), cell(v.get("reason")));
        }
        for (String k : List.of("mode", "files", "args")) {
            if (!v.containsKey(k) || v.get(k).isEmpty()) {
                throw bad(file, 0, "a measured family needs '" + k + "' (or 'reason=' saying why it is not measured)");
            }
        }
        String mode = v.get("mode");
        if (!Set.of("img_gen", "vid_gen", "upscale").contains(mode)) {
            throw bad(file, lineOf.get("mode"), "mode '" + mode + "' is not img_gen, vid_gen or upscale (a '#' comment must be on its own line)");
        }
        List<ModelFile> files = new ArrayList<>();
        for (String entry : v.get("files").split("\\|")) {
            String[] t = entry.strip().split("\\s+");
            if (t.length != 3 || !t[0].startsWith("-")) {
                throw bad(file, lineOf.get("files"), "file entry '" + entry.strip() + "' is not '<sd-cli flag> <arch> <f16|q8_0|q4_0|q4_K>'");
            }
            Architecture arch = Stream.of(Architecture.values()).filter(a -> a.fileStem().equals(t[1])).findFirst()
                    .orElseThrow(() -> bad(file, lineOf.get("files"), "unknown architecture '" + t[1] + "' (sdj test-model --list)"));
            GgufType type = null;
            if (!t[2].equals("f16")) {
                try {
                    type = GgufType.fromName(t[2]);
                } catch (IllegalArgumentException e) {
                    throw bad(file, lineOf.get("files"), "'" + entry.strip() + "': " + e.getMessage() + " (f16 is the safetensors file)");
                }
            }
            files.add(new ModelFile(t[0], arch, type));
        }
        String info = v.get("info");
        if (info != null && files.stream().noneMatch(m -> m.flag().equals(info))) {
            throw bad(file, lineOf.get("info"), "info '" + info + "' is none of the files' flags");
        }
        List<String> args = words(v.get("args"));
        for (String a : args) {
            if (a.replaceAll(IMAGE.pattern(), "").contains("${")) {
                throw bad(file, lineOf.get("args"), "'" + a + "': the only substitutions are ${image:WxH}, ${images:WxH} and ${tensor:AxB}");
            }
            if (a.equals("-o") || a.equals("--output") || a.equals("-M") || a.equals("--mode")) {
                throw bad(file, lineOf.get("args"), "'" + a + "' is the driver's: leave it out of args");
            }
        }
        return new Family(id, order, cell(v.get("family")), mode, files, args, info, v.get("notes") == null ? null : cell(v.get("notes")), null);
    }

    static IllegalArgumentException bad(Path file, int line, String message) {
        return new IllegalArgumentException(file + (line > 0 ? ":" + line : "") + ": " + message);
    }

    /** Splits on white space, keeping "double" or 'single' quoted words together. */
    static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean in = false;
        char quote = 0;
        for (char ch : s.toCharArray()) {
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else {
                    w.append(ch);
                }
            } else if (ch == '"' || ch == '\'') {
                quote = ch;
                in = true;
            } else if (Character.isWhitespace(ch)) {
                if (in) {
                    out.add(w.toString());
                    w.setLength(0);
                    in = false;
                }
            } else {
                w.append(ch);
                in = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unclosed quote in args: " + s);
        }
        if (in) {
            out.add(w.toString());
        }
        return out;
    }
}
