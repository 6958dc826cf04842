#!/usr/bin/env bash
# Builds openjdk/jextract without Gradle: the same steps as its make/Build.gmk (javac of the one
# module, jmod with libclang and clang's builtin headers, jlink of a runtime with the launcher),
# against a system LLVM (Debian: libclang1-14, libclang-common-14-dev). Downloads nothing.
#
#   git clone https://github.com/openjdk/jextract.git   # master targets the newest JDK
#   scripts/build-jextract.sh jextract /opt/jextract     # then /opt/jextract/bin/jextract
#
# Environment: JAVA_HOME (JDK 25; default: the javac on PATH), LLVM_HOME (default
# /usr/lib/llvm-14), BUNDLE_CLANG_HEADERS (auto, yes or no; below). Writes only under
# <install-dir> and a temporary build directory.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 <jextract-checkout> <install-dir>" >&2; exit 2; }
src="$(cd "$1" && pwd)"
dest="$2"
[ -f "$src/src/main/java/module-info.java" ] || { echo "$src is not a jextract checkout" >&2; exit 1; }
jdk="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
llvm="${LLVM_HOME:-/usr/lib/llvm-14}"

# libclang: the real file behind lib/libclang.so.N (Debian links it to ../../<triplet>/libclang-14.so.1).
libclang="$(ls "$llvm"/lib/libclang.so.* "$llvm"/lib/libclang.so 2>/dev/null | head -1 || true)"
[ -n "$libclang" ] || { echo "no libclang.so under $llvm/lib (apt-get install libclang1-14)" >&2; exit 1; }
incdir="$(ls -d "$llvm"/lib/clang/*/include 2>/dev/null | head -1 || true)"
[ -n "$incdir" ] || { echo "no clang builtin headers under $llvm/lib/clang (apt-get install libclang-common-14-dev)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "jextract: $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?') with $("$jdk/bin/java" -version 2>&1 | head -1), $libclang"

# 1. Compile the module (its libclang bindings are checked into src/, no generation step).
"$jdk/bin/javac" -d "$work/classes" --module-source-path "org.openjdk.jextract=$src/src/main/java" \
    -m org.openjdk.jextract
cp -r "$src/src/main/java/META-INF" "$work/classes/org.openjdk.jextract/"
mkdir -p "$work/classes/org.openjdk.jextract/org/openjdk/jextract/impl"
cp -r "$src/src/main/resources/org/openjdk/jextract/impl/resources" \
    "$work/classes/org.openjdk.jextract/org/openjdk/jextract/impl/"

# 2. jmod: libclang as lib/libclang.so (found by System.loadLibrary("clang")). Upstream also puts
#    clang's builtin headers (stddef.h, stdint.h...) into conf/jextract, which jextract passes as
#    -I: an LLVM release's libclang, once copied, has no resource directory of its own. Debian's
#    libclang keeps finding /usr/lib/llvm-14/lib/clang/14.0.6/include, and with a second copy
#    first on the path clang's stdint.h includes itself (include_next), hits its own guard and
#    uint32_t is left undefined. So by default a libclang from /usr/lib goes without the copy.
mkdir -p "$work/libs" "$work/conf"
cp -L "$libclang" "$work/libs/libclang.so"
bundle="${BUNDLE_CLANG_HEADERS:-auto}"
if [ "$bundle" = auto ]; then
  case "$(readlink -f "$libclang")" in /usr/lib/*) bundle=no ;; *) bundle=yes ;; esac
fi
if [ "$bundle" = yes ]; then
  mkdir -p "$work/conf/jextract"
  cp "$incdir"/*.h "$work/conf/jextract/"
fi
"$jdk/bin/jmod" create --module-version=25 --class-path "$work/classes/org.openjdk.jextract" \
    --libs "$work/libs" --conf "$work/conf" "$work/org.openjdk.jextract.jmod"

# 3. jlink a runtime with native access for the module, plus the launcher script.
rm -rf "$dest"
mkdir -p "$dest/bin"
"$jdk/bin/jlink" --module-path "$work/org.openjdk.jextract.jmod" --add-modules org.openjdk.jextract \
    --output "$dest/runtime" --strip-debug --no-man-pages --no-header-files \
    --add-options '"--enable-native-access=org.openjdk.jextract"'
cp "$src/src/main/jextract" "$dest/bin/jextract"
chmod +x "$dest/bin/jextract"
"$dest/bin/jextract" --version

# 4. Smoke test: the standard headers the sd.cpp header includes must resolve.
printf '#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\nuint32_t f(size_t n, bool b);\n' \
    > "$work/smoke.h"
if ! "$dest/bin/jextract" --output "$work/smoke" "$work/smoke.h" 2>&1 | tee "$work/smoke.log" \
    || grep -q error "$work/smoke.log"; then
  echo "jextract cannot parse <stdint.h> (try BUNDLE_CLANG_HEADERS=$([ "$bundle" = yes ] && echo no || echo yes))" >&2
  exit 1
fi
echo "jextract installed in $dest (clang headers bundled: $bundle)"
