#!/usr/bin/env bash
# Cancel latency benchmark (issue 12; not a timed test): dev.sdjava.bench.CancelLatency on the
# synthetic SD1 model, in-process, after `mvn -o -pl options-processor,synthetic,api,bench compile`.
# Arguments are key=value (size=512 steps=1 n=20 threads=2 budget=600 seed=1 from=0 model=...).
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
CP="bench/target/classes:api/target/classes:synthetic/target/classes"
[ -d bench/target/classes ] || { echo "build first: mvn -pl options-processor,synthetic,api,bench -am compile" >&2; exit 2; }
exec "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$CP" dev.sdjava.bench.CancelLatency "$@"
