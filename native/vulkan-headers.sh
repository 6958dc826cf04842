#!/usr/bin/env bash
# Prints the include directory of Vulkan headers new enough for ggml-vulkan, fetching them first
# when the cache does not have them yet.
#
# Debian 12's libvulkan-dev (1.3.239) lacks vk::LayerSettingEXT, which the pinned ggml-vulkan
# uses. Debian 13 (trixie) ships 1.4.309; its headers work against Debian 12's loader
# (libvulkan.so is ABI-stable). This script downloads that one .deb with apt-get through a
# private, throw-away apt state (the system's sources, lists and packages are left alone, no root
# needed), checks it through apt's signed indexes, and unpacks it with dpkg -x into
#   ${SDJ_VULKAN_HEADERS_CACHE:-~/.cache/sdjava/vulkan-headers}/<version>/usr/include
# Nothing is installed. CMake runs this for SDJ_BACKEND=vulkan when the system headers are too old
# and no -DSDJ_VULKAN_INCLUDE_DIR was given.
#
#   native/vulkan-headers.sh            # fetch if needed; print the include dir
set -euo pipefail

# The version tried first (the one tested); if trixie has moved on, its current one is taken.
VERSION="${SDJ_VULKAN_HEADERS_VERSION:-1.4.309.0-1}"
SUITE="${SDJ_VULKAN_HEADERS_SUITE:-trixie}"
MIRROR="${SDJ_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE="${SDJ_VULKAN_HEADERS_CACHE:-$HOME/.cache/sdjava/vulkan-headers}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

usable() { [ -f "$1/usr/include/vulkan/vulkan.hpp" ] && [ -f "$1/usr/include/vulkan/vulkan_core.h" ]; }

if usable "$CACHE/$VERSION"; then
  echo "$CACHE/$VERSION/usr/include"
  exit 0
fi

for tool in apt-get apt-cache dpkg; do
  command -v "$tool" >/dev/null || {
    echo "vulkan-headers.sh: $tool not found. On a non-Debian system install Vulkan headers that have vk::LayerSettingEXT" \
         "(1.4.309 tested; e.g. the Vulkan SDK) and pass -DSDJ_VULKAN_INCLUDE_DIR=<dir>." >&2
    exit 1
  }
done
[ -r "$KEYRING" ] || { echo "vulkan-headers.sh: $KEYRING missing (package debian-archive-keyring)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"   # apt downloads as the _apt user when run as root
mkdir -p "$work/sources" "$work/lists/partial" "$work/cache/archives/partial" "$work/deb"
: > "$work/status"
cat > "$work/sources/$SUITE.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE
Components: main
Signed-By: $KEYRING
EOF
apt_opts=(
  -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/sources"
  -o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status"
  -o "Dir::Cache=$work/cache" -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=/dev/null"
  -o "Acquire::Languages=none" -o "Debug::NoLocking=1"
)
echo "vulkan-headers.sh: fetching libvulkan-dev from Debian $SUITE into $CACHE" >&2
apt-get -qq "${apt_opts[@]}" update >&2
candidate=$(apt-cache "${apt_opts[@]}" policy libvulkan-dev | sed -n 's/^ *Candidate: //p')
if apt-cache "${apt_opts[@]}" madison libvulkan-dev | grep -q "| $VERSION |"; then
  want="$VERSION"
else
  echo "vulkan-headers.sh: WARNING: libvulkan-dev $VERSION is gone from $SUITE; taking $candidate" >&2
  want="$candidate"
fi
(cd "$work/deb" && apt-get -qq "${apt_opts[@]}" download "libvulkan-dev=$want" >&2)
dest="$CACHE/$want"
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
dpkg -x "$work"/deb/libvulkan-dev_*.deb "$dest.tmp"
usable "$dest.tmp" || { echo "vulkan-headers.sh: the package has no vulkan/vulkan.hpp" >&2; exit 1; }
# Only headers are used: drop the .so symlink and pkg-config file that point at a loader we do not have.
rm -rf "$dest.tmp/usr/lib" "$dest.tmp/usr/share/doc"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
# Later runs ask for $VERSION; make that name find what was taken.
[ "$want" = "$VERSION" ] || ln -sfn "$want" "$CACHE/$VERSION"
echo "$dest/usr/include"
