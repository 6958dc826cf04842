#!/usr/bin/env bash
# The GPU check (issue 16): one run on a machine with an NVIDIA GPU, one report.
#
#   scripts/gpu-check.sh --pack DIR [--native BIN] [--vulkan BIN | --no-vulkan]   # here: make the bundle
#   scripts/gpu-check.sh [--dry-run] BUNDLE OUT                                   # there: run it
#   scripts/gpu-check.sh --dry-run                                                # here: pack a CPU bundle and run it
#
# The GPU machine has no JDK and no network, and what travels there is 64 MiB at most. --pack
# therefore assembles DIR (and DIR.tar.xz, the file to carry): a jlink'ed JDK 25 runtime (jre/),
# the jars sdj and the cancel benchmark need (lib/), ImageDiff.class (helper/), and one native
# build as main/ (bin/libstable-diffusion.so, bin/sd-cli, sdjava-native.properties; default
# target/native/cuda/bin; a single-architecture build such as 90-real: the five-architecture one
# does not fit) plus, if present, the Vulkan build as vulkan/ with this machine's libvulkan.so.1
# for a machine that lacks the loader.
#
# The run writes OUT/gpu-check.md (the report) and OUT/logs/; models and images go to a scratch
# directory (SDJ_GPU_CHECK_WORK, default a new one under /tmp). It loads the library through the
# Java API (sdj system-info), writes the synthetic SD1 and SDXL (Vega) models there (sdj
# test-model; a 2-3 GB model cannot be carried), generates SD1 512x512 and SDXL 1024x1024, 20
# steps, with sdj and with sd-cli on the same library (pixel parity, s/step, load time, peak VRAM
# from nvidia-smi polling, peak RSS, sdj/sd-cli time ratio), SD1 again on the Vulkan build on the
# same GPU, and cancel latency (dev.sdjava.bench.CancelLatency). A step that fails is reported and
# the next one runs; the exit status is 1 if any failed. Steps stop being started after
# SDJ_GPU_CHECK_BUDGET seconds (default 500; a step started late gets 60 s more), so the whole run stays under 10 minutes.
#
# --dry-run runs the same steps with small sizes (64x64, 2 steps) on the bundle's CPU build
# here, reusing ~/.cache/sdjava/models, so every step is known to work before GPU time is spent.
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
die() { echo "gpu-check: $*" >&2; exit 2; }

# ---------------------------------------------------------------- pack (here, with a JDK 25)
jdk25() {
  local j
  for j in "${JAVA_HOME:-}" /usr/lib/jvm/*25*; do
    [ -n "$j" ] && [ -x "$j/bin/jlink" ] && "$j/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])' && { echo "$j"; return; }
  done
  die "needs a JDK 25+ with jlink (set JAVA_HOME)"
}

# Copies one native build (its bin/ folder) into the bundle as $2/.
variant() {
  local bin="$1" dest="$2"
  [ -f "$bin/libstable-diffusion.so" ] && [ -x "$bin/sd-cli" ] || die "$bin has no libstable-diffusion.so and sd-cli"
  mkdir -p "$dest/bin"
  cp "$bin/libstable-diffusion.so" "$bin/sd-cli" "$dest/bin/"
  [ -f "$bin/../sdjava-native.properties" ] && cp "$bin/../sdjava-native.properties" "$dest/"
  return 0
}

pack() {
  local dir="" native="$here/target/native/cuda/bin" vulkan="$here/target/native/vulkan/bin"
  while [ $# -gt 0 ]; do
    case "$1" in
      --native) native="$2"; shift 2 ;;
      --vulkan) vulkan="$2"; shift 2 ;;
      --no-vulkan) vulkan=""; shift ;;
      -*) die "unknown option $1" ;;
      *) dir="$1"; shift ;;
    esac
  done
  [ -n "$dir" ] || die "--pack needs a directory"
  local cli="$here/cli/target"
  ls "$cli"/sdjava-cli-*.jar >/dev/null 2>&1 && ls "$here"/bench/target/sdjava-bench-*.jar >/dev/null 2>&1 \
    || die "build the jars first: mvn -DskipTests -pl cli,bench -am package"
  local jdk; jdk=$(jdk25)
  rm -rf "$dir" "$dir.tar.xz"
  mkdir -p "$dir/lib" "$dir/helper"
  # The modules sdj generate/test-model/system-info and CancelLatency use (jdeps); java.desktop for
  # ImageIO. Uncompressed (zip-0) because xz compresses the whole bundle far better (20 vs 34 MB).
  "$jdk/bin/jlink" --add-modules java.base,java.desktop,java.logging,java.management,jdk.management,jdk.unsupported \
    --strip-debug --no-header-files --no-man-pages --compress=zip-0 --output "$dir/jre" || die "jlink failed"
  strip --strip-unneeded "$dir/jre/lib/server/libjvm.so" 2>/dev/null || true
  # The server's jars (Jetty, Jackson, Jedis) are left out: no step serves.
  cp "$cli"/sdjava-cli-*[0-9T].jar "$cli"/lib/sdjava-*.jar "$cli"/lib/picocli-*.jar "$here"/bench/target/sdjava-bench-*[0-9T].jar "$dir/lib/"
  "$jdk/bin/javac" --release 25 -d "$dir/helper" "$here/scripts/ImageDiff.java" || die "javac ImageDiff failed"
  variant "$native" "$dir/main"
  if [ -n "$vulkan" ] && [ -f "$vulkan/libstable-diffusion.so" ]; then
    variant "$vulkan" "$dir/vulkan"
    local loader; loader=$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ {print $NF; exit}')
    if [ -n "$loader" ]; then mkdir -p "$dir/vulkan/loader"; cp -L "$loader" "$dir/vulkan/loader/libvulkan.so.1"; fi
  fi
  echo "gpu-check: bundle $dir: $(du -sh "$dir" | cut -f1) ($(grep -h '^backend=' "$dir"/*/sdjava-native.properties 2>/dev/null | tr '\n' ' '))"
  tar -C "$(dirname "$dir")" -cf - "$(basename "$dir")" | nice xz -T2 -9 > "$dir.tar.xz" || die "xz failed"
  local size; size=$(stat -c %s "$dir.tar.xz")
  echo "gpu-check: $dir.tar.xz: $((size / 1048576)) MiB ($size bytes)"
  [ "$size" -le $((64 * 1048576)) ] || echo "gpu-check: WARNING: over the 64 MiB a device run carries; try --no-vulkan or a single-architecture CUDA build" >&2
}

# ---------------------------------------------------------------- run (there, no JDK needed)
dry=0
case "${1:-}" in
  --pack) shift; pack "$@"; exit $? ;;
  --dry-run) dry=1; shift ;;
  -h|--help|"") sed -n '2,8p' "$0"; exit 0 ;;
esac
if [ "$dry" = 1 ] && [ $# -eq 0 ]; then
  pack "$here/target/gpu-check/bundle-cpu" --native "$here/target/native/cpu/bin" || exit 2
  set -- "$here/target/gpu-check/bundle-cpu" "$here/target/gpu-check/dry-run"
fi
[ $# -eq 2 ] || die "usage: scripts/gpu-check.sh [--dry-run] BUNDLE OUT"
bundle="$1"; out="$2"
start=$(date +%s)
budget="${SDJ_GPU_CHECK_BUDGET:-$([ "$dry" = 1 ] && echo 3600 || echo 500)}"
work="${SDJ_GPU_CHECK_WORK:-$(mktemp -d /tmp/gpu-check.XXXXXX)}"
mkdir -p "$out/logs" "$work"
out="$(cd "$out" && pwd)"
if [ -f "$bundle" ]; then
  echo "gpu-check: unpacking $bundle"
  if command -v xz >/dev/null; then tar -C "$work" -xJf "$bundle"
  else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$bundle" "$work"; fi || die "cannot unpack $bundle"
  bundle=$(ls -d "$work"/*/jre | head -1); bundle="${bundle%/jre}"
fi
[ -x "$bundle/jre/bin/java" ] && [ -f "$bundle/main/bin/libstable-diffusion.so" ] || die "$bundle is not a bundle (scripts/gpu-check.sh --pack DIR makes one)"
bundle="$(cd "$bundle" && pwd)"
backend=$(sed -n 's/^backend=//p' "$bundle/main/sdjava-native.properties" 2>/dev/null)

if [ "$dry" = 1 ]; then
  sd1_size=64; xl_size=64; steps=2; threads=2; cancel_args="size=64 steps=2 n=3 budget=60"
  models="${SDJ_GPU_CHECK_MODELS:-$HOME/.cache/sdjava/models}"
else
  sd1_size=512; xl_size=1024; steps=20; threads=$(nproc); cancel_args="size=512 steps=20 n=10 budget=60"
  models="${SDJ_GPU_CHECK_MODELS:-$work/models}"
fi
mkdir -p "$models"
report="$out/gpu-check.md"
rows="$work/rows.md"; details="$work/details.md"
: > "$rows"; : > "$details"
failed=0
row() { echo "| $1 | $2 | $3 |" >> "$rows"; [ "$2" = ok ] || [ "$2" = skipped ] || failed=1; echo "gpu-check: $1: $2 $3"; }
detail() { printf '%s\n' "$@" >> "$details"; }
left() { echo $(( budget - ($(date +%s) - start) )); }
limit() { local l; l=$(left); [ "$l" -ge 60 ] && echo "$l" || echo 60; }
in_budget() { [ "$(left)" -gt 20 ] || { row "$1" skipped "out of time (budget ${budget} s)"; return 1; }; }

# The CUDA runtime (libcudart.so.13, libcublas.so.13, libcublasLt.so.13) and driver, as the machine has them.
have_gpu=0; command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 && have_gpu=1
runtime_dir=""
if [ "$backend" = cuda ] && ! ldconfig -p | grep -q 'libcublasLt\.so\.13 '; then
  cands=(/usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-13*/lib64 /usr/local/cuda-13*/targets/x86_64-linux/lib)
  for sp in $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do cands+=("$sp/nvidia/cu13/lib"); done
  for d in "${cands[@]}"; do [ -e "$d/libcublasLt.so.13" ] && { runtime_dir="$d"; break; }; done
  if [ -z "$runtime_dir" ]; then
    f=$(find /usr /opt -maxdepth 7 -name libcublasLt.so.13 2>/dev/null | head -1)
    [ -n "$f" ] && runtime_dir=$(dirname "$f")
  fi
  [ -n "$runtime_dir" ] && export LD_LIBRARY_PATH="$runtime_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# Commands as arrays (measure runs them under timeout, which cannot run shell functions):
# java_for VARIANT sets J to java on that variant's library; cli_for VARIANT sets C to its sd-cli
# (its RUNPATH names the build folder, so LD_LIBRARY_PATH points it at the bundle's library).
java_for() { J=("$bundle/jre/bin/java" --enable-native-access=ALL-UNNAMED "-Dsdjava.library.path=$bundle/$1/bin/libstable-diffusion.so" -cp "$bundle/lib/*"); }
cli_for() { C=(env "LD_LIBRARY_PATH=$bundle/$1/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$bundle/$1/bin/sd-cli"); }
SDJ=dev.sdjava.cli.Sdj
vram() { nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 2>/dev/null | head -1 | tr -dc 0-9; }

# Runs "$@" with its output in logs/$name.out/.err, polling peak RSS and GPU memory; sets
# rc, wall (s), rss (MiB), vram ("+N MiB" above the idle level, or n/a).
measure() {
  local name="$1"; shift
  local base=0; [ "$have_gpu" = 1 ] && base=$(vram)
  local t0; t0=$(date +%s.%N)
  timeout "$(limit)" "$@" > "$out/logs/$name.out" 2> "$out/logs/$name.err" &
  local pid=$! peak_rss=0 peak_vram=0 r v child
  while kill -0 "$pid" 2>/dev/null; do
    # timeout's child is the process itself (env execs it).
    child=$(awk '{print $1}' "/proc/$pid/task/$pid/children" 2>/dev/null)
    r=$(awk '/^VmRSS/ {print $2}' "/proc/${child:-$pid}/status" 2>/dev/null); r=${r:-0}
    [ "$r" -gt "$peak_rss" ] && peak_rss=$r
    if [ "$have_gpu" = 1 ]; then v=$(vram); [ -n "$v" ] && [ "$v" -gt "$peak_vram" ] && peak_vram=$v; fi
    sleep 0.2
  done
  wait "$pid"; rc=$?
  wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
  rss=$((peak_rss / 1024))
  if [ "$have_gpu" = 1 ]; then vram="+$((peak_vram - base)) MiB"; else vram="n/a"; fi
}
# The first "<what> ... taking Xs" / "completed in Xs" figure of sd.cpp's log in a file.
logged() { grep -oE "$1[^0-9]*[0-9.]+s" "$2" | head -1 | grep -oE '[0-9.]+s$' | tr -d s; }
per_step() { awk -v s="$1" -v n="$steps" 'BEGIN {if (s == "") print "?"; else printf "%.3f", s / n}'; }
# Why a command failed: its first error line, else its last line.
why() { { grep -m1 -E 'error|Error|Exception|cannot|failed' "$1" || tail -1 "$1"; } | cut -c1-400; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b == 0) print "?"; else printf "%.3f", a / b}'; }

echo "gpu-check: bundle $bundle ($backend), scratch $work, report $report"

# 1. The machine.
if [ "$have_gpu" = 1 ]; then
  gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)
  row "GPU" ok "$gpu; CUDA runtime: ${runtime_dir:-on the system library path}"
else
  row "GPU" "$([ "$dry" = 1 ] && echo ok || echo FAILED)" "no nvidia-smi$([ "$dry" = 1 ] && echo " (dry run: the ${backend} build)")"
fi
detail "## Machine" '```' "$(uname -srm); $(nproc) cores; $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)" \
  "$( [ "$have_gpu" = 1 ] && nvidia-smi 2>&1 | head -15)" '```'

# 2. The library through the Java API.
java_for main
measure system-info "${J[@]}" $SDJ system-info
dev=$(grep -E '^(backend|device)' "$out/logs/system-info.out" | tr -s ' ' | paste -sd ';' -)
want="$([ "$dry" = 1 ] && echo "backend: $backend" || echo "device: CUDA")"
if [ "$rc" = 0 ] && grep -q "^${want%%:*}: *${want#*: }" "$out/logs/system-info.out"; then
  row "load through the Java API (sdj system-info)" ok "$dev; ${wall} s"
else
  row "load through the Java API (sdj system-info)" FAILED "exit $rc; $dev; $(why "$out/logs/system-info.err")"
fi
detail "## sdj system-info (main library)" '```' "$(cat "$out/logs/system-info.out")" '```'

# 3. The synthetic models (written there: seconds on 16 cores).
model() { # $1 = arch; prints the path
  local f="$models/$1-f16-s42-g1.safetensors"
  java_for main
  [ -f "$f" ] || "${J[@]}" $SDJ test-model -q --arch "$1" -o "$f" > "$out/logs/test-model-$1.out" 2>&1 || return 1
  echo "$f"
}
t0=$(date +%s)
sd1=$(model sd1) && row "synthetic SD1 model" ok "$(du -h "$sd1" | cut -f1) in $(( $(date +%s) - t0 )) s" \
  || row "synthetic SD1 model" FAILED "$(why "$out/logs/test-model-sd1.out")"

# 4. One model, one size: sdj and sd-cli on the same library, same flags; parity, s/step, load, memory.
prompt="a lighthouse on a cliff at dusk"
compare_pair() { # $1 = label, $2 = model, $3 = size, $4 = variant
  local label="$1" m="$2" size="$3" v="$4" tag; tag=$(echo "$label" | tr -c 'a-zA-Z0-9\n' '-')
  in_budget "$label" || return
  local flags=(-m "$m" -p "$prompt" -W "$size" -H "$size" --steps "$steps" -s 42 -t "$threads")
  java_for "$v"; cli_for "$v"
  measure "$tag-sdj" "${J[@]}" $SDJ generate -v --json "${flags[@]}" -o "$work/$tag-sdj.png"
  local j_rc=$rc j_wall=$wall j_rss=$rss j_vram=$vram
  local j_load j_gen j_samp
  j_load=$(grep -oE '"load_s" *: *[0-9.]+' "$out/logs/$tag-sdj.out" | grep -oE '[0-9.]+$')
  j_gen=$(grep -oE '"generate_s" *: *[0-9.]+' "$out/logs/$tag-sdj.out" | grep -oE '[0-9.]+$')
  j_samp=$(logged "sampling completed" "$out/logs/$tag-sdj.err")
  if [ "$j_rc" != 0 ] || [ ! -f "$work/$tag-sdj.png" ]; then
    row "$label, sdj" FAILED "exit $j_rc; $(why "$out/logs/$tag-sdj.err")"; return
  fi
  row "$label, sdj (Java API)" ok "$(per_step "$j_samp") s/step; load ${j_load} s; generate ${j_gen} s; process ${j_wall} s; peak VRAM ${j_vram}; peak RSS ${j_rss} MiB"
  in_budget "$label, sd-cli" || return
  measure "$tag-cli" "${C[@]}" "${flags[@]}" -o "$work/$tag-cli.png"
  local c_rc=$rc c_wall=$wall c_rss=$rss c_vram=$vram c_load c_gen c_samp
  cat "$out/logs/$tag-cli.out" "$out/logs/$tag-cli.err" > "$work/$tag-cli.log"
  c_load=$(logged "loading tensors completed" "$work/$tag-cli.log")
  c_gen=$(logged "generate_image completed" "$work/$tag-cli.log")
  c_samp=$(logged "sampling completed" "$work/$tag-cli.log")
  if [ "$c_rc" != 0 ] || [ ! -f "$work/$tag-cli.png" ]; then
    row "$label, sd-cli" FAILED "exit $c_rc; $(why "$work/$tag-cli.log")"; return
  fi
  row "$label, sd-cli (same library)" ok "$(per_step "$c_samp") s/step; tensors loaded in ${c_load} s; generate_image ${c_gen} s; process ${c_wall} s; peak VRAM ${c_vram}; peak RSS ${c_rss} MiB"
  local diff; diff=$("$bundle/jre/bin/java" -cp "$bundle/helper" ImageDiff "$work/$tag-sdj.png" "$work/$tag-cli.png" 2>&1)
  row "$label, parity sdj vs sd-cli" "$(echo "$diff" | grep -q 'identical=true' && echo ok || echo FAILED)" "$diff"
  row "$label, binding overhead" ok "sdj generate / sd-cli generate_image = $(ratio "$j_gen" "$c_gen"); sampling $(ratio "$j_samp" "$c_samp"); whole process $(ratio "$j_wall" "$c_wall")"
}
[ -n "${sd1:-}" ] && compare_pair "SD1 ${sd1_size}x${sd1_size}, $steps steps" "$sd1" "$sd1_size" main

# 5. SDXL (Vega), the architectures issue's synthetic model.
if in_budget "synthetic SDXL (Vega) model"; then
  t0=$(date +%s)
  if xl=$(model sdxl-vega); then
    row "synthetic SDXL (Vega) model" ok "$(du -h "$xl" | cut -f1) in $(( $(date +%s) - t0 )) s"
    compare_pair "SDXL (Vega) ${xl_size}x${xl_size}, $steps steps" "$xl" "$xl_size" main
  else
    row "synthetic SDXL (Vega) model" FAILED "$(why "$out/logs/test-model-sdxl-vega.out")"
  fi
fi

# 6. Vulkan on the same GPU (the NVIDIA driver's Vulkan ICD), against the main build's image.
if [ ! -d "$bundle/vulkan" ]; then
  row "Vulkan" skipped "no Vulkan build in the bundle"
elif in_budget "Vulkan" && [ -n "${sd1:-}" ]; then
  vk_env=()
  if ! ldconfig -p | grep -q 'libvulkan\.so\.1 ' && [ -e "$bundle/vulkan/loader/libvulkan.so.1" ]; then
    vk_env+=("LD_LIBRARY_PATH=$bundle/vulkan/loader${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"); vk_note="loader carried"
  else vk_note="system loader"; fi
  if [ "$have_gpu" = 1 ]; then
    icd=$(ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json 2>/dev/null | head -1)
    if [ -z "$icd" ] && ldconfig -p | grep -q 'libGLX_nvidia\.so\.0 '; then
      # The driver's Vulkan ICD is in libGLX_nvidia; containers often lack its manifest.
      icd="$work/nvidia_icd.json"
      printf '{"file_format_version":"1.0.1","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.4.0"}}\n' > "$icd"
      vk_note="$vk_note; ICD manifest written for libGLX_nvidia.so.0"
    fi
    [ -n "$icd" ] && vk_env+=("VK_DRIVER_FILES=$icd" "VK_ICD_FILENAMES=$icd") && vk_note="$vk_note; ICD $icd"
  else
    # lavapipe, a CPU Vulkan device, is used only when listed; its shader cache as CI keeps it.
    vk_env+=(GGML_VK_VISIBLE_DEVICES=0 "MESA_SHADER_CACHE_DIR=$HOME/.cache/sdjava/mesa-shader-cache"); vk_note="$vk_note; lavapipe"
  fi
  java_for vulkan
  env "${vk_env[@]}" "${J[@]}" $SDJ system-info > "$out/logs/vulkan-system-info.out" 2>&1
  vk_dev=$(grep -E '^device' "$out/logs/vulkan-system-info.out" | tr -s ' ' | paste -sd ';' -)
  detail "## sdj system-info (Vulkan library)" '```' "$(cat "$out/logs/vulkan-system-info.out")" '```'
  measure vulkan-sdj env "${vk_env[@]}" "${J[@]}" $SDJ generate -v --json -m "$sd1" -p "$prompt" -W "$sd1_size" -H "$sd1_size" --steps "$steps" -s 42 -t "$threads" -o "$work/vulkan.png"
  vk_samp=$(logged "sampling completed" "$out/logs/vulkan-sdj.err")
  main_png=$(ls "$work"/SD1-*-sdj.png 2>/dev/null | head -1)
  if [ "$rc" = 0 ] && [ -f "$work/vulkan.png" ]; then
    row "Vulkan, SD1 ${sd1_size}x${sd1_size}, sdj" ok "$(per_step "$vk_samp") s/step; load $(grep -oE '"load_s" *: *[0-9.]+' "$out/logs/vulkan-sdj.out" | grep -oE '[0-9.]+$') s; process ${wall} s; peak VRAM ${vram}; ${vk_note}; ${vk_dev:-device not logged}"
    if [ -n "$main_png" ]; then
      # Different backends round differently: at least 30 dB, as VulkanVsCpuTest asks.
      vk_diff=$("$bundle/jre/bin/java" -cp "$bundle/helper" ImageDiff "$work/vulkan.png" "$main_png" 2>&1)
      row "Vulkan vs $backend image (PSNR >= 30 dB)" "$(echo "$vk_diff" | awk -F'psnr_db=' '{print ($2 == "inf" || $2 + 0 >= 30) ? "ok" : "FAILED"}')" "$vk_diff"
    fi
  else
    row "Vulkan, SD1 ${sd1_size}x${sd1_size}, sdj" FAILED "exit $rc; ${vk_note}; $(why "$out/logs/vulkan-sdj.err")"
  fi
fi

# 7. Cancel latency through the API (issue 12's benchmark).
if in_budget "cancel latency" && [ -n "${sd1:-}" ]; then
  java_for main
  measure cancel "${J[@]}" dev.sdjava.bench.CancelLatency $cancel_args threads="$threads" model="$sd1"
  res=$(grep '^RESULT' "$out/logs/cancel.out" | head -4 | sed 's/^RESULT //' | paste -sd ';' -)
  if [ "$rc" = 0 ] && [ -n "$res" ]; then row "cancel latency ($cancel_args)" ok "$res"
  else row "cancel latency ($cancel_args)" FAILED "exit $rc; $(why "$out/logs/cancel.err")"; fi
fi

total=$(( $(date +%s) - start ))
{
  echo "# GPU check $([ "$dry" = 1 ] && echo "(dry run, CPU build)")"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); bundle backend ${backend}; total ${total} s; $([ "$failed" = 0 ] && echo "all steps passed" || echo "SOME STEPS FAILED")."
  echo "Sizes ${sd1_size}/${xl_size}, ${steps} steps, seed 42, ${threads} threads, prompt \"$prompt\"; s/step is sd.cpp's \"sampling completed\" time / steps."
  echo
  echo "| step | result | figures |"
  echo "|---|---|---|"
  cat "$rows"
  echo
  cat "$details"
} > "$report"
echo "gpu-check: report $report ($total s)"
[ -n "${SDJ_GPU_CHECK_WORK:-}" ] || rm -rf "$work"
exit "$failed"
