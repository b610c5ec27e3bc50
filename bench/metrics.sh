#!/usr/bin/env bash
# What metrics cost per request, for docs/BENCHMARKS.md: first in process, the ten series
# updates of one generation counted into a Prometheus registry against no-op handlers; then the
# OpenAI image load of
# bench/gateways.sh (n=1, URL response, passthrough) straight at the upstream simulator and
# through two Likeness servers in the same run, one counting every series for /metrics
# (`LIKENESS_METRICS_ACCESS=admin`, the default) and one not (`off`).
# Usage: bench/metrics.sh [--requests N]   (default 1000 per path and concurrency)
set -euo pipefail
cd "$(dirname "$0")/.."
requests=1000
if [[ "${1:-}" == "--requests" ]]; then requests=$2; fi

# shellcheck source=bench/common.sh
source bench/common.sh
simulator_port=18821 on_port=18822 off_port=18823

"$bin/likeness" simulate openai --port $simulator_port >"$work/simulator.log" 2>&1 &
simulator=$!
pids+=($simulator)

serve_likeness $on_port metrics-on LIKENESS_ACCESS_LOG=off LIKENESS_METRICS_ACCESS=admin \
    LIKENESS_ENGINE_SIMULATOR_RESULTS=passthrough
on=$!
serve_likeness $off_port metrics-off LIKENESS_ACCESS_LOG=off LIKENESS_METRICS_ACCESS=off \
    LIKENESS_ENGINE_SIMULATOR_RESULTS=passthrough
off=$!

wait_for http://127.0.0.1:$simulator_port/simulator/requests
wait_for http://127.0.0.1:$on_port/health
wait_for http://127.0.0.1:$off_port/health

machine_line
"$bin/LikenessBench" metrics-cost --requests 1000000
"$bin/LikenessBench" gateways --requests "$requests" \
    "direct=http://127.0.0.1:$simulator_port/v1,none,any,$simulator" \
    "metrics-off=http://127.0.0.1:$off_port/v1,$likeness_key,image-01,$off" \
    "metrics-on=http://127.0.0.1:$on_port/v1,$likeness_key,image-01,$on"
curl -fs -H "Authorization: Bearer $likeness_key" http://127.0.0.1:$on_port/metrics | grep -c '^likeness_' |
    xargs -I{} echo "metrics-on exposes {} samples after the run"
