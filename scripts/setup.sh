#!/usr/bin/env bash
# Shared set-up for run.sh and test.sh: install the Debian packages switchyard
# needs (only the missing ones), then configure and build into build/.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential gcc-multilib cmake ninja-build pkg-config
  libzydis-dev libcapstone-dev libsdl2-dev libimgui-dev doctest-dev
  libcli11-dev nlohmann-json3-dev libelf-dev libpng-dev libgl-dev
  qemu-system-x86
  xvfb xauth libgl1-mesa-dri python3
  gdb
)

. scripts/packages.sh
install_missing "${PACKAGES[@]}"

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build build -j"$(nproc)"
