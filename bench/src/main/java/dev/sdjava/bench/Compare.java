package dev.sdjava.bench;

import dev.sdjava.StableDiffusion;
import dev.sdjava.WeightType;
import dev.sdjava.synthetic.Architecture;
import dev.sdjava.synthetic.Precision;
import dev.sdjava.synthetic.SyntheticModel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The end-to-end comparison: runs sdjava (a fresh JVM per run, {@link Worker}), upstream's
 * {@code sd-cli} built from the same sd.cpp tree, and optionally diffusers on PyTorch, on the
 * synthetic SD1 model, interleaved (A B A B ...), and appends one record per run to a data file;
 * then rewrites the report ({@link Report}) from everything in that file.
 *
 * <pre>
 * bench/compare.sh [--sections overhead,load,threads,reuse,weights,memory,fa,builds,diffusers] [--runs N] [--runs512 N]
 *                  [--weights-size 512|256] [--reuse-size N] [--default-build BIN_DIR] [--extra-build NAME=BIN_DIR]
 *                  [--fresh] [--report-only] [--smoke]
 *                  [--data FILE] [--out FILE]
 * </pre>
 */
public final class Compare {
    static final String PROMPT = "a lighthouse at dusk, oil painting";
    static final List<String> ALL_SECTIONS = List.of("overhead", "load", "threads", "reuse", "weights", "memory",
            "fa", "builds", "diffusers", "omp");

    final Path project;
    final Path nativeDir;
    final Path data;
    final Path work;
    final int runs;
    final int runs512;
    final boolean smoke;
    /** Image side of the weights section (512 as the issue asks; 256 where a 512 run takes too long). */
    int weightsSize = 512;
    /** Image side of the reuse section. */
    int reuseSize = 128;
    /** Images per reused-context JVM: 10, then pairs without / with a listener. */
    int reuseImages = 14;
    /** Steps of the 256x256 overhead job. */
    int steps256 = 2;
    /**
     * Run the two sides of a pair at the same time instead of one after the other: on a machine
     * whose load swings, both then see the same contention; CPU times are unaffected either way.
     */
    boolean concurrent;
    /** Number of the first round, to add rounds to an earlier run's records. */
    int firstRound;
    /** Which configurations the weights section runs. */
    List<String> weightsCfgs = List.of("q8_0", "q4_0", "f16+taesd", "diffusers-fp32");
    private final Path venvPython;
    private Path sd1;
    private Path taesd;

    Compare(Path project, Path data, int runs, int runs512, boolean smoke) {
        this.project = project;
        this.nativeDir = Path.of(System.getProperty("sdjava.bench.nativeDir",
                project.resolve("target/native/cpu").toString()));
        this.data = data;
        this.work = data.toAbsolutePath().getParent().resolve("work");
        this.runs = runs;
        this.runs512 = runs512;
        this.smoke = smoke;
        String venv = System.getenv().getOrDefault("SDJAVA_BENCH_VENV",
                Path.of(System.getProperty("user.home"), ".cache/sdjava/bench-venv").toString());
        this.venvPython = Path.of(venv, "bin", "python");
    }

    public static void main(String[] args) throws Exception {
        Path project = Path.of(System.getProperty("sdjava.bench.project", ".")).toAbsolutePath().normalize();
        Path data = project.resolve("target/bench/results.tsv");
        Path out = project.resolve("docs/PERFORMANCE.md");
        Path jmh = project.resolve("target/bench/jmh.csv");
        List<String> sections = ALL_SECTIONS;
        int runs = 5;
        int runs512 = 3;
        boolean fresh = false;
        boolean reportOnly = false;
        boolean smoke = false;
        boolean concurrent = false;
        int firstRound = 0;
        List<String> weightsCfgs = List.of("q8_0", "q4_0", "f16+taesd", "diffusers-fp32");
        int steps256 = 2;
        int reuseImages = 14;
        int weightsSize = 512;
        int reuseSize = 128;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sections" -> sections = List.of(args[++i].split(","));
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--runs512" -> runs512 = Integer.parseInt(args[++i]);
                case "--weights-size" -> weightsSize = Integer.parseInt(args[++i]);
                case "--reuse-size" -> reuseSize = Integer.parseInt(args[++i]);
                case "--steps256" -> steps256 = Integer.parseInt(args[++i]);
                case "--reuse-images" -> reuseImages = Integer.parseInt(args[++i]);
                case "--concurrent" -> concurrent = true;
                case "--first-round" -> firstRound = Integer.parseInt(args[++i]);
                case "--weights-cfgs" -> weightsCfgs = List.of(args[++i].split(","));
                case "--data" -> data = Path.of(args[++i]).toAbsolutePath();
                case "--out" -> out = Path.of(args[++i]).toAbsolutePath();
                case "--jmh" -> jmh = Path.of(args[++i]).toAbsolutePath();
                case "--default-build" -> System.setProperty("sdjava.bench.defaultBuild", args[++i]);
                case "--extra-build" -> System.setProperty("sdjava.bench.extraBuilds",
                        (System.getProperty("sdjava.bench.extraBuilds", "") + "," + args[++i]).replaceAll("^,", ""));
                case "--fresh" -> fresh = true;
                case "--report-only" -> reportOnly = true;
                case "--meta" -> sections = List.of(); // record the machine description only
                case "--smoke" -> smoke = true;
                case "-h", "--help" -> {
                    System.out.println("usage: compare [--sections " + String.join(",", ALL_SECTIONS)
                            + "] [--runs N] [--runs512 N] [--fresh] [--report-only] [--smoke] [--data FILE] [--out FILE] [--jmh FILE]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        for (String s : sections) {
            if (!ALL_SECTIONS.contains(s)) {
                throw new IllegalArgumentException("unknown section " + s + "; sections are " + ALL_SECTIONS);
            }
        }
        if (smoke) {
            sections = List.of("smoke");
            runs = 1;
        }
        Files.createDirectories(data.toAbsolutePath().getParent());
        if (fresh) {
            Files.deleteIfExists(data);
        }
        Compare c = new Compare(project, data, runs, runs512, smoke);
        c.weightsSize = weightsSize;
        c.reuseSize = reuseSize;
        c.steps256 = steps256;
        c.reuseImages = reuseImages;
        c.concurrent = concurrent;
        c.firstRound = firstRound;
        c.weightsCfgs = weightsCfgs;
        if (!reportOnly) {
            c.meta();
            for (String s : sections) {
                c.section(s);
            }
        }
        List<Map<String, String>> records = Records.read(data);
        Report rendering = new Report(records, jmh, smoke);
        rendering.previous = out;
        String report = rendering.render();
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report);
        System.out.println(report);
        System.err.println("report written to " + out + " from " + records.size() + " records in " + data);
    }

    // ---------------------------------------------------------------- sections

    void section(String name) throws IOException, InterruptedException {
        log("== section " + name + " (loadavg " + loadAvg() + ")");
        Map<String, String> m = new LinkedHashMap<>();
        m.put("kind", "section");
        m.put("sec", name);
        m.put("loadavg_before", loadAvg());
        m.put("started", LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
        m.put("pairs", concurrent ? "concurrent" : "interleaved");
        long t0 = System.nanoTime();
        switch (name) {
            case "smoke" -> smoke();
            case "overhead" -> overhead();
            case "load" -> load();
            case "threads" -> threads();
            case "reuse" -> reuse();
            case "weights" -> weights();
            case "memory" -> memory();
            case "fa" -> flashAttention();
            case "builds" -> builds();
            case "diffusers" -> diffusersSideBySide();
            case "omp" -> openMp();
            default -> throw new IllegalArgumentException(name);
        }
        m.put("loadavg_after", loadAvg());
        m.put("minutes", Worker.fmt((System.nanoTime() - t0) / 60e9));
        Records.append(data, m);
    }

    /** Both sides of one comparison: one after the other, or at the same time ({@link #concurrent}). */
    private void pair(Job j, int round) throws IOException, InterruptedException {
        if (!concurrent) {
            java(j, round);
            cli(j, round);
            return;
        }
        Exception[] failure = new Exception[1];
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                cli(j, round);
            } catch (Exception e) {
                failure[0] = e;
            }
        });
        java(j, round);
        t.join();
        if (failure[0] != null) {
            throw new IllegalStateException("sd-cli side failed", failure[0]);
        }
    }

    private void smoke() throws IOException, InterruptedException {
        pair(new Job("smoke", "f16").size(64).steps(1).taesd(taesd()), 0);
    }

    /** Binding overhead: same job through the Java API and through sd-cli, A B A B. */
    private void overhead() throws IOException, InterruptedException {
        for (int r = firstRound; r < firstRound + runs; r++) {
            pair(new Job("overhead", "f16").size(256).steps(steps256), r);
        }
        for (int r = firstRound; r < firstRound + runs512; r++) {
            pair(new Job("overhead", "f16").size(512).steps(1), r);
        }
    }

    /** Load time with and without mmap; a tiny job after it since sd-cli always generates. */
    private void load() throws IOException, InterruptedException {
        // The JDK's AOT cache (JDK 25: -XX:AOTCacheOutput / -XX:AOTCache) for the Java side's
        // start-up, made once by a training run of the same job (not recorded).
        Path aot = work.resolve("load-worker.aot");
        Files.createDirectories(work);
        Files.deleteIfExists(aot);
        Job training = new Job("load", "aot-training").size(64).steps(1).taesd(taesd()).reload();
        training.jvmOption = "-XX:AOTCacheOutput=" + aot;
        java(training, -1, false);
        for (int r = firstRound; r < firstRound + runs; r++) {
            for (boolean mmap : new boolean[] {false, true}) {
                pair(new Job("load", mmap ? "mmap" : "no-mmap").size(64).steps(1).taesd(taesd()).mmap(mmap).reload(), r);
            }
            if (Files.isRegularFile(aot)) {
                Job j = new Job("load", "no-mmap+aot").size(64).steps(1).taesd(taesd()).reload();
                j.jvmOption = "-XX:AOTCache=" + aot;
                java(j, r);
            }
            Job prepared = new Job("load", "no-mmap+prepare").size(64).steps(1).taesd(taesd()).reload();
            prepared.prepare = true;
            java(prepared, r);
        }
    }

    /** s/step at 1 and 2 threads, both sides. */
    private void threads() throws IOException, InterruptedException {
        for (int r = firstRound; r < firstRound + runs; r++) {
            for (int t : new int[] {1, 2}) {
                pair(new Job("threads", "t" + t).size(128).steps(2).taesd(taesd()).threads(t), r);
            }
        }
    }

    /** One context, 10 images, then 4 more alternating without / with a progress listener. */
    private void reuse() throws IOException, InterruptedException {
        for (int r = firstRound; r < firstRound + runs; r++) {
            Job j = new Job("reuse", "f16").size(reuseSize).steps(2).images(reuseImages).listener("reuse").keepParams();
            java(j, r);
        }
    }

    /**
     * Per weight type, TAESD, and diffusers on PyTorch (fp32), interleaved: 512x512 1 step by
     * default, or 256x256 2 steps ({@code --weights-size 256}); the f16 rows come from the
     * overhead section at the same size.
     */
    private void weights() throws IOException, InterruptedException {
        int steps = weightsSize >= 512 ? 1 : steps256;
        int rounds = weightsSize >= 512 ? runs512 : runs;
        for (int r = 0; r < rounds; r++) {
            if (weightsCfgs.contains("q8_0")) {
                java(new Job("weights", "q8_0").size(weightsSize).steps(steps).model(gguf(WeightType.Q8_0)), r);
            }
            if (weightsCfgs.contains("q4_0")) {
                java(new Job("weights", "q4_0").size(weightsSize).steps(steps).model(gguf(WeightType.Q4_0)), r);
            }
            if (weightsCfgs.contains("f16+taesd")) {
                java(new Job("weights", "f16+taesd").size(weightsSize).steps(steps).taesd(taesd()), r);
            }
            if (!weightsCfgs.contains("diffusers-fp32")) {
                continue;
            }
            if (Files.isExecutable(venvPython)) {
                diffusers(new Job("weights", "diffusers-fp32").size(weightsSize).steps(steps), r);
            } else if (r == 0) {
                Map<String, String> m = new LinkedHashMap<>();
                m.put("kind", "note");
                m.put("sec", "weights");
                m.put("text", "diffusers skipped: no Python environment at " + venvPython
                        + " (run bench/setup-diffusers.sh)");
                Records.append(data, m);
            }
        }
    }

    /**
     * Peak RSS per weight type, and with flash attention, VAE tiling, direct convolutions, at
     * 512x512, one run each: a 512x512 run takes minutes on 2 cores, and a peak is not noisy.
     */
    private void memory() throws IOException, InterruptedException {
        // The plain weight types are in the weights section (3 runs each).
        java(new Job("memory", "f16+tiling").size(512).steps(1).tiling(), 0);
        java(new Job("memory", "f16+fa").size(512).steps(1).fa(), 0);
        java(new Job("memory", "f16+convdirect").size(512).steps(1).convDirect(), 0);
        java(new Job("memory", "q8_0+fa").size(512).steps(1).model(gguf(WeightType.Q8_0)).fa(), 0);
        java(new Job("memory", "q4_0+fa").size(512).steps(1).model(gguf(WeightType.Q4_0)).fa(), 0);
        java(new Job("memory", "q4_0+fa+tiling").size(512).steps(1).model(gguf(WeightType.Q4_0)).fa().tiling(), 0);
    }

    /**
     * Flash attention on this CPU (issue 17), sd-cli of the tuned build at 256x256: without it,
     * with {@code --diffusion-fa} (the UNet only) and with {@code --fa} (the VAE's attention too),
     * interleaved; and without it under {@code OMP_WAIT_POLICY=passive}. The 512x512 rows are in
     * the builds section.
     */
    private void flashAttention() throws IOException, InterruptedException {
        for (int r = firstRound; r < firstRound + runs; r++) {
            cli(new Job("fa", "tuned").size(256).steps(steps256), r);
            cli(new Job("fa", "tuned+diffusion-fa").size(256).steps(steps256).extra("--diffusion-fa"), r);
            cli(new Job("fa", "tuned+fa").size(256).steps(steps256).extra("--fa"), r);
            // an OpenMP setting: threads sleep at barriers instead of spinning (libgomp's default spins)
            cli(new Job("fa", "tuned+OMP_WAIT_POLICY=passive").size(256).steps(steps256).env("OMP_WAIT_POLICY", "passive"), r);
        }
    }

    /**
     * The tuned build (this project's, {@code GGML_LLAMAFILE=ON}) against a build with upstream's
     * default options ({@code --default-build BIN_DIR}, its own sd-cli and library),
     * 512x512, 1 step, interleaved: the default build with upstream's defaults, the tuned build
     * without and with flash attention (the two choices {@code sdj calibrate} picks from) and, in
     * the first round only, with {@code --fa}.
     */
    private void builds() throws IOException, InterruptedException {
        String dflt = System.getProperty("sdjava.bench.defaultBuild");
        if (dflt == null || !Files.isExecutable(Path.of(dflt, "sd-cli"))) {
            throw new IllegalStateException("the builds section needs --default-build DIR, the bin/ folder of an "
                    + "sd.cpp build with upstream's default options (sd-cli and libstable-diffusion.so)");
        }
        for (int r = firstRound; r < firstRound + runs512; r++) {
            cli(new Job("builds", "default").size(512).steps(1).bin(Path.of(dflt)), r);
            cli(new Job("builds", "tuned").size(512).steps(1), r);
            cli(new Job("builds", "tuned+diffusion-fa").size(512).steps(1).extra("--diffusion-fa"), r);
            for (var e : extraBuilds().entrySet()) {
                cli(new Job("builds", e.getKey()).size(512).steps(1).bin(e.getValue()), r);
            }
            if (r == firstRound) { // the VAE's share of --fa: one run (a 512x512 run takes minutes on 2 loaded cores)
                cli(new Job("builds", "tuned+fa").size(512).steps(1).extra("--fa"), r);
            }
        }
    }

    /**
     * libgomp's wait policy at 512x512, sd-cli of the tuned build (and of each {@code --extra-build}),
     * interleaved: the default (threads spin at barriers) against {@code OMP_WAIT_POLICY=passive}
     * (they sleep), which the fa section found twice as fast at 256x256 on a loaded machine.
     */
    private void openMp() throws IOException, InterruptedException {
        for (int r = firstRound; r < firstRound + runs512; r++) {
            cli(new Job("omp", "tuned").size(512).steps(1), r);
            cli(new Job("omp", "tuned+OMP_WAIT_POLICY=passive").size(512).steps(1).env("OMP_WAIT_POLICY", "passive"), r);
            for (var e : extraBuilds().entrySet()) {
                cli(new Job("omp", e.getKey() + "+OMP_WAIT_POLICY=passive").size(512).steps(1).bin(e.getValue())
                        .env("OMP_WAIT_POLICY", "passive"), r);
            }
        }
    }

    /** The {@code --extra-build NAME=BIN_DIR} builds (other builds of this project, e.g. with a candidate patch), by name. */
    private static Map<String, Path> extraBuilds() {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String e : System.getProperty("sdjava.bench.extraBuilds", "").split(",")) {
            int eq = e.indexOf('=');
            if (eq <= 0) {
                if (!e.isEmpty()) {
                    throw new IllegalArgumentException("--extra-build takes NAME=BIN_DIR, got " + e);
                }
                continue;
            }
            out.put(e.substring(0, eq), Path.of(e.substring(eq + 1)));
        }
        return out;
    }

    /** sdjava (f16, tuned build) and diffusers fp32 side by side at 512x512, 1 step, interleaved. */
    private void diffusersSideBySide() throws IOException, InterruptedException {
        if (!Files.isExecutable(venvPython)) {
            throw new IllegalStateException("no Python environment at " + venvPython + ": run bench/setup-diffusers.sh");
        }
        for (int r = firstRound; r < firstRound + runs512; r++) {
            java(new Job("diffusers", "f16").size(512).steps(1), r);
            diffusers(new Job("diffusers", "diffusers-fp32").size(512).steps(1), r);
        }
    }

    // ---------------------------------------------------------------- the three runners

    /** A job description shared by the runners. */
    final class Job {
        final String sec;
        final String cfg;
        Path model;
        int size = 256;
        int steps = 2;
        int threads = 2;
        int images = 1;
        String listener = "none";
        boolean mmap;
        boolean fa;
        boolean tiling;
        boolean convDirect;
        /** Keep every model's weights for the next image (the API's default); else free them as sd-cli does. */
        boolean keepParams;
        Path taesd;
        /** Java side: load the model a second time in the same JVM and time that too. */
        boolean reload;
        /** Java side: StableDiffusion.prepareInBackground() at start, a second before the load. */
        boolean prepare;
        /** Java side: one extra JVM option, or null. */
        String jvmOption;
        /** sd-cli side: the build's bin/ folder (its sd-cli and library). */
        Path bin = nativeDir.resolve("bin");
        /** sd-cli side: extra flags. */
        final List<String> extra = new ArrayList<>();
        /** sd-cli side: extra environment variables. */
        final Map<String, String> env = new LinkedHashMap<>();

        Job(String sec, String cfg) throws IOException {
            this.sec = sec;
            this.cfg = cfg;
            this.model = sd1();
        }

        Job size(int v) { size = v; return this; }
        Job steps(int v) { steps = v; return this; }
        Job threads(int v) { threads = v; return this; }
        Job images(int v) { images = v; return this; }
        Job listener(String v) { listener = v; return this; }
        Job keepParams() { keepParams = true; return this; }
        Job mmap(boolean v) { mmap = v; return this; }
        Job fa() { fa = true; return this; }
        Job tiling() { tiling = true; return this; }
        Job convDirect() { convDirect = true; return this; }
        Job taesd(Path v) { taesd = v; return this; }
        Job model(Path v) { model = v; return this; }
        Job reload() { reload = true; return this; }
        Job bin(Path v) { bin = v; return this; }
        Job extra(String... v) { extra.addAll(List.of(v)); return this; }
        Job env(String k, String v) { env.put(k, v); return this; }

        Map<String, String> base(String side, int round) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("kind", "run");
            m.put("sec", sec);
            m.put("side", side);
            m.put("cfg", cfg);
            m.put("round", String.valueOf(round));
            m.put("size", String.valueOf(size));
            m.put("steps", String.valueOf(steps));
            m.put("threads", String.valueOf(threads));
            m.put("model", model.getFileName().toString());
            m.put("params", keepParams ? "kept" : "freed");
            return m;
        }
    }

    void java(Job j, int round) throws IOException, InterruptedException {
        java(j, round, true);
    }

    private void java(Job j, int round, boolean record) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        if (j.jvmOption != null) {
            cmd.add(j.jvmOption);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        String libPath = System.getProperty("sdjava.library.path");
        if (libPath != null) {
            cmd.add("-Dsdjava.library.path=" + libPath);
        }
        cmd.add(Worker.class.getName());
        cmd.add("model=" + j.model);
        cmd.add("w=" + j.size);
        cmd.add("steps=" + j.steps);
        cmd.add("threads=" + j.threads);
        cmd.add("images=" + j.images);
        cmd.add("listener=" + j.listener);
        cmd.add("mmap=" + j.mmap);
        cmd.add("fa=" + j.fa);
        cmd.add("tiling=" + j.tiling);
        cmd.add("convdirect=" + j.convDirect);
        cmd.add("oneshot=" + !j.keepParams);
        cmd.add("reload=" + j.reload);
        cmd.add("prepare=" + j.prepare);
        if (j.taesd != null) {
            cmd.add("taesd=" + j.taesd);
        }
        cmd.add("prompt=" + PROMPT);
        Run run = exec(cmd, "java " + j.sec + "/" + j.cfg + " " + j.size + "px r" + round);
        int n = 0;
        for (Run.Line l : run.lines) {
            if (l.text().startsWith("RESULT ")) {
                Map<String, String> m = j.base("java", round);
                for (String kv : l.text().substring(7).split(" ")) {
                    int eq = kv.indexOf('=');
                    m.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                m.put("loadavg", loadAvg());
                m.put("rss_kb", String.valueOf(run.maxRssKb));
                m.put("wall_s", Worker.fmt(run.wallSeconds));
                m.put("cpu_s", Worker.fmt(run.cpuSeconds));
                if (record) {
                    Records.append(data, m);
                }
                n++;
            }
        }
        if (n != j.images) {
            throw new IllegalStateException("the Java worker reported " + n + " of " + j.images + " images; its output:\n"
                    + run.tail());
        }
    }

    void cli(Job j, int round) throws IOException, InterruptedException {
        Path outDir = work.resolve("cli-" + ProcessHandle.current().pid() + "-" + j.sec + "-" + j.size + "-" + round);
        Files.createDirectories(outDir);
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/stdbuf"))) {
            // sd-cli logs through stdio: line-buffer it so each line is timestamped as it happens.
            cmd.add("/usr/bin/stdbuf");
            cmd.add("-oL");
        }
        cmd.add(j.bin.resolve("sd-cli").toString());
        cmd.addAll(List.of("-m", j.model.toString(), "-p", PROMPT, "-W", String.valueOf(j.size), "-H",
                String.valueOf(j.size), "--steps", String.valueOf(j.steps), "--sampling-method", "euler", "-s", "42",
                "-t", String.valueOf(j.threads), "-o", outDir.resolve("out.png").toString(), "-v"));
        if (j.mmap) cmd.add("--mmap");
        if (j.fa) cmd.add("--fa");
        if (j.tiling) cmd.addAll(List.of("--vae-tiling", "--vae-tile-size", "32x32", "--vae-tile-overlap", "0.5"));
        if (j.convDirect) cmd.addAll(List.of("--diffusion-conv-direct", "--vae-conv-direct"));
        if (j.taesd != null) cmd.addAll(List.of("--taesd", j.taesd.toString()));
        cmd.addAll(j.extra);
        // sd-cli's RUNPATH names the folder it was linked in: another build must load its own library.
        Map<String, String> env = new LinkedHashMap<>(j.env);
        env.put("LD_LIBRARY_PATH", j.bin.toAbsolutePath().toString());
        Run run = exec(cmd, "cli  " + j.sec + "/" + j.cfg + " " + j.size + "px r" + round, env);
        List<Worker.LogLine> lines = new ArrayList<>();
        for (Run.Line l : run.lines) {
            lines.add(new Worker.LogLine(l.nanos(), l.text()));
        }
        Map<String, String> m = j.base("cli", round);
        m.put("gen", "0");
        m.put("loadavg", loadAvg());
        LogParse.cliLoad(lines, m);
        LogParse.generation(lines, m);
        Long ls = run.cpuAt.get("load_start");
        Long gs = run.cpuAt.get("gen_start");
        Long ge = run.cpuAt.get("gen_end");
        if (ls != null && gs != null && ls >= 0 && gs >= 0) {
            m.put("load_cpu_s", Worker.fmt((gs - ls) / 100.0)); // USER_HZ is 100 on Linux
        }
        if (gs != null && ge != null && gs >= 0 && ge >= 0) {
            m.put("gen_cpu_s", Worker.fmt((ge - gs) / 100.0));
        }
        m.put("vmhwm_kb", String.valueOf(run.hwmAtGenEnd));
        for (String span : List.of("sampling", "decode")) {
            Long a = run.cpuAt.get(span + "_start");
            Long b = run.cpuAt.get(span + "_end");
            if (a != null && b != null && a >= 0 && b >= 0) {
                m.put(span + "_cpu_s", Worker.fmt((b - a) / 100.0));
            }
        }
        m.put("rss_kb", String.valueOf(run.maxRssKb));
        m.put("wall_s", Worker.fmt(run.wallSeconds));
        m.put("cpu_s", Worker.fmt(run.cpuSeconds));
        if (!m.containsKey("gen_native_s")) {
            throw new IllegalStateException("sd-cli printed no 'generate_image completed' line:\n" + run.tail());
        }
        Records.append(data, m);
    }

    void diffusers(Job j, int round) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(venvPython.toString(),
                project.resolve("bench/diffusers_bench.py").toString(),
                "--model", j.model.toString(), "--size", String.valueOf(j.size), "--steps", String.valueOf(j.steps),
                "--threads", String.valueOf(j.threads), "--prompt", PROMPT, "--sdcpp", sdcppSource().toString(),
                "--work", work.resolve("diffusers").toString()));
        Run run = exec(cmd, "py   " + j.sec + "/" + j.cfg + " " + j.size + "px r" + round);
        Map<String, String> m = j.base("diffusers", round);
        m.put("gen", "0");
        boolean found = false;
        for (Run.Line l : run.lines) {
            if (l.text().startsWith("RESULT ")) {
                for (String kv : l.text().substring(7).split(" ")) {
                    int eq = kv.indexOf('=');
                    m.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                found = true;
            }
        }
        m.put("loadavg", loadAvg());
        m.put("rss_kb", String.valueOf(run.maxRssKb));
        m.put("wall_s", Worker.fmt(run.wallSeconds));
        m.put("cpu_s", Worker.fmt(run.cpuSeconds));
        if (!found) {
            Map<String, String> note = new LinkedHashMap<>();
            note.put("kind", "note");
            note.put("sec", j.sec);
            note.put("text", "diffusers failed (exit " + run.exit + "): "
                    + run.tail().lines().reduce((a, b) -> b).orElse("").replace('\t', ' '));
            Records.append(data, note);
            return;
        }
        Records.append(data, m);
    }

    /** The output of one process, each line with the time it arrived, plus its peak RSS. */
    static final class Run {
        record Line(long nanos, String text) {
        }

        final List<Line> lines = new ArrayList<>();
        long maxRssKb = -1;
        double wallSeconds;
        double cpuSeconds = Double.NaN;
        /** CPU ticks (user + system) of the measured process when each marker line arrived. */
        final Map<String, Long> cpuAt = new LinkedHashMap<>();
        /** VmHWM of the measured process when sd.cpp's generation ended (KiB), a check on /usr/bin/time. */
        long hwmAtGenEnd = -1;
        int exit;

        String tail() {
            int from = Math.max(0, lines.size() - 40);
            StringBuilder s = new StringBuilder();
            for (Line l : lines.subList(from, lines.size())) {
                s.append(l.text()).append('\n');
            }
            return s.toString();
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong EXEC_IDS = new java.util.concurrent.atomic.AtomicLong();

    /** sd.cpp lines at which the CLI process's CPU time is read (its load and generation spans). */
    static final Map<String, java.util.regex.Pattern> CPU_MARKS = Map.of(
            "load_start", java.util.regex.Pattern.compile("loading model from"),
            "gen_start", java.util.regex.Pattern.compile("generate_image \\d+x\\d+"),
            "gen_end", java.util.regex.Pattern.compile("generate_image completed in"),
            "sampling_start", LogParse.SAMPLING_START,
            "sampling_end", java.util.regex.Pattern.compile("sampling completed, taking"),
            "decode_start", LogParse.DECODE_START,
            "decode_end", java.util.regex.Pattern.compile("decode_first_stage completed, taking"));

    private static ProcessHandle innermost(Process p) {
        ProcessHandle h = p.toHandle();
        while (true) {
            var kids = h.children().toList();
            if (kids.isEmpty()) {
                return h;
            }
            h = kids.getFirst();
        }
    }

    private static long vmHwm(Process p) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + innermost(p).pid() + "/status"))) {
                if (l.startsWith("VmHWM:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** utime + stime of the innermost descendant of {@code p} (sd-cli under time and stdbuf), in ticks. */
    private static long cpuTicks(Process p) {
        ProcessHandle h = p.toHandle();
        while (true) {
            var kids = h.children().toList();
            if (kids.isEmpty()) {
                break;
            }
            h = kids.getFirst();
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + h.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of stat
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Runs {@code cmd} under {@code /usr/bin/time} (peak RSS of the process, the same measure for
     * every side); stdout and stderr merged, each line timestamped on arrival.
     */
    Run exec(List<String> cmd, String label) throws IOException, InterruptedException {
        return exec(cmd, label, Map.of());
    }

    /** {@link #exec(List, String)} with extra environment variables. */
    Run exec(List<String> cmd, String label, Map<String, String> env) throws IOException, InterruptedException {
        Files.createDirectories(work);
        Path rssFile = work.resolve("time-" + ProcessHandle.current().pid() + "-" + EXEC_IDS.incrementAndGet() + ".out");
        Files.deleteIfExists(rssFile);
        List<String> full = new ArrayList<>();
        boolean timed = Files.isExecutable(Path.of("/usr/bin/time"));
        if (timed) {
            full.addAll(List.of("/usr/bin/time", "-f", "%M %U %S", "-o", rssFile.toString()));
        }
        full.addAll(cmd);
        Run run = new Run();
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                // sd-cli's progress bar rewrites one line with \r: keep the last state only.
                int cr = line.lastIndexOf('\r');
                String text = cr >= 0 ? line.substring(cr + 1) : line;
                run.lines.add(new Run.Line(System.nanoTime(), text));
                for (var e : CPU_MARKS.entrySet()) {
                    if (e.getValue().matcher(text).find() && !run.cpuAt.containsKey(e.getKey())) {
                        run.cpuAt.put(e.getKey(), cpuTicks(p));
                        if (e.getKey().equals("gen_end")) {
                            run.hwmAtGenEnd = vmHwm(p);
                        }
                    }
                }
            }
        }
        if (!p.waitFor(3600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + full);
        }
        run.exit = p.exitValue();
        run.wallSeconds = (System.nanoTime() - t0) / 1e9;
        if (timed && Files.isRegularFile(rssFile)) {
            for (String l : Files.readAllLines(rssFile)) {
                if (l.matches("\\d+ [0-9.]+ [0-9.]+")) {
                    String[] f = l.split(" ");
                    run.maxRssKb = Long.parseLong(f[0]);
                    run.cpuSeconds = Double.parseDouble(f[1]) + Double.parseDouble(f[2]);
                }
            }
        }
        log(String.format(Locale.ROOT, "%-45s %7.1f s  peak RSS %6d MB  exit %d  (loadavg %s)", label,
                run.wallSeconds, run.maxRssKb / 1024, run.exit, loadAvg()));
        if (run.exit != 0 && !cmd.getFirst().equals(venvPython.toString())) {
            throw new IllegalStateException("exit " + run.exit + ": " + String.join(" ", cmd) + "\n" + run.tail());
        }
        return run;
    }

    // ---------------------------------------------------------------- models and environment

    Path sd1() throws IOException {
        if (sd1 == null) {
            sd1 = SyntheticModel.cached(Architecture.SD1, Precision.F16, SyntheticModel.DEFAULT_SEED);
        }
        return sd1;
    }

    Path taesd() throws IOException {
        if (taesd == null) {
            taesd = SyntheticModel.cached(Architecture.TAESD, Precision.F16, SyntheticModel.DEFAULT_SEED);
        }
        return taesd;
    }

    /** The SD1 model converted to GGUF (cached next to it, the same file name the API tests use). */
    Path gguf(WeightType type) throws IOException {
        Path src = sd1();
        Path out = src.resolveSibling(src.getFileName().toString().replace(".safetensors", "") + "-" + type.sdName() + ".gguf");
        if (!Files.isRegularFile(out)) {
            Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid() + ".gguf");
            StableDiffusion.convert(src, null, tmp, type, null);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        return out;
    }

    /** sd.cpp's source tree the native build used (diffusers' tokenizer is made from its CLIP merges). */
    Path sdcppSource() throws IOException {
        Path src = nativeDir.resolve("sdcpp-src");
        if (Files.isDirectory(src)) {
            try (var s = Files.walk(src, 4)) {
                var hit = s.filter(p -> Files.isRegularFile(p.resolve("include/stable-diffusion.h"))).findFirst();
                if (hit.isPresent()) {
                    return hit.get();
                }
            }
        }
        String explicit = System.getProperty("sd.cpp.source", "");
        if (!explicit.isEmpty()) {
            return Path.of(explicit);
        }
        throw new IllegalStateException("no sd.cpp source tree under " + src);
    }

    void meta() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("kind", "meta");
        m.put("date", LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
        m.put("cpu", cpuModel());
        m.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        m.put("lscpu", lscpu());
        m.put("mem_gib", memGib());
        m.put("jdk", Runtime.version().toString() + " " + System.getProperty("java.vm.vendor", ""));
        m.put("sdcpp", StableDiffusion.version() + " " + StableDiffusion.commit());
        m.put("system_info", StableDiffusion.systemInfo().replaceAll("\\s+", " ").trim());
        m.put("loadavg", loadAvg());
        Records.append(data, m);
    }

    static String loadAvg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + "/" + f[1] + "/" + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    /** The lscpu lines that say what a core is: threads per core, cores, caches. */
    private static String lscpu() {
        try {
            Process p = new ProcessBuilder("lscpu").redirectErrorStream(true).start();
            List<String> keep = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    if (l.matches("^(Thread\\(s\\) per core|Core\\(s\\) per socket|Socket\\(s\\)|L1d cache|L2 cache|L3 cache|Hypervisor vendor|Virtualization type):.*")) {
                        keep.add(l.replaceAll("\\s+", " ").trim());
                    }
                }
            }
            p.waitFor(10, TimeUnit.SECONDS);
            return String.join("; ", keep);
        } catch (IOException e) {
            return "lscpu not available";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    private static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return System.getProperty("os.arch");
    }

    private static String memGib() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    return String.format(Locale.ROOT, "%.1f", Long.parseLong(l.replaceAll("[^0-9]", "")) / 1048576.0);
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "?";
    }

    static void log(String s) {
        System.err.println("[" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")) + "] " + s);
    }

    /** The data file: one record per line, tab-separated key=value (values never hold tabs or newlines). */
    static final class Records {
        private Records() {
        }

        static void append(Path file, Map<String, String> m) {
            StringBuilder s = new StringBuilder();
            m.forEach((k, v) -> {
                if (!s.isEmpty()) {
                    s.append('\t');
                }
                s.append(k).append('=').append(v.replace('\t', ' ').replace('\n', ' '));
            });
            s.append('\n');
            try {
                Files.writeString(file, s, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        static List<Map<String, String>> read(Path file) throws IOException {
            List<Map<String, String>> out = new ArrayList<>();
            if (!Files.isRegularFile(file)) {
                return out;
            }
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, String> m = new LinkedHashMap<>();
                for (String kv : line.split("\t")) {
                    int eq = kv.indexOf('=');
                    if (eq > 0) {
                        m.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                }
                out.add(m);
            }
            return out;
        }
    }
}
