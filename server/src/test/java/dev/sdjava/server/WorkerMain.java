package dev.sdjava.server;

import dev.sdjava.ModelConfig;
import dev.sdjava.StableDiffusion;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A worker JVM for the Redis tests: what {@code sdj worker} does (the cli module depends on this
 * one, not the reverse). Args: queue URI, worker name, model file, threads, claim timeout in
 * seconds. Prints the worker's report lines on stdout, which the tests read.
 */
public final class WorkerMain {
    private WorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        StableDiffusion sd = StableDiffusion.load(ModelConfig.builder().model(Path.of(args[2])).threads(Integer.parseInt(args[3])).build());
        SdWorker w = SdWorker.builder(sd, args[0]).name(args[1]).claimTimeout(Duration.ofSeconds(Integer.parseInt(args[4])))
                .shutdownGrace(Duration.ofSeconds(5)).log(line -> {
                    synchronized (System.out) {
                        System.out.println(System.currentTimeMillis() + " " + line);
                        System.out.flush();
                    }
                }).build().start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            w.close();
            sd.close();
        }));
        System.out.println(System.currentTimeMillis() + " started " + w.name());
        System.out.flush();
        w.awaitShutdown();
    }
}
