import dev.sdjava.GenerationRequest;
import dev.sdjava.ModelConfig;
import dev.sdjava.StableDiffusion;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Soak: N generations (64x64, 1 step) on one context, sampling the process RSS and the Java heap
 * (after a GC) every 10 generations. Prints one line per sample and the growth after warm-up.
 * Run through scripts/soak.sh. With a fifth argument {@code cancel}, each of the N is a
 * cancel/generate cycle: a 4-step generation cancelled at a random point (before it starts, at
 * one of its steps, or in its VAE decode), then a 1-step one, which must give the same pixels as
 * the context's first image.
 */
public class Soak {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        boolean cancel = args.length > 4 && args[4].equals("cancel");
        java.util.Random random = new java.util.Random(1);
        int cancelled = 0;
        dev.sdjava.SdImage first = null;
        long baseRss = 0, baseHeap = 0, maxRss = 0, maxHeap = 0;
        long t0 = System.nanoTime();
        try (StableDiffusion sd = StableDiffusion.load(ModelConfig.builder().model(model).threads(threads).build())) {
            System.out.printf("%6s %10s %10s %8s%n", "gen", "RSS MiB", "heap MiB", "s");
            for (int i = 1; i <= n; i++) {
                if (cancel) {
                    int at = random.nextInt(6); // 0: before the start, 1..4: at that step, 5: in the decode
                    var r = GenerationRequest.builder("soak cancel " + (i % 7)).size(64, 64).steps(4).seed(i)
                            .progress((step, steps, t) -> {
                                if (step == Math.min(at, 4) && at > 0) {
                                    sd.cancel();
                                }
                            }).build();
                    var f = sd.submit(r);
                    if (at == 0) {
                        f.cancel(true);
                    }
                    try {
                        f.join();
                    } catch (java.util.concurrent.CancellationException | java.util.concurrent.CompletionException e) {
                        cancelled++;
                    }
                    var img = sd.generate(GenerationRequest.builder("soak").size(64, 64).steps(1).seed(7).build()).getFirst().image();
                    if (first == null) {
                        first = img;
                    } else if (!first.equals(img)) {
                        System.out.println("FAIL: generation " + i + " after a cancel differs from the first image");
                        System.exit(1);
                    }
                } else {
                    sd.generate(GenerationRequest.builder("soak " + (i % 7)).size(64, 64).steps(1).seed(i).build());
                }
                if (i % 10 == 0 || i == warmup) {
                    System.gc();
                    long rss = rssKiB() / 1024;
                    long heap = (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20;
                    System.out.printf("%6d %10d %10d %8.0f%n", i, rss, heap, (System.nanoTime() - t0) / 1e9);
                    if (i == warmup) {
                        baseRss = rss;
                        baseHeap = heap;
                    } else if (i > warmup) {
                        maxRss = Math.max(maxRss, rss);
                        maxHeap = Math.max(maxHeap, heap);
                    }
                }
            }
        }
        if (cancel) {
            System.out.printf("%d cycles, %d generations cancelled; every image after a cancel equals the first%n", n, cancelled);
        }
        System.out.printf("after warm-up (%d generations): RSS %d MiB -> max %d MiB (growth %d MiB), heap %d MiB -> max %d MiB (growth %d MiB)%n",
                warmup, baseRss, maxRss, maxRss - baseRss, baseHeap, maxHeap, maxHeap - baseHeap);
        if (maxRss - baseRss >= 50) {
            System.out.println("FAIL: RSS grew by 50 MiB or more");
            System.exit(1);
        }
    }

    static long rssKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", ""));
            }
        }
        return -1;
    }
}
