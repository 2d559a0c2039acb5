#!/usr/bin/env bash
# The README's test command: installs what it needs, builds with warnings as
# errors, and runs every test. With --sanitizers it also builds and runs the
# asan-ubsan preset (CI does).
#   toolchains/test.sh [--sanitizers]
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizers=0
[[ "${1:-}" == "--sanitizers" ]] && sanitizers=1
jobs="$(nproc)"

toolchains/install-deps.sh
cmake -S . -B build -DSA_WERROR=ON
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600

if (( sanitizers )); then
  cmake --preset asan-ubsan
  cmake --build --preset asan-ubsan -j"$jobs"
  ctest --preset asan-ubsan
fi
