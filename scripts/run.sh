#!/usr/bin/env bash
# Install what is missing, build, and run the main job. Until the bundled guest
# kernel lands, the main job is the instruction-semantics check against this CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/switchyard isa-test "$@"
