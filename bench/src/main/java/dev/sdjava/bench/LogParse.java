package dev.sdjava.bench;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads sd.cpp's own timing lines, which both upstream's CLI (on stdout) and sdjava (through its
 * logger) receive verbatim, so both sides are measured by the same clock and the same code.
 */
final class LogParse {
    private static final Pattern GENERATE = Pattern.compile("generate_image completed in ([0-9.]+)s");
    private static final Pattern SAMPLING = Pattern.compile("sampling completed, taking ([0-9.]+)s");
    private static final Pattern DECODE = Pattern.compile("decode_first_stage completed, taking ([0-9.]+)s");
    private static final Pattern COND = Pattern.compile("get_learned_condition completed, taking ([0-9.]+)s");
    private static final Pattern TENSORS = Pattern.compile("loading tensors completed, taking ([0-9.]+)s");
    private static final Pattern LOAD_START = Pattern.compile("loading model from");
    private static final Pattern GEN_START = Pattern.compile("generate_image \\d+x\\d+");

    private LogParse() {
    }

    /** Load metrics from the lines of one new_sd_ctx: tensors_s and load_log_s (first line to last). */
    static void load(List<Worker.LogLine> lines, Map<String, String> out) {
        find(lines, TENSORS, "tensors_s", out);
        Long start = firstTime(lines, LOAD_START);
        if (start != null && !lines.isEmpty()) {
            out.put("load_log_s", Worker.fmt((lines.getLast().nanos() - start) / 1e9));
        }
    }

    /**
     * Upstream's CLI: the load window runs from "loading model from" to "generate_image WxH" (its
     * next line after new_sd_ctx returns), the same span as {@link #load} sees on the Java side.
     */
    static void cliLoad(List<Worker.LogLine> lines, Map<String, String> out) {
        find(lines, TENSORS, "tensors_s", out);
        Long start = firstTime(lines, LOAD_START);
        Long end = null;
        Long lastBefore = null;
        for (Worker.LogLine l : lines) {
            if (GEN_START.matcher(l.text()).find()) {
                end = l.nanos();
                break;
            }
            lastBefore = l.nanos();
        }
        if (start != null && lastBefore != null && end != null) {
            // The last line of new_sd_ctx, as on the Java side (the next line is already generation).
            out.put("load_log_s", Worker.fmt((lastBefore - start) / 1e9));
        }
    }

    static final Pattern SAMPLING_START = Pattern.compile("generating image: ");
    static final Pattern DECODE_START = Pattern.compile("decoding \\d+ latents");

    /** Generation metrics: gen_native_s, sampling_s, decode_s, cond_s; sampling_cpu_s, decode_cpu_s when lines carry CPU times. */
    static void generation(List<Worker.LogLine> lines, Map<String, String> out) {
        find(lines, GENERATE, "gen_native_s", out);
        find(lines, SAMPLING, "sampling_s", out);
        find(lines, DECODE, "decode_s", out);
        find(lines, COND, "cond_s", out);
        cpuSpan(lines, SAMPLING_START, SAMPLING, "sampling_cpu_s", out);
        cpuSpan(lines, DECODE_START, DECODE, "decode_cpu_s", out);
    }

    private static void cpuSpan(List<Worker.LogLine> lines, Pattern from, Pattern to, String key, Map<String, String> out) {
        Long a = null;
        for (Worker.LogLine l : lines) {
            if (a == null && from.matcher(l.text()).find() && l.cpu() >= 0) {
                a = l.cpu();
            } else if (a != null && to.matcher(l.text()).find() && l.cpu() >= 0) {
                out.put(key, Worker.fmt((l.cpu() - a) / 1e9));
                return;
            }
        }
    }

    private static void find(List<Worker.LogLine> lines, Pattern p, String key, Map<String, String> out) {
        for (Worker.LogLine l : lines) {
            Matcher m = p.matcher(l.text());
            if (m.find()) {
                out.put(key, m.group(1));
                return;
            }
        }
    }

    private static Long firstTime(List<Worker.LogLine> lines, Pattern p) {
        for (Worker.LogLine l : lines) {
            if (p.matcher(l.text()).find()) {
                return l.nanos();
            }
        }
        return null;
    }
}
