#!/usr/bin/env bash
# Creates the Python environment for the diffusers comparison (PyTorch CPU + diffusers), from PyPI
# only, in ~/.cache/sdjava/bench-venv (override with SDJAVA_BENCH_VENV). Idempotent.
#
# PyPI's Linux torch wheel is the CUDA build: it pulls the nvidia-* runtime wheels (a few GB) that
# the CPU path never loads, but without which `import torch` fails. PyTorch's own CPU-only index
# is not a registry this project may use, so the big download is the price of staying on PyPI.
set -euo pipefail
VENV="${SDJAVA_BENCH_VENV:-$HOME/.cache/sdjava/bench-venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip
# The versions measured in docs/PERFORMANCE.md.
"$VENV/bin/pip" install -q torch==2.15.0 diffusers==0.42.1 transformers==5.24.0 safetensors==0.8.0
"$VENV/bin/python" - <<'PY'
import torch, diffusers, transformers
print("torch", torch.__version__, "diffusers", diffusers.__version__, "transformers", transformers.__version__)
PY
echo "$VENV"
