import dev.sdjava.GenerationRequest;
import dev.sdjava.ModelConfig;
import dev.sdjava.StableDiffusion;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Soak: N generations (64x64, 1 step) on one context, sampling the process RSS and the Java heap
 * (after a GC) every 10 generations. Prints one line per sample and the growth after warm-up.
 * Run through scripts/soak.sh.
 */
public class Soak {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        long baseRss = 0, baseHeap = 0, maxRss = 0, maxHeap = 0;
        long t0 = System.nanoTime();
        try (StableDiffusion sd = StableDiffusion.load(ModelConfig.builder().model(model).threads(threads).build())) {
            System.out.printf("%6s %10s %10s %8s%n", "gen", "RSS MiB", "heap MiB", "s");
            for (int i = 1; i <= n; i++) {
                sd.generate(GenerationRequest.builder("soak " + (i % 7)).size(64, 64).steps(1).seed(i).build());
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
