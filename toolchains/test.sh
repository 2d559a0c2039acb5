#!/usr/bin/env bash
# The README's test command: installs what it needs, builds with warnings as
# errors, and runs every test. With --sanitizers it also runs every test under
# ASan+UBSan, and the threaded parts (crypto, writer, API, daemon, cloud sync)
# under TSan
# (CI does).
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

  threaded=(crypto_test writer_test api_test daemon_test cloud_sync_test camera_test evdev_source_test
            serial_test scanners_test store-agent storectl oms-sim)
  cmake --preset tsan
  cmake --build --preset tsan -j"$jobs" --target "${threaded[@]}"
  TSAN_OPTIONS="halt_on_error=1" ctest --test-dir build-tsan --output-on-failure -j1 \
    -R '^(crypto_test|writer_test|api_test|daemon_test|cloud_sync_test|camera_test|evdev_source_test|serial_test|scanners_test):'
fi
