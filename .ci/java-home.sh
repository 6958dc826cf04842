# Sourced by .ci/run and ./sdj: exports JAVA_HOME pointing at a JDK 22+ (FFM is final in 22).
_sdj_java_ok() { [ -x "$1/bin/java" ] && v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1) && [ "${v:-0}" -ge 22 ]; }
if [ -n "${JAVA_HOME:-}" ] && _sdj_java_ok "$JAVA_HOME"; then
  :
else
  JAVA_HOME=""
  for d in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25* /usr/lib/jvm/*2[2-9]* /usr/lib/jvm/*; do
    if _sdj_java_ok "$d"; then JAVA_HOME="$d"; break; fi
  done
  if [ -z "$JAVA_HOME" ]; then
    echo "sdjava needs a JDK 22 or newer (FFM); none found in \$JAVA_HOME or /usr/lib/jvm" >&2
    return 1 2>/dev/null || exit 1
  fi
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
