#!/usr/bin/env bash
# The README's test command: installs what it needs, checks the C++ style
# (toolchains/format.sh --check), builds with warnings as errors, and runs
# every test. With --sanitizers it also runs every test under
# ASan+UBSan, and the threaded parts (crypto, writer, API, daemon, cloud sync)
# under TSan, and each fuzzer for 20 s
# (CI does). With --cross aarch64 (or armhf) it also cross-builds for that store
# box (CMakePresets.json), runs store-agent and storectl under qemu, and runs
# the unit tests under qemu (CI does aarch64). With --prune each build tree
# is deleted once its tests passed: CI's disk is shared with other machines,
# and five build trees with debug info take GBs (CI does).
#   toolchains/test.sh [--sanitizers] [--cross aarch64|armhf]... [--prune]
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizers=0
prune=0
cross=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sanitizers) sanitizers=1; shift ;;
    --prune) prune=1; shift ;;
    --cross) cross+=("${2:?--cross needs aarch64 or armhf}"); shift 2 ;;
    --cross=*) cross+=("${1#--cross=}"); shift ;;
    *) echo "test.sh: unknown argument '$1'" >&2; exit 1 ;;
  esac
done
for preset in "${cross[@]}"; do
  case "$preset" in aarch64|armhf) ;; *) echo "test.sh: --cross aarch64 or armhf, not '$preset'" >&2; exit 1 ;; esac
done
jobs="$(nproc)"

# A build tree whose tests passed, deleted under --prune (disk, not time).
done_with() {
  if (( prune )); then
    echo "test.sh: --prune: removing $1 ($(du -sh "$1" 2>/dev/null | cut -f1))"
    rm -rf "$1"
  fi
}

toolchains/install-deps.sh
toolchains/format.sh --check
cmake -S . -B build -DSA_WERROR=ON
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600
done_with build

if (( sanitizers )); then
  cmake --preset asan-ubsan
  cmake --build --preset asan-ubsan -j"$jobs"
  ctest --preset asan-ubsan
  done_with build-asan-ubsan

  threaded=(crypto_test writer_test api_test daemon_test cloud_sync_test camera_test evdev_source_test
            serial_test scanners_test store-agent storectl oms-sim)
  cmake --preset tsan
  cmake --build --preset tsan -j"$jobs" --target "${threaded[@]}"
  TSAN_OPTIONS="halt_on_error=1" ctest --test-dir build-tsan --output-on-failure -j1 \
    -R '^(crypto_test|writer_test|api_test|daemon_test|cloud_sync_test|camera_test|evdev_source_test|serial_test|scanners_test):'
  done_with build-tsan

  # The fuzzers (clang-14 + libFuzzer, ASan + UBSan), each for a short
  # budget; toolchains/reliability.sh --long runs them for ten minutes each.
  toolchains/fuzz.sh --seconds 20
  done_with build-fuzz
fi

# Cross builds: the programs and the unit tests only (what a store box runs, and
# the tests that need no host programs; CTest runs them through the toolchain's
# CMAKE_CROSSCOMPILING_EMULATOR, as qemu is not registered with binfmt_misc).
unit_tests=(codes_test crypto_test ledger_test store_test sync_apply_test stock_test config_test
            receipt_test wedge_test camera_test printer_test)
unit_regex="^($(IFS='|'; echo "${unit_tests[*]}")):"
for preset in "${cross[@]}"; do
  case "$preset" in
    aarch64) arch=arm64 triplet=aarch64-linux-gnu qemu=qemu-aarch64-static ;;
    armhf) arch=armhf triplet=arm-linux-gnueabihf qemu=qemu-arm-static ;;
  esac
  echo "test.sh: cross build for $preset ($triplet)"
  start=$SECONDS
  toolchains/install-deps.sh --arch "$arch"
  cmake --preset "$preset"
  cmake --build --preset "$preset" -j"$jobs" --target store-agent storectl "${unit_tests[@]}"
  if command -v file >/dev/null; then file "build-$preset/bin/store-agent"; fi
  "$qemu" -L "/usr/$triplet" "build-$preset/bin/store-agent" --version
  "$qemu" -L "/usr/$triplet" "build-$preset/bin/storectl" --help >/dev/null
  # qemu-user 7.2 (Debian 12) never starts a guest thread on this kernel (a
  # two-line std::thread program hangs), so the cases that start threads run
  # natively only (above, and under TSan). So do the printer status cases
  # (AskStatus, SendJob): a thread answers for the printer, or asio resolves
  # the network printer's address on a thread of its own.
  ctest --preset "$preset" -j"$jobs" -R "$unit_regex" --timeout 300 \
    -E 'CameraPipeline|camera source on an absent device|network printer|several threads|AskStatus|SendJob'

  # The store box's package: it must hold these ARM binaries.
  ctest --preset "$preset" -R '^deb_package$' --timeout 300
  echo "test.sh: cross $preset took $((SECONDS - start)) s"
  done_with "build-$preset"
done
