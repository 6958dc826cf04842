#!/usr/bin/env bash
# Prints the root of a CUDA toolkit that CMake accepts (bin/nvcc, nvvm/, include/, lib64/),
# assembling it first from NVIDIA's PyPI wheels when the cache does not have it yet.
#
# No nvcc is installed on sdjava's build machines, but PyPI serves the CUDA 13 toolchain as wheels:
# nvcc, cudafe++, ptxas, fatbinary, nvlink (nvidia-cuda-nvcc), cicc and libdevice (nvidia-nvvm),
# the crt headers (nvidia-cuda-crt), cudart (nvidia-cuda-runtime), CCCL (nvidia-cuda-cccl) and
# cuBLAS (nvidia-cublas). They all unpack into nvidia/cu13/. This script downloads them with pip
# (checked against PyPI's sha256 by pip), unzips them into
#   ${SDJ_CUDA_CACHE:-~/.cache/sdjava/cuda-toolkit}/<nvcc version>/
# and adds what a real toolkit has and the wheels lack: lib64/, the unversioned .so links the
# linker needs, and lib64/stubs/libcuda.so, a link-time stand-in for the driver (as the toolkit's
# own stubs/ directory; never shipped, never loaded at run time: the real libcuda.so.1 comes with the
# NVIDIA driver). Nothing is installed system-wide. CMake runs this for SDJ_BACKEND=cuda when no
# nvcc is found and no -DCUDAToolkit_ROOT was given.
#
#   native/cuda-toolkit.sh          # fetch if needed; print the toolkit root
#
# The version is CUDA 13.0: the oldest CUDA 13 driver (R580) runs everything it builds, PTX
# included (a newer toolkit's PTX needs a newer driver). CUDA 13 targets Turing (sm_75) and newer.
set -euo pipefail

NVCC_VERSION="${SDJ_CUDA_VERSION:-13.0.88}"
# One CUDA 13.0 release's matching wheels (the runtime, CCCL and cuBLAS carry their own numbers).
WHEELS=(
  "nvidia-cuda-nvcc==$NVCC_VERSION"
  "nvidia-nvvm==$NVCC_VERSION"
  "nvidia-cuda-crt==$NVCC_VERSION"
  "nvidia-cuda-runtime==${SDJ_CUDA_RUNTIME_VERSION:-13.0.96}"
  "nvidia-cuda-cccl==${SDJ_CUDA_CCCL_VERSION:-13.0.85}"
  "nvidia-cublas==${SDJ_CUBLAS_VERSION:-13.0.2.14}"
)
CACHE="${SDJ_CUDA_CACHE:-$HOME/.cache/sdjava/cuda-toolkit}"
dest="$CACHE/$NVCC_VERSION"

usable() { [ -x "$1/bin/nvcc" ] && [ -x "$1/nvvm/bin/cicc" ] && [ -f "$1/include/cuda_runtime.h" ] \
  && [ -e "$1/lib64/libcudart.so" ] && [ -e "$1/lib64/libcublas.so" ] && [ -e "$1/lib64/stubs/libcuda.so" ]; }

if usable "$dest"; then
  echo "$dest"
  exit 0
fi

py=""
for p in python3 python; do
  if command -v "$p" >/dev/null && "$p" -m pip --version >/dev/null 2>&1; then py="$p"; break; fi
done
[ -n "$py" ] || { echo "cuda-toolkit.sh: needs Python with pip to fetch NVIDIA's CUDA wheels (apt-get install python3-pip)," \
  "or install a CUDA 13 toolkit and pass -DCUDAToolkit_ROOT=<dir> (Maven: -Dsdj.cuda.root=<dir>)." >&2; exit 1; }
command -v cc >/dev/null || { echo "cuda-toolkit.sh: needs a C compiler (cc) for the driver stub" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "cuda-toolkit.sh: fetching CUDA $NVCC_VERSION wheels from PyPI into $dest" >&2
# --platform makes pip choose Linux x86_64 wheels whatever Python runs it; the wheels hold no Python code.
"$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
  --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux_2_12_x86_64 --platform manylinux2010_x86_64 \
  -d "$work/wheels" "${WHEELS[@]}" >&2
mkdir -p "$work/x"
for w in "$work"/wheels/*.whl; do "$py" -m zipfile -e "$w" "$work/x/"; done
root="$work/x/nvidia/cu13"
chmod +x "$root"/bin/* "$root"/nvvm/bin/*

# The layout CMake's FindCUDAToolkit and nvcc.profile expect: lib64/ (with stubs/) and .so links.
mv "$root/lib" "$root/lib64"
ln -s lib64 "$root/lib"
for so in "$root"/lib64/lib*.so.*; do
  base="${so%%.so.*}.so"
  [ -e "$base" ] || ln -s "$(basename "$so")" "$base"
done
# The driver stub: every cu* function cuda.h declares (and the _v2.. names its macros map to), empty.
mkdir -p "$root/lib64/stubs"
{
  grep -oE '\bcu[A-Z][A-Za-z0-9_]*\s*\(' "$root/include/cuda.h" | tr -d ' ('
  grep -oE '^#define\s+cu[A-Z][A-Za-z0-9_]*\s+cu[A-Z][A-Za-z0-9_]*' "$root/include/cuda.h" | awk '{print $3}'
} | sort -u | awk '{print "void " $1 "(void) {}"}' > "$work/cuda_stub.c"
cc -shared -fPIC -w -Wl,-soname,libcuda.so.1 -o "$root/lib64/stubs/libcuda.so" "$work/cuda_stub.c"
usable "$root" || { echo "cuda-toolkit.sh: the wheels did not give a usable toolkit in $root" >&2; exit 1; }
"$root/bin/nvcc" --version >&2

mkdir -p "$CACHE"
rm -rf "$dest"
mv "$root" "$dest"
echo "$dest"
