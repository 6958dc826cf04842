#!/usr/bin/env bash
# Builds upstream's sd-server (examples/server of the pinned tree) against the libstable-diffusion
# that Maven built, into <native dir>/sd-server-build/sd-server: the oracle docs/SERVER.md compares
# sdj serve with. Needs the native build first (mvn -DskipTests install, or target/native/<backend>).
# Usage: scripts/build-sd-server.sh [native dir, default target/native/cpu]
set -euo pipefail
cd "$(dirname "$0")/.."
N=$(realpath "${1:-target/native/cpu}")
S=$(ls -d "$N"/sdcpp-src/*/vendor/stable-diffusion.cpp)
OUT="$N/sd-server-build"
mkdir -p "$OUT"
for f in common/common.cpp common/log.cpp common/media_io.cpp server/main.cpp server/runtime.cpp server/async_jobs.cpp \
         server/routes_index.cpp server/routes_openai.cpp server/routes_sdapi.cpp server/routes_sdcpp.cpp; do
  o="$OUT/$(echo "$f" | tr / _).o"
  [ -f "$o" ] || g++ -std=c++17 -O1 -c "$S/examples/$f" -I"$S/examples" -I"$S/examples/server" -I"$S/thirdparty" -I"$N/include" -o "$o"
done
g++ -o "$OUT/sd-server" "$OUT"/*.o -L"$N/bin" -lstable-diffusion -Wl,-rpath,"$N/bin" -lpthread
echo "$OUT/sd-server"
