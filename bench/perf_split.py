#!/usr/bin/env python3
"""Splits a `perf record -k CLOCK_MONOTONIC` profile of one sd-cli run into its sampling and VAE
decode phases and attributes each phase's samples to kernel categories (issue 17's profile).

    perf_split.py PERF_DATA STAMPED_LOG FREQ_HZ [LABEL]

STAMPED_LOG is sd-cli's output with each line prefixed by the CLOCK_MONOTONIC time it arrived
(bench/profile.sh writes both). The phases are cut at sd.cpp's own log lines; the categories are
chosen by symbol (see CATEGORIES). Prints one TSV row per phase and category:
label, phase, phase wall s, category, samples, CPU s (samples / FREQ_HZ), share of the phase.
"""
import re
import subprocess
import sys

# First match wins. The f32 x f32 matrix products of an SD1 UNet are the attention's QK^T and
# softmax(QK^T)V (every weight is f16, so every other product has an f16 operand):
# ggml_vec_dot_f32 in a default build, tinyBLAS<..., float, float, float> with LLAMAFILE, and
# patch 0005's sdj_smallk_f32 for k^T q; patch 0006's sdj_f16 takes most f16 products.
CATEGORIES = [
    ("flash attention", re.compile(r"flash_attn")),
    ("attention softmax", re.compile(r"soft_max")),
    ("attention QK^T / V matmuls (f32 x f32)", re.compile(r"ggml_vec_dot_f32\b|tinyBLAS<[^>]*float, float, float>|sdj_smallk_f32")),
    ("im2col", re.compile(r"im2col")),
    ("conv/linear matmuls (f16 weights)", re.compile(r"ggml_vec_dot_f16|tinyBLAS|sdj_f16|ggml_compute_forward_mul_mat|sgemm")),
    ("f16<->f32 conversions", re.compile(r"fp32_to_fp16|fp16_to_fp32|ggml_compute_forward_dup|ggml_compute_forward_cpy|from_float|to_float")),
    ("group norm", re.compile(r"group_norm")),
    ("OpenMP / barrier wait", re.compile(r"libgomp|ggml_barrier|gomp")),
    ("kernel", re.compile(r"kernel\.kallsyms|\[kernel")),
]


def category(dso, sym):
    key = sym + " " + dso
    for name, rx in CATEGORIES:
        if rx.search(key):
            return name
    return "the rest"


def main():
    data, log, freq = sys.argv[1], sys.argv[2], float(sys.argv[3])
    label = sys.argv[4] if len(sys.argv) > 4 else data
    marks = {}
    pats = {"s0": r"generating image: ", "s1": r"sampling completed, taking",
            "d0": r"decoding \d+ latents", "d1": r"decode_first_stage completed, taking"}
    for line in open(log, encoding="utf-8", errors="replace"):
        t, _, text = line.partition(" ")
        for k, p in pats.items():
            if k not in marks and re.search(p, text):
                marks[k] = float(t)
    missing = [k for k in pats if k not in marks]
    if missing:
        sys.exit("the log lacks the phase lines %s" % missing)
    phases = {"sampling": (marks["s0"], marks["s1"]), "vae decode": (marks["d0"], marks["d1"])}
    counts = {p: {} for p in phases}
    out = subprocess.run(["perf", "script", "-i", data, "-F", "time,ip,sym,dso", "--ns"],
                         capture_output=True, text=True, errors="replace").stdout
    for line in out.splitlines():
        m = re.match(r"\s*(\d+\.\d+):\s*(.*)$", line)
        if not m:
            continue
        t = float(m.group(1))
        rest = m.group(2).strip()
        dm = re.search(r"\(([^()]*)\)\s*$", rest)
        dso = dm.group(1) if dm else ""
        sym = rest[:dm.start()] if dm else rest
        sym = re.sub(r"^[0-9a-f]+\s+", "", sym).strip()
        for p, (a, b) in phases.items():
            if a <= t <= b:
                c = category(dso, sym)
                counts[p][c] = counts[p].get(c, 0) + 1
    for p, (a, b) in phases.items():
        total = sum(counts[p].values()) or 1
        for c, _ in CATEGORIES + [("the rest", None)]:
            n = counts[p].get(c, 0)
            print("\t".join([label, p, "%.2f" % (b - a), c, str(n), "%.2f" % (n / freq), "%.1f" % (100.0 * n / total)]))


if __name__ == "__main__":
    main()
