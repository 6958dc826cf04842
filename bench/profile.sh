#!/usr/bin/env bash
# issue 17's profile of one 512x512 step: sd-cli of a build under `perf record`, the output
# timestamped (CLOCK_MONOTONIC, as perf's samples) so bench/perf_split.py can cut the sampling
# and decode phases and attribute each to kernel categories.
#
#   bench/profile.sh LABEL BIN_DIR [extra sd-cli flags]   ->  target/bench/profile/LABEL.{data,log,tsv}
#
# e.g. bench/profile.sh default /work/builds/default/bin ; bench/profile.sh tuned target/native/cpu/bin
# Needs perf (root or perf_event_paranoid <= 1). Run it under flock /tmp/sdjava-build.lock.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
label="$1"; bin="$(cd "$2" && pwd)"; shift 2
freq="${PERF_FREQ:-499}"
model="${MODEL:-$HOME/.cache/sdjava/models/sd1-f16-s42-g1.safetensors}"
out="$here/target/bench/profile"; mkdir -p "$out"
echo "loadavg before: $(cat /proc/loadavg)" > "$out/$label.load"
LD_LIBRARY_PATH="$bin" perf record -q -k CLOCK_MONOTONIC -F "$freq" -o "$out/$label.data" -- \
  stdbuf -oL "$bin/sd-cli" -m "$model" -p "a lighthouse at dusk, oil painting" -W "${SIZE:-512}" -H "${SIZE:-512}" --steps 1 \
  --sampling-method euler --cfg-scale 7 -s 42 -t 2 -v -o "$out/$label.png" "$@" 2>&1 \
  | python3 -u -c 'import sys,time
for l in sys.stdin: sys.stdout.write("%.6f %s" % (time.clock_gettime(time.CLOCK_MONOTONIC), l.split("\r")[-1]))' > "$out/$label.log"
echo "loadavg after: $(cat /proc/loadavg)" >> "$out/$label.load"
python3 "$here/bench/perf_split.py" "$out/$label.data" "$out/$label.log" "$freq" "$label" | tee "$out/$label.tsv"
