#!/usr/bin/env bash
# The C++ style (.clang-format: Google, 100 columns) over every .cpp and .hpp
# in the tree. Without arguments it rewrites the files in place; with --check
# it changes nothing and fails, naming each file and line, if one is off
# (toolchains/test.sh runs the check before it builds).
#   toolchains/format.sh [--check]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(-i)
case "${1:-}" in
  "") ;;
  --check) mode=(--dry-run --Werror) ;;
  -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "format.sh: unknown argument '$1' (try --help)" >&2; exit 1 ;;
esac
fmt="$(command -v clang-format-14 || command -v clang-format || true)"
[[ -n "$fmt" ]] || { echo "format.sh: clang-format is not installed (toolchains/install-deps.sh)" >&2; exit 1; }
mapfile -d '' files < <(find agent drivers sync tests firmware-cfg toolchains \
                          \( -name node_modules -prune \) -o \( -name '*.cpp' -o -name '*.hpp' \) -print0 | sort -z)
if ! "$fmt" "${mode[@]}" "${files[@]}"; then
  echo "format.sh: ${#files[@]} files checked; the ones above are off the style: run toolchains/format.sh" >&2
  exit 1
fi
[[ "${mode[0]}" == -i ]] || echo "format.sh: ${#files[@]} files follow .clang-format"
