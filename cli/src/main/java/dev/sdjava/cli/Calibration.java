package dev.sdjava.cli;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * A measured choice of flash attention for one machine and one model file, cached in
 * {@code ~/.cache/sdjava/calibration/<machine>-<model>.properties} (issue 17).
 *
 * <p>Flash attention makes a step faster on some CPUs and several times slower on others, so
 * sdj's own entry points ({@code generate}, {@code serve}, {@code worker}) do not assume either:
 * {@code sdj calibrate} times one sampling step with {@code --diffusion-fa} and one without and
 * writes this file; later runs read it and use the faster choice unless the user gave
 * {@code --fa}, {@code --diffusion-fa} or {@code --no-diffusion-fa}, or {@code --upstream-defaults}.
 * Without a file nothing changes: upstream's default (off).
 *
 * <p>{@code <machine>} is a hash of the CPU's model name and feature flags (what the kernels
 * ggml picks depend on); {@code <model>} is the model file's size and modification time, so a
 * replaced file is measured again. The directory is {@code sdjava.calibration.dir} when that
 * system property is set.
 *
 * @param diffusionFa  the choice: flash attention in the diffusion model
 * @param faStep       seconds of the step measured with flash attention
 * @param noFaStep     seconds of the step measured without
 * @param width        image width of the measurement
 * @param height       image height of the measurement
 * @param threads      threads of the measurement (0: sd.cpp's default)
 * @param model        the model file measured (for the reader; the file name is the key)
 * @param measured     when, ISO-8601
 */
record Calibration(boolean diffusionFa, double faStep, double noFaStep, int width, int height, int threads,
                   String model, String measured) {
    /** Flash attention is chosen when its step is at least this much faster (else upstream's default stays). */
    static final double MARGIN = 0.03;

    /** The choice these two step times make: flash attention only when it is faster by {@link #MARGIN}. */
    static boolean choose(double faStep, double noFaStep) {
        return faStep < noFaStep * (1 - MARGIN);
    }

    /** The folder of the calibration files. */
    static Path dir() {
        String p = System.getProperty("sdjava.calibration.dir");
        return p != null && !p.isBlank() ? Path.of(p)
                : Path.of(System.getProperty("user.home"), ".cache", "sdjava", "calibration");
    }

    /** The calibration file of {@code model} on this machine, whether or not it exists. */
    static Path file(Path model) {
        return dir().resolve(machineKey(cpuInfo()) + "-" + modelKey(model) + ".properties");
    }

    /**
     * 12 hex digits of SHA-256 over the first processor's {@code model name} and
     * {@code flags} lines of {@code cpuinfo} (other lines, such as the clock, change at run time).
     */
    static String machineKey(String cpuinfo) {
        String name = "";
        String flags = "";
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (key.equals("model name") && name.isEmpty()) {
                name = value;
            } else if ((key.equals("flags") || key.equals("Features")) && flags.isEmpty()) {
                flags = value;
            }
        }
        return sha256(System.getProperty("os.arch") + "\n" + name + "\n" + flags).substring(0, 12);
    }

    /** {@code <size>-<mtime ms>} of the model file. */
    static String modelKey(Path model) {
        try {
            return Files.size(model) + "-" + Files.getLastModifiedTime(model).toMillis();
        } catch (IOException e) {
            throw new Failure(Failure.INPUT, "could not read " + model + ": " + e.getMessage(), e);
        }
    }

    /** This machine's {@code /proc/cpuinfo}, or the JVM's idea of the CPU where there is none. */
    static String cpuInfo() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException | UncheckedIOException e) {
            return "model name: " + System.getProperty("os.arch") + " " + Runtime.getRuntime().availableProcessors();
        }
    }

    /**
     * The calibration of {@code model}, if one was written; empty when there is none.
     *
     * @throws IllegalArgumentException when the file exists but is not a calibration file (the
     *                                  message names it and says to delete it or calibrate again)
     */
    static Optional<Calibration> read(Path model) {
        Path f = file(model);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            p.load(r);
            return Optional.of(new Calibration(bool(p, "diffusion_fa"), Double.parseDouble(value(p, "fa_step_s")),
                    Double.parseDouble(value(p, "no_fa_step_s")), Integer.parseInt(value(p, "width")),
                    Integer.parseInt(value(p, "height")), Integer.parseInt(value(p, "threads")),
                    p.getProperty("model", ""), p.getProperty("measured", "")));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("unreadable calibration file " + f + " (" + e.getMessage()
                    + "): delete it or run 'sdj calibrate' again", e);
        }
    }

    /** Writes this calibration as the file of {@code model} (atomically); returns the file. */
    Path write(Path model) throws IOException {
        Path f = file(model);
        Files.createDirectories(f.getParent());
        Properties p = new Properties();
        p.setProperty("diffusion_fa", String.valueOf(diffusionFa));
        p.setProperty("fa_step_s", String.format(Locale.ROOT, "%.3f", faStep));
        p.setProperty("no_fa_step_s", String.format(Locale.ROOT, "%.3f", noFaStep));
        p.setProperty("width", String.valueOf(width));
        p.setProperty("height", String.valueOf(height));
        p.setProperty("threads", String.valueOf(threads));
        p.setProperty("model", this.model);
        p.setProperty("measured", measured);
        StringWriter text = new StringWriter();
        p.store(text, "sdj calibrate: one sampling step with and without flash attention in the diffusion model");
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.writeString(tmp, text.toString(), StandardCharsets.UTF_8);
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return f;
    }

    /** One line for the log: the choice and why. */
    String describe() {
        return String.format(Locale.ROOT, "flash attention in the diffusion model %s: measured %.2f s/step with it, %.2f s without (%dx%d, %s threads, %s)",
                diffusionFa ? "on" : "off", faStep, noFaStep, width, height, threads > 0 ? threads : "default", measured);
    }

    private static String value(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("no " + key);
        }
        return v.trim();
    }

    private static boolean bool(Properties p, String key) {
        String v = value(p, key);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(key + " is '" + v + "', not true or false");
        }
        return Boolean.parseBoolean(v);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
