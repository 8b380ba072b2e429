#!/usr/bin/env bash
# Shared set-up for run.sh and test.sh: install the Debian packages switchyard
# needs (only the missing ones), then configure and build into build/.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libzydis-dev libcapstone-dev libsdl2-dev libimgui-dev doctest-dev
  libcli11-dev nlohmann-json3-dev libelf-dev libpng-dev libgl-dev
  qemu-system-x86
  xvfb xauth libgl1-mesa-dri python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build build -j"$(nproc)"
