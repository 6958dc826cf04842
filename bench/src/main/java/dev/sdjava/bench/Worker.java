package dev.sdjava.bench;

import dev.sdjava.GenerationRequest;
import dev.sdjava.ModelConfig;
import dev.sdjava.ProgressListener;
import dev.sdjava.SamplingMethod;
import dev.sdjava.StableDiffusion;
import dev.sdjava.VaeTiling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One Java side of a comparison, in a fresh JVM: loads a model through the public API (timed),
 * runs {@code images} generations on that one context (each timed), and prints one
 * {@code RESULT key=value ...} line per generation on stdout.
 *
 * <p>sd.cpp's own log lines (the same ones upstream's CLI prints) are captured with a timestamp
 * through the {@code dev.sdjava.native} logger, so both sides are measured by the same lines:
 * "generate_image completed in", "sampling completed, taking", "decode_first_stage completed".
 *
 * <p>Arguments are {@code key=value}: model, w, h, steps, threads, images, listener
 * (none|on|alternate|reuse), mmap, fa, tiling, convdirect, oneshot (booleans), taesd (a path), seed, prompt.
 */
public final class Worker {
    /** Strong reference: JUL keeps loggers weakly, and a collected logger would lose our level. */
    private static final Logger NATIVE = Logger.getLogger("dev.sdjava.native");
    private static final List<LogLine> LINES = new ArrayList<>();

    /** One sd.cpp log line: when it arrived, its text, and this process's CPU time then (ns, -1 unknown). */
    record LogLine(long nanos, String text, long cpu) {
        LogLine(long nanos, String text) {
            this(nanos, text, -1);
        }
    }

    private Worker() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("arguments are key=value, got " + arg);
            }
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        capture();
        if (bool(a, "prepare")) {
            // An application that prepares the binding at start-up, then does a second of its own
            // start-up work before its first load.
            StableDiffusion.prepareInBackground();
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Path model = Path.of(req(a, "model"));
        int w = Integer.parseInt(a.getOrDefault("w", "256"));
        int h = Integer.parseInt(a.getOrDefault("h", String.valueOf(w)));
        int steps = Integer.parseInt(a.getOrDefault("steps", "2"));
        int threads = Integer.parseInt(a.getOrDefault("threads", "2"));
        int images = Integer.parseInt(a.getOrDefault("images", "1"));
        String listenerMode = a.getOrDefault("listener", "none");
        long seed = Long.parseLong(a.getOrDefault("seed", "42"));
        String prompt = a.getOrDefault("prompt", Compare.PROMPT);

        ModelConfig.Builder cb = ModelConfig.builder().model(model).threads(threads)
                .mmap(bool(a, "mmap")).flashAttention(bool(a, "fa"))
                .diffusionConvDirect(bool(a, "convdirect")).vaeConvDirect(bool(a, "convdirect"));
        if (bool(a, "oneshot")) {
            // What sd-cli does for a txt2img job: VAE decoder only, and each model's weights freed as
            // soon as its stage is done (so the UNet's are gone before the VAE decodes). A context
            // loaded like this makes one image; the API's defaults keep everything for reuse.
            cb.vaeDecodeOnly(true).freeParamsImmediately(true);
        }
        if (a.containsKey("taesd")) {
            cb.taesd(Path.of(a.get("taesd")));
        }
        ModelConfig config = cb.build();

        long t0 = System.nanoTime();
        long c0 = cpuNanos();
        int loadFrom = LINES.size();
        StableDiffusion sd = StableDiffusion.load(config);
        double loadWall = (System.nanoTime() - t0) / 1e9;
        double loadCpu = (cpuNanos() - c0) / 1e9;
        List<LogLine> loadLines = slice(loadFrom, LINES.size());
        Map<String, String> reload = new LinkedHashMap<>();
        if (bool(a, "reload")) {
            // The same load again in this JVM, now warm: what a service pays for its next model.
            sd.close();
            long r0 = System.nanoTime();
            long rc0 = cpuNanos();
            int reloadFrom = LINES.size();
            sd = StableDiffusion.load(config);
            reload.put("reload_wall_s", fmt((System.nanoTime() - r0) / 1e9));
            reload.put("reload_cpu_s", fmt((cpuNanos() - rc0) / 1e9));
            Map<String, String> span = new LinkedHashMap<>();
            LogParse.load(slice(reloadFrom, LINES.size()), span);
            if (span.containsKey("load_log_s")) {
                reload.put("reload_log_s", span.get("load_log_s"));
            }
        }

        ProgressListener listener = new ProgressListener() {
            volatile double last;

            @Override
            public void onProgress(int step, int total, double secondsPerStep) {
                last = secondsPerStep;
            }
        };
        GenerationRequest.Builder rb = GenerationRequest.builder(prompt).size(w, h).steps(steps)
                .samplingMethod(SamplingMethod.EULER).seed(seed);
        if (bool(a, "tiling")) {
            rb.vaeTiling(new VaeTiling(32, 32, 0.5f, 0f, 0f));
        }
        GenerationRequest plain = rb.build();
        GenerationRequest withListener = rb.progress(listener).build();

        for (int i = 0; i < images; i++) {
            boolean useListener = switch (listenerMode) {
                case "on" -> true;
                case "alternate" -> i % 2 == 1;
                // 10 images without a listener (1st vs 10th), then pairs without / with one.
                case "reuse" -> i >= 10 && i % 2 == 1;
                default -> false;
            };
            int from = LINES.size();
            long jit0 = jitMillis();
            long gc0 = gcMillis();
            long gc0cpu = cpuNanos();
            long g0 = System.nanoTime();
            var out = sd.generate(useListener ? withListener : plain);
            long g1 = System.nanoTime();
            double genCpu = (cpuNanos() - gc0cpu) / 1e9;
            double genWall = (g1 - g0) / 1e9;
            List<LogLine> genLines = slice(from, LINES.size());
            if (out.size() != 1 || out.getFirst().width() != w) {
                throw new IllegalStateException("unexpected result " + out);
            }
            Map<String, String> r = new LinkedHashMap<>();
            r.put("gen", String.valueOf(i));
            r.put("listener", useListener ? "1" : "0");
            r.put("load_wall_s", fmt(loadWall));
            LogParse.load(loadLines, r);
            r.put("gen_wall_s", fmt(genWall));
            // CPU time of the whole process (all threads): on a loaded machine, the work done,
            // where wall time is mostly waiting for a core.
            r.put("load_cpu_s", fmt(loadCpu));
            r.putAll(reload);
            r.put("gen_cpu_s", fmt(genCpu));
            LogParse.generation(genLines, r);
            // Where the Java-side time goes: before sd.cpp's first line of generate_image (request
            // validation, structs) and after its last one (copy-out, free, result objects).
            if (!genLines.isEmpty()) {
                r.put("pre_ms", fmt((genLines.getFirst().nanos() - g0) / 1e6));
                r.put("post_ms", fmt((g1 - genLines.getLast().nanos()) / 1e6));
            }
            // The JVM's own work during the generation: JIT compilation and GC time (milliseconds,
            // summed over their threads), which competes with sd.cpp's threads for the cores.
            r.put("jit_ms", String.valueOf(jitMillis() - jit0));
            r.put("gc_ms", String.valueOf(gcMillis() - gc0));
            if (i == images - 1) {
                r.put("vmhwm_kb", String.valueOf(vmHwmKb()));
            }
            StringBuilder line = new StringBuilder("RESULT");
            r.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
            System.out.println(line);
            System.out.flush();
        }
        sd.close();
    }

    private static void capture() {
        NATIVE.setUseParentHandlers(false);
        NATIVE.setLevel(Level.ALL);
        NATIVE.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                long now = System.nanoTime();
                long cpu = cpuNanos();
                synchronized (LINES) {
                    LINES.add(new LogLine(now, record.getMessage(), cpu));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    private static List<LogLine> slice(int from, int to) {
        synchronized (LINES) {
            return List.copyOf(LINES.subList(from, to));
        }
    }

    private static String req(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing argument " + key + "=...");
        }
        return v;
    }

    private static boolean bool(Map<String, String> a, String key) {
        return Boolean.parseBoolean(a.getOrDefault(key, "false"));
    }

    static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.4f", v);
    }

    private static long cpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean s ? s.getProcessCpuTime() : -1;
    }

    private static long jitMillis() {
        var c = java.lang.management.ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : -1;
    }

    private static long gcMillis() {
        long t = 0;
        for (var g : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, g.getCollectionTime());
        }
        return t;
    }

    /** This process's peak resident set (VmHWM), in KiB; -1 off Linux. */
    static long vmHwmKb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
