#!/bin/bash
# The memory-budget table of docs/PERFORMANCE.md ("Memory budget"): sdj generate at 512x512, 1 Euler
# step and the full decode, on the synthetic SD1 f16 checkpoint, without a budget and with
# --max-memory 3G, 2G and 1.5G (TAESD allowed), one run each (a peak RSS is not noisy), then the
# 1.5G refusal without TAESD and the peak of a q4_0 conversion (what a first run with a budget adds).
# Peak RSS: /usr/bin/time -f %M on the whole sdj process, JVM included. Run it under the machine's
# build lock on a shared machine:  flock /tmp/sdjava-build.lock bench/memory-budget.sh [OUT_DIR]
set -u
cd "$(dirname "$0")/.."
M=${SDJAVA_MODEL_CACHE:-$HOME/.cache/sdjava/models}
SD1=$M/sd1-f16-s42-g1.safetensors
TAESD=$M/taesd-f16-s42-g1.safetensors
O=${1:-target/bench/memory-budget}; mkdir -p "$O"
[ -f "$SD1" ] && [ -f "$TAESD" ] || { echo "missing $SD1 or $TAESD: run the api tests once (they write the synthetic models)"; exit 1; }
common=(generate -m "$SD1" -p "a fox" -W 512 -H 512 --steps 1 --sampling-method euler --cfg-scale 7 -s 42 -t 2)
run() {
  n=$1; shift
  echo "== $n $(date +%FT%T) loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f "%M KB %e s" -o "$O/$n.time" ./sdj "${common[@]}" -o "$O/$n.png" "$@" > "$O/$n.out" 2> "$O/$n.err"
  echo "rc=$? peak/wall: $(cat "$O/$n.time")"
  grep -h -e "--max-memory" -e "loaded in" -e "^sdj" "$O/$n.err"
}
run none
run b3g --max-memory 3G
run b2g --max-memory 2G
run b15g --max-memory 1.5G --max-memory-taesd "$TAESD"
run b15g-notaesd --max-memory 1.5G
echo "== convert q4_0 $(date +%FT%T)"
/usr/bin/time -f "%M KB %e s" -o "$O/convert.time" ./sdj convert -m "$SD1" --type q4_0 -o "$O/conv-q4_0.gguf" > "$O/convert.out" 2>&1
echo "rc=$? peak/wall: $(cat "$O/convert.time")"; rm -f "$O/conv-q4_0.gguf"
echo "== done $(date +%FT%T)"
