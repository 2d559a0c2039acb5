#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets (the `fuzz` CMake preset: clang-14, ASan +
# UBSan) and runs each for a time budget over a copy of its seed corpus.
# CI runs it with the default budget; a long hunt is the same with more
# --seconds. The seeds in tests/fuzz/corpus/ are never written: libFuzzer
# grows its working corpus in build-fuzz/corpus-work/<target>/.
set -euo pipefail

TARGETS_ALL=(code_parser member_code config api_body sync_response)

usage() {
  cat <<USAGE
Usage: toolchains/fuzz.sh [--seconds N] [--jobs J] [TARGET...]

Builds the fuzz preset (clang-14, libFuzzer, ASan + UBSan) into build-fuzz/
and runs each TARGET (default: all) for N seconds (default 30), J fuzzing
processes at once (default 1; each target then gets N seconds of J workers).
Targets: ${TARGETS_ALL[*]}

Each target starts from a copy of tests/fuzz/corpus/<target>/ in
build-fuzz/corpus-work/<target>/ (kept between runs, so long runs build on
earlier ones). One summary line per target: executions, exec/s, corpus
size, crashes. Exit status 1 when any target crashed, leaked or broke a
property; the input is in build-fuzz/crashes/<target>/ (named in the
message): keep it in tests/fuzz/regressions/<target>/ with the fix.

Needs the Debian packages clang-14 and libclang-rt-14-dev.

Examples:
  toolchains/fuzz.sh                          # CI: every target, 30 s each
  toolchains/fuzz.sh --seconds 3600 config    # one target for an hour
  toolchains/fuzz.sh --seconds 600 --jobs 2   # two workers per target
USAGE
}

seconds=30
jobs=1
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
    --jobs) jobs="${2:?--jobs needs a number}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --seconds takes a whole number > 0" >&2; exit 2; }
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --jobs takes a whole number > 0" >&2; exit 2; }
[[ ${#targets[@]} -gt 0 ]] || targets=("${TARGETS_ALL[@]}")
for t in "${targets[@]}"; do
  [[ " ${TARGETS_ALL[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target $t (${TARGETS_ALL[*]})" >&2; exit 2; }
done

if ! command -v clang++-14 >/dev/null; then
  echo "fuzz.sh: clang++-14 not found: apt-get install clang-14 libclang-rt-14-dev" >&2
  exit 2
fi
if ! compgen -G "/usr/lib/llvm-14/lib/clang/14*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null; then
  echo "fuzz.sh: libFuzzer runtime not found: apt-get install libclang-rt-14-dev" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
cd "$root"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake --preset fuzz "${launcher[@]}" >/dev/null
# Only the fuzzers and the libraries they link: the rest of the tree is not
# needed to fuzz and takes most of the build time.
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/%/_fuzz}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
for t in "${targets[@]}"; do
  work="$build/corpus-work/$t"
  crashes="$build/crashes/$t"
  log="$build/fuzz-logs/$t.log"
  mkdir -p "$work" "$crashes" "$(dirname "$log")"
  cp -n "$root/tests/fuzz/corpus/$t/"* "$work/" 2>/dev/null || true
  before=$(find "$crashes" -type f | wc -l)
  status=0
  # -timeout: one input taking 10 s is a hang, reported like a crash.
  # With --jobs, libFuzzer's workers write fuzz-<n>.log in the working dir.
  (cd "$build/fuzz-logs" &&
   "$build/fuzz/${t}_fuzz" "$work" -max_total_time="$seconds" \
     -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
     -artifact_prefix="$crashes/" \
     $([[ "$jobs" -gt 1 ]] && echo "-jobs=$jobs -workers=$jobs") >"$log" 2>&1) || status=$?
  if [[ "$jobs" -gt 1 ]]; then cat "$build/fuzz-logs"/fuzz-*.log >>"$log" 2>/dev/null || true; rm -f "$build/fuzz-logs"/fuzz-*.log; fi
  runs=$(awk '/stat::number_of_executed_units:/ {s += $2} END {print s + 0}' "$log")
  rate=$(awk '/stat::average_exec_per_sec:/ {s += $2} END {print s + 0}' "$log")
  # libFuzzer's own count (the folder also keeps inputs it later reduced).
  size=$(awk '/DONE/ {for (i = 1; i < NF; ++i) if ($i == "corp:") {split($(i + 1), c, "/"); n = c[1]}} END {print n + 0}' "$log")
  new_crashes=$(( $(find "$crashes" -type f | wc -l) - before ))
  if [[ $status -ne 0 || $new_crashes -gt 0 ]]; then
    failed=1
    newest=$(ls -t "$crashes" 2>/dev/null | head -1)
    printf '%-14s FAILED after %s executions (exit %s): %s; log %s\n' "$t" "$runs" "$status" \
      "${newest:+$crashes/$newest}" "$log"
  else
    printf '%-14s ok: %s s, %s executions, %s exec/s, corpus %s, crashes 0\n' "$t" "$seconds" "$runs" "$rate" "$size"
  fi
done
exit $failed
