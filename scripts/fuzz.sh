#!/usr/bin/env bash
# Coverage-guided fuzzing of the Java model-file validators with Jazzer (api/ModelFileJazzTest):
# each target (gguf, safetensors, ckpt) fuzzes for SECONDS, one Maven run each (Jazzer fuzzes one
# test per JVM). The seeds (FuzzSeedsTest) go into Jazzer's corpus directory api/.cifuzz-corpus/
# first; the corpus it grows stays there between runs. Findings fail the run and are saved by
# Jazzer under api/src/test/resources/dev/sdjava/ModelFileJazzTestInputs/<target>/ (then replayed
# by every `mvn verify`).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # default: 600 s per target, all three
#
# Needs the build first (mvn -B -DskipTests install). Prints one summary line per target.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/.ci/java-home.sh"
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(gguf safetensors ckpt)
mkdir -p "$here/target/fuzz"
# The seeds (the synthetic models' real headers, made at test time) into Jazzer's corpus directory.
corpus="$here/api/.cifuzz-corpus/dev.sdjava.ModelFileJazzTest"
(cd "$here" && mvn -B -q -pl options-processor,api -Dsdj.skipNative=true -Dsurefire.failIfNoSpecifiedTests=false \
    -Dtest=FuzzSeedsTest -Dsdjava.fuzz.seedDir="$corpus" test) > "$here/target/fuzz/seeds.log" 2>&1 \
  || { echo "fuzz: writing the seeds failed (see target/fuzz/seeds.log)"; exit 1; }
echo "fuzz: seeds in $corpus: $(find "$corpus" -type f | wc -l) files"
status=0
for t in "${targets[@]}"; do
  log="$here/target/fuzz/$t.log"
  echo "fuzz: $t for ${seconds}s (log: $log)"
  set +e
  (cd "$here" && JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${seconds}s" mvn -B -q -pl options-processor,api -Dsdj.skipNative=true \
      -Dsurefire.failIfNoSpecifiedTests=false -Dtest="ModelFileJazzTest#$t" test) > "$log" 2>&1
  rc=$?
  set -e
  # libFuzzer's last status line: "#<executions> DONE cov: ... exec/s: N ..." (or a crash report).
  done_line="$(grep -aE '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)"
  last_line="$(grep -aE '^#[0-9]+[[:space:]]' "$log" | tail -1 || true)"
  echo "fuzz: $t rc=$rc ${done_line:-${last_line:-no libFuzzer status line (see the log)}}"
  if [ $rc -ne 0 ]; then
    grep -aE "== Java Exception|FAILURE|Crashing input|Test unit written|reproducer" "$log" | head -20 || true
    status=1
  fi
done
exit $status
