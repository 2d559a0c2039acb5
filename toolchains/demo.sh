#!/usr/bin/env bash
# The demo store with its cloud: oms-sim (the reference cloud OMS) in the
# background on 127.0.0.1:8788, and store-agent --demo pushing to it. Ctrl-C
# stops both. Run from the checkout after the README's build.
#
#   toolchains/demo.sh [--no-cloud]
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x build/bin/store-agent || ! -x build/bin/oms-sim ]]; then
  echo "demo: build first: cmake -S . -B build && cmake --build build -j\"\$(nproc)\"" >&2
  exit 1
fi
if [[ "${1:-}" == "--no-cloud" ]]; then exec build/bin/store-agent --demo; fi
cloud=127.0.0.1:8788
rm -f oms-sim-demo-data/url
build/bin/oms-sim --listen "$cloud" --data-dir oms-sim-demo-data --log-level warn > /dev/null &
oms=$!
trap 'kill "$oms" 2>/dev/null; wait "$oms" 2>/dev/null || true' EXIT
# The cloud is up when its url file names it (it writes it once it listens).
for _ in $(seq 1 100); do
  grep -q "$cloud" oms-sim-demo-data/url 2>/dev/null && break
  if ! kill -0 "$oms" 2>/dev/null; then
    echo "demo: oms-sim did not start (is $cloud in use?); running the store without a cloud" >&2
    exec build/bin/store-agent --demo
  fi
  sleep 0.1
done
build/bin/store-agent --demo --cloud "http://$cloud"
