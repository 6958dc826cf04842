#!/usr/bin/env bash
# What a second worker adds (docs/SCALING.md): jobs/s of one `sdj serve --queue` front with
# 1 worker (1 thread), 2 workers (1 thread each) and 1 worker (2 threads), side by side: each
# round runs the three setups one after the other on a fresh redis-server (loopback, nothing
# persisted), JOBS jobs of 64x64 at STEPS steps each, submitted at once; medians over ROUNDS.
# Needs a built tree (./sdj) and redis-server. Usage: scripts/redis-throughput.sh [ROUNDS] [JOBS] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3} jobs=${2:-10} steps=${3:-4}
model=${SDJ_MODEL:-$HOME/.cache/sdjava/models/sd1-f16-s42-g1.safetensors}
[ -f "$model" ] || ./sdj test-model --arch sd1 -o "$model" >/dev/null
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_setup() { # $1 label, $2 workers, $3 threads per worker
  local rport hport q; rport=$(free_port); hport=$(free_port); q="redis://127.0.0.1:$rport/bench"
  redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 & local rpid=$!
  ./sdj serve -q --queue "$q" --port "$hport" >"$work/serve.log" 2>&1 & local spid=$!
  local wp=()
  for i in $(seq 1 "$2"); do ./sdj worker -q --queue "$q" -m "$model" -t "$3" --name "w$i" >"$work/w$i.log" 2>&1 & wp+=($!); done
  pids=("$rpid" "$spid" "${wp[@]}")
  python3 - "$hport" "$jobs" "$steps" "$1" "$2" "$rport" <<'PY'
import json, sys, time, urllib.request, subprocess
port, jobs, steps, label, workers, rport = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6]
base = f"http://127.0.0.1:{port}"
def call(path, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(), method="POST" if body is not None else "GET")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())
def ready():
    try:
        out = subprocess.run(["redis-cli", "-p", rport, "--scan", "--pattern", "bench:worker:*"], capture_output=True, text=True).stdout
        return len(out.split()) >= workers and call("/v1/models")["data"]
    except Exception:
        return False
end = time.time() + 120
while not ready():
    if time.time() > end: sys.exit("workers did not start")
    time.sleep(0.2)
def batch(n, seed0):
    ids = [call("/sdcpp/v1/img_gen", {"prompt": "bench", "width": 64, "height": 64, "seed": seed0 + i, "sample_params": {"sample_steps": steps}})["id"] for i in range(n)]
    for i in ids:
        while call("/sdcpp/v1/jobs/" + i)["status"] in ("queued", "generating"): time.sleep(0.05)
        assert call("/sdcpp/v1/jobs/" + i)["status"] == "completed"
batch(workers, 1)  # warm-up: every worker runs one job first
t = time.time(); batch(jobs, 1000); dt = time.time() - t
print(f"{label}\t{jobs / dt:.3f}")
PY
  for p in "${wp[@]}" "$spid"; do kill "$p"; done; wait "${wp[@]}" "$spid" 2>/dev/null || true
  kill "$rpid"; wait "$rpid" 2>/dev/null || true
}

results="$work/results.tsv"; : >"$results"
for r in $(seq 1 "$rounds"); do
  run_setup "1 worker, 1 thread" 1 1 | tee -a "$results"
  run_setup "2 workers, 1 thread each" 2 1 | tee -a "$results"
  run_setup "1 worker, 2 threads" 1 2 | tee -a "$results"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of $jobs jobs, 64x64, $steps steps"
python3 - "$results" <<'PY'
import sys, statistics, collections
d = collections.OrderedDict()
for line in open(sys.argv[1]):
    label, v = line.rstrip("\n").split("\t"); d.setdefault(label, []).append(float(v))
base = statistics.median(d["1 worker, 1 thread"])
for label, vs in d.items():
    m = statistics.median(vs)
    print(f"{label:28s} median {m:.3f} jobs/s  (x{m / base:.2f})  runs: {', '.join(f'{v:.3f}' for v in vs)}")
PY
