#!/usr/bin/env bash
# Builds one native variant into target/native/<backend>, reusing an earlier identical build.
#
#   native/cached-build.sh <backend> [-DOPTION=VALUE ...]      e.g. native/cached-build.sh vulkan -DSDJ_NATIVE_CPU=OFF
#
# The result (bin/, include/, enum-names/, sdjava-native.properties) is kept in
#   ${SDJ_NATIVE_CACHE:-~/.cache/sdjava/native}/<backend>-<key>/
# where <key> hashes everything that decides the binary: native/sdcpp.pin, CMakeLists.txt, the
# native/*.cmake files, vulkan-headers.sh and the patches (native/patches/*.patch), the backend and options, the compiler, CMake and glslc versions,
# and, for SDJ_NATIVE_CPU=ON builds (-march=native), this CPU's feature flags; for cuda also
# native/cuda-toolkit.sh and `nvcc --version` of the nvcc the build would use. A key that is not
# in the cache (a fresh machine, a new pin or option) runs the ordinary CMake build and stores
# it. CI (a clean clone) uses this for the slow Vulkan variant.
#
#   SDJ_CACHE_ONLY=1 native/cached-build.sh cuda ...   # take a cached build, never compile one
#
# With SDJ_CACHE_ONLY=1 a miss builds nothing: it says so and exits with status 3 (CI takes a
# cached CUDA build this way, because compiling one takes hours on CI's two cores).
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:?usage: native/cached-build.sh <backend> [-DOPTION=VALUE ...]}"
shift
opts=("-DSDJ_BACKEND=$backend" "$@")
out="target/native/$backend"
cache_root="${SDJ_NATIVE_CACHE:-$HOME/.cache/sdjava/native}"

native_cpu=ON
cuda_root=""
cuda_compiler=""
for o in "${opts[@]}"; do
  case "$o" in
    -DSDJ_NATIVE_CPU=*) native_cpu="${o#-DSDJ_NATIVE_CPU=}" ;;
    -DCUDAToolkit_ROOT=*) cuda_root="${o#-DCUDAToolkit_ROOT=}" ;;
    -DCMAKE_CUDA_COMPILER=*) cuda_compiler="${o#-DCMAKE_CUDA_COMPILER=}" ;;
  esac
done
# The nvcc CMake would pick (same order as native/Backend.cmake): -DCMAKE_CUDA_COMPILER,
# -DCUDAToolkit_ROOT, nvcc on PATH, else the toolkit from PyPI (native/cuda-toolkit.sh; seconds
# when it is in its cache).
nvcc_version() {
  local nvcc="$cuda_compiler"
  [ -n "$nvcc" ] || { [ -n "$cuda_root" ] && nvcc="$cuda_root/bin/nvcc"; }
  [ -n "$nvcc" ] || nvcc=$(command -v nvcc || true)
  [ -n "$nvcc" ] || nvcc="$(bash native/cuda-toolkit.sh)/bin/nvcc"
  "$nvcc" --version
}
key=$( {
  cat native/sdcpp.pin CMakeLists.txt native/*.cmake native/vulkan-headers.sh native/patches/*.patch
  printf '%s\n' "${opts[@]}"
  c++ --version 2>/dev/null | head -1
  cmake --version | head -1
  if [ "$backend" = vulkan ]; then glslc --version 2>/dev/null | head -1; fi
  if [ "$backend" = cuda ]; then cat native/cuda-toolkit.sh; nvcc_version; fi
  if [ "$native_cpu" = ON ]; then grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m; fi
} | sha256sum | cut -c1-16)
entry="$cache_root/$backend-$key"

# An existing CMake build folder is built incrementally instead (ninja knows best; never wiped).
if [ ! -f "$out/CMakeCache.txt" ] && ls "$entry"/bin/libstable-diffusion.* >/dev/null 2>&1 \
   && [ -f "$entry/sdjava-native.properties" ]; then
  echo "cached-build: $backend from cache $entry"
  rm -rf "$out"
  mkdir -p "$out"
  cp -a "$entry/bin" "$entry/include" "$entry/enum-names" "$entry/sdjava-native.properties" "$out/"
  exit 0
fi

if [ "${SDJ_CACHE_ONLY:-0}" = 1 ]; then
  if ls "$out"/bin/libstable-diffusion.* >/dev/null 2>&1; then
    echo "cached-build: SDJ_CACHE_ONLY=1: using the existing build folder $out as it is (not rebuilt)"
    exit 0
  fi
  echo "cached-build: no cached $backend build for key $key (looked for $entry) and SDJ_CACHE_ONLY=1, so nothing is built." \
    "Build it once on this machine with: native/cached-build.sh $backend $*" >&2
  exit 3
fi
echo "cached-build: building $backend (${opts[*]}); cache key $key"
start=$(date +%s)
cmake -S . -B "$out" -G Ninja "${opts[@]}"
cmake --build "$out"
echo "cached-build: $backend built in $(( $(date +%s) - start )) s"
mkdir -p "$cache_root"
tmp=$(mktemp -d "$cache_root/.tmp-XXXXXX")
cp -a "$out/bin" "$out/include" "$out/enum-names" "$out/sdjava-native.properties" "$tmp/"
rm -rf "$entry"
mv "$tmp" "$entry"
echo "cached-build: stored in $entry"
# Keep the two newest builds of this backend; older keys are dead pins or options.
ls -dt "$cache_root/$backend-"* 2>/dev/null | tail -n +3 | while read -r old; do rm -rf "$old"; done
