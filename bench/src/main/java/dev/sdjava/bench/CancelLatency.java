package dev.sdjava.bench;

import dev.sdjava.GenerationRequest;
import dev.sdjava.ModelConfig;
import dev.sdjava.StableDiffusion;
import dev.sdjava.synthetic.Architecture;
import dev.sdjava.synthetic.Precision;
import dev.sdjava.synthetic.SyntheticModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Cancel latency (issue 12): how long {@link StableDiffusion#cancel()} takes to end a running
 * generation, at random points of a whole generation (text encoding, sampling, VAE decode).
 *
 * <p>One warm-up generation, timed, gives the length {@code T} of a whole run; then each of
 * {@code n} generations is cancelled at a uniformly random moment in {@code [from*T, T)} (seeded, so a
 * rerun draws the same points; {@code from=0.6} aims at the VAE decode of a 1-step run), and the
 * time from {@code cancel()} to {@code generate}'s {@link CancellationException} is recorded with
 * the stage sd.cpp was in (from its log lines). A generation that finished before its cancel is
 * listed as "finished" and left out of the figures.
 * A run stops drawing new points once {@code budget} seconds have passed and reports how many it
 * made. Prints one line per cancel, then the median and maximum, overall and per stage.
 *
 * <pre>
 * bench/cancel-latency.sh [key=value ...]   size=512 steps=1 n=20 threads=2 budget=600 seed=1 from=0 model=(synthetic SD1 f16)
 * </pre>
 * Not a timed test: the figures depend on the machine and its load (README, "Cancelling").
 */
public final class CancelLatency {
    /** Strong reference: JUL keeps loggers weakly. */
    private static final Logger NATIVE = Logger.getLogger("dev.sdjava.native");
    private static volatile String stage = "waiting";

    private CancelLatency() {
    }

    record Sample(double atS, String stage, double latencyMs) {
    }

    public static void main(String[] args) throws Exception {
        java.util.Map<String, String> a = new java.util.HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        int size = Integer.parseInt(a.getOrDefault("size", "512"));
        int steps = Integer.parseInt(a.getOrDefault("steps", "1"));
        int n = Integer.parseInt(a.getOrDefault("n", "20"));
        int threads = Integer.parseInt(a.getOrDefault("threads", "2"));
        double budget = Double.parseDouble(a.getOrDefault("budget", "600"));
        double from = Double.parseDouble(a.getOrDefault("from", "0"));
        Random random = new Random(Long.parseLong(a.getOrDefault("seed", "1")));
        Path model = a.containsKey("model") ? Path.of(a.get("model"))
                : SyntheticModel.cached(Architecture.SD1, Precision.F16, 42);

        NATIVE.setLevel(Level.ALL);
        NATIVE.setUseParentHandlers(false);
        NATIVE.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                String m = String.valueOf(r.getMessage());
                if (m.contains("generate_image ")) {
                    stage = "text encoding";
                } else if (m.contains("unet compute buffer size") || m.contains("generating image:")) {
                    stage = "sampling";
                } else if (m.contains("vae compute buffer size") || m.contains("decoding ")) {
                    stage = "vae decode";
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });

        GenerationRequest request = GenerationRequest.builder("a lighthouse at dusk").size(size, size).steps(steps).seed(42).build();
        long start = System.nanoTime();
        List<Sample> samples = new ArrayList<>();
        try (StableDiffusion sd = StableDiffusion.load(ModelConfig.builder().model(model).threads(threads).build())) {
            long w0 = System.nanoTime();
            sd.generate(request);
            double whole = (System.nanoTime() - w0) / 1e9;
            System.out.printf(Locale.ROOT, "backend %s, %dx%d, %d step(s), %d threads: a whole generation takes %.1f s%n",
                    StableDiffusion.backend(), size, size, steps, threads, whole);
            System.out.printf("%4s %8s %-14s %12s%n", "#", "at s", "stage", "latency ms");
            for (int i = 1; i <= n; i++) {
                double at = (from + random.nextDouble() * (1 - from)) * whole;
                if ((System.nanoTime() - start) / 1e9 + at + 5 > budget) {
                    System.out.printf("budget of %.0f s reached after %d cancels%n", budget, i - 1);
                    break;
                }
                stage = "waiting";
                CompletableFuture<?> f = sd.submit(request);
                Thread.sleep((long) (at * 1000));
                String where = stage;
                long t0 = System.nanoTime();
                sd.cancel();
                try {
                    f.get(600, TimeUnit.SECONDS);
                    where = "finished";
                } catch (CancellationException e) {
                    // what a cancelled submit() completes with (get() throws it as is)
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                samples.add(new Sample(at, where, ms));
                System.out.printf(Locale.ROOT, "%4d %8.2f %-14s %12.1f%n", i, at, where, ms);
            }
        }
        System.out.printf("%d of %d generations finished before their cancel (left out)%n",
                samples.stream().filter(x -> x.stage().equals("finished")).count(), samples.size());
        samples = samples.stream().filter(x -> !x.stage().equals("finished")).toList();
        report("all", samples);
        for (String s : List.of("text encoding", "sampling", "vae decode")) {
            report(s, samples.stream().filter(x -> x.stage().equals(s)).toList());
        }
        System.out.printf(Locale.ROOT, "bench time %.0f s%n", (System.nanoTime() - start) / 1e9);
    }

    private static void report(String what, List<Sample> samples) {
        if (samples.isEmpty()) {
            return;
        }
        double[] ms = samples.stream().mapToDouble(Sample::latencyMs).sorted().toArray();
        double median = ms.length % 2 == 1 ? ms[ms.length / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
        System.out.printf(Locale.ROOT, "RESULT stage=%s n=%d median_ms=%.1f max_ms=%.1f%n",
                what.replace(' ', '_'), ms.length, median, ms[ms.length - 1]);
    }
}
