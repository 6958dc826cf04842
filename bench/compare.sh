#!/usr/bin/env bash
# End-to-end comparison of sdjava with upstream sd-cli (and diffusers on PyTorch, when
# bench/setup-diffusers.sh has made its venv). Rewrites docs/PERFORMANCE.md.
#
#   bench/compare.sh [--sections overhead,load,threads,reuse,weights,memory,fa,builds,diffusers] [--runs N] [--runs512 N]
#                    [--default-build BIN_DIR] [--fresh] [--report-only] [--smoke] [--data FILE] [--out FILE]
#   (builds: the tuned build against --default-build, an sd.cpp build with upstream's default options;
#    bench/profile.sh: the perf profile of one 512x512 step, for bench/NOTES.md)
#   bench/compare.sh jmh [JMH options]     # the JMH suite -> target/bench/jmh.csv
#
# Needs the build first: mvn -B -DskipTests install (builds bench/target/compare.jar, the harness,
# and jmh/target/benchmarks.jar, the JMH suite).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/.ci/java-home.sh"
need() {
  if [ ! -f "$here/$1" ]; then
    echo "$1 is missing. Build first:  mvn -B -DskipTests install" >&2
    exit 2
  fi
}
mkdir -p "$here/target/bench"
if [ "${1:-}" = "jmh" ]; then
  shift
  need jmh/target/benchmarks.jar
  exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "$here/jmh/target/benchmarks.jar" \
    -rf csv -rff "$here/target/bench/jmh.csv" "$@"
fi
need bench/target/compare.jar
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx512m \
  -Dsdjava.bench.project="$here" -jar "$here/bench/target/compare.jar" "$@"
