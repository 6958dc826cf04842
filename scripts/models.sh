#!/usr/bin/env bash
# Regenerates the table of docs/MODELS.md: for every scripts/families/*.properties, writes its synthetic files
# into the model cache, runs upstream's sd-cli and sdj on them with the same flags and compares the pixels
# (scripts/Models.java). Exit 1: a family's pixels differ, its image is flat, or it failed (with --keep-going).
#   scripts/models.sh [--only ID,...] [--keep-going] [--evict]     (ID: 10-sd1 or sd1)
# --evict deletes the files the run wrote once no later family needs them (all families' files take ~80 GB).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. .ci/java-home.sh
./sdj --version >/dev/null  # says how to build sdj when it is not built
jar=$(ls cli/target/sdjava-cli-*.jar | grep -v -e sources -e tests | head -1)
if [ ! -x target/native/cpu/bin/sd-cli ]; then
  echo "upstream's sd-cli is not built (target/native/cpu/bin/sd-cli): the native build makes it, e.g." \
    "mvn -DskipTests -pl api -am package (the CPU backend, ~3 minutes)" >&2
  exit 2
fi
exec "$JAVA_HOME/bin/java" -cp "$jar:cli/target/lib/*" scripts/Models.java "$@"
