#!/usr/bin/env bash
# The reliability runs of issue 8, short or long. The short budget is what the
# README's test command (and CI) already runs through CTest; --long is the run
# whose figures the README quotes. Each test prints one summary line
# ("crash_loop: ...", "power_loss: ...", ...); they are collected in
# build/reliability-<budget>.log.
#
#   toolchains/reliability.sh [--long] [--seed N] [--fuzz-seconds N] [--skip-build]
#
#   --long          10,000 kills of the daemon, 1,000,000 requests through the
#                   faulty proxy, 20,000 power cuts of the ledger, and each
#                   fuzzer for 10 minutes (hours on two cores; run it overnight)
#   --seed N        one seed for every seeded schedule (default: each test's own)
#   --fuzz-seconds N  per fuzz target (default 30, or 600 with --long)
#   --skip-build    use the tests already built in build/
set -euo pipefail
cd "$(dirname "$0")/.."

long=0
seed=""
fuzz_seconds=""
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --long) long=1; shift ;;
    --seed) seed="${2:?--seed needs a number}"; shift 2 ;;
    --fuzz-seconds) fuzz_seconds="${2:?--fuzz-seconds needs a number}"; shift 2 ;;
    --skip-build) build=0; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "reliability.sh: unknown argument '$1' (try --help)" >&2; exit 1 ;;
  esac
done

if (( long )); then
  export SA_CRASH_LOOP_ITERATIONS="${SA_CRASH_LOOP_ITERATIONS:-10000}"
  export SA_NET_FAULT_REQUESTS="${SA_NET_FAULT_REQUESTS:-1000000}"
  export SA_POWER_LOSS_ITERATIONS="${SA_POWER_LOSS_ITERATIONS:-20000}"
  export SA_CRASH_ITERATIONS="${SA_CRASH_ITERATIONS:-2000}"
  fuzz_seconds="${fuzz_seconds:-600}"
  budget=long
else
  fuzz_seconds="${fuzz_seconds:-30}"
  budget=short
fi
if [[ -n "$seed" ]]; then
  export SA_CRASH_LOOP_SEED="$seed" SA_NET_FAULT_SEED="$seed" SA_POWER_LOSS_SEED="$seed"
fi

tests=(crash_loop_test network_faults_test power_loss_test clock_jump_test full_disk_test crash_test)
if (( build )); then
  toolchains/install-deps.sh
  cmake -S . -B build -DSA_WERROR=ON
  cmake --build build -j"$(nproc)" --target "${tests[@]}" store-agent storectl oms-sim
fi

log="build/reliability-$budget.log"
: > "$log"
status=0
for t in "${tests[@]}"; do
  echo "reliability.sh: $t ($budget)" | tee -a "$log"
  start=$SECONDS
  # The binary itself (not ctest), so each summary line reaches the log.
  rc=0
  "build/tests/$t" >>"$log" 2>&1 || rc=$?
  (( rc == 0 )) || status=1
  echo "reliability.sh: $t exit $rc, $((SECONDS - start)) s" | tee -a "$log"
done

# fuzz.sh builds its own preset (build-fuzz/, incremental).
if ! toolchains/fuzz.sh --seconds "$fuzz_seconds" 2>&1 | tee -a "$log"; then status=1; fi

echo "reliability.sh: summary lines in $log"
grep -E '^(crash_loop|network_faults|power_loss|clock_jump|full_disk|fuzz)[a-z_ -]*:' "$log" || true
exit "$status"
