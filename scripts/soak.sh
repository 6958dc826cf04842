#!/usr/bin/env bash
# Soak test (issue 7): 200 generations (64x64, 1 step) on one context with the synthetic SD1
# model, sampling RSS and Java heap every 10 generations; exits 1 if RSS grows by 50 MiB or more
# after the warm-up. Figures are in docs/RELIABILITY.md.
# Usage: scripts/soak.sh [generations=200] [warmup=20] [threads=2] [cancel]   (after `mvn -DskipTests install`)
# With "cancel": 200 cancel/generate cycles instead (issue 12); also fails on an hs_err file.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; then
  JAVA_HOME=$(ls -d /usr/lib/jvm/*2[2-9]* 2>/dev/null | sort -V | tail -1)
fi
JAVA="$JAVA_HOME/bin/java"
CP="api/target/classes:bindings/target/classes:synthetic/target/classes"
[ -d api/target/classes ] || { echo "build first: mvn -DskipTests install" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/Model.java" <<'J'
public class Model {
    public static void main(String[] a) throws Exception {
        System.out.println(dev.sdjava.synthetic.SyntheticModel.cached(dev.sdjava.synthetic.Architecture.SD1,
                dev.sdjava.synthetic.Precision.F16, 42));
    }
}
J
MODEL=$("$JAVA" -cp "$CP" "$tmp/Model.java")
cd "$tmp"
"$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g -cp "$OLDPWD/${CP//:/:$OLDPWD/}" "$OLDPWD/scripts/Soak.java" "$MODEL" "${1:-200}" "${2:-20}" "${3:-2}" ${4:-}
if ls "$tmp"/hs_err_pid* >/dev/null 2>&1; then echo "FAIL: JVM crash report" >&2; exit 1; fi
