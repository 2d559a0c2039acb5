#!/usr/bin/env bash
# docs/design.md invariant 6: money is integer minor units; no floating point
# anywhere in the agent's domain, ledger or CLI. Fails on any float/double
# type or floating literal suffix in agent/ sources.
set -euo pipefail
root="${1:?usage: no-floating-point.sh AGENT_DIR}"
if hits=$(grep -rnE '\b(float|double|long double)\b|std::sto[fd]|strto[fd]|atof' \
            --include='*.cpp' --include='*.hpp' "$root"); then
  echo "floating point found in $root (money must be integer minor units):"
  echo "$hits"
  exit 1
fi
echo "no floating point in $root"
