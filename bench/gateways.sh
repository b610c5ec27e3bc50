#!/usr/bin/env bash
# The gateway comparison in docs/BENCHMARKS.md: the same OpenAI image load (n=1, URL response)
# straight at the upstream simulator, through Likeness (its OpenAI-compatible engine) re-hosting
# the result and passing the upstream's URL through, and through the LiteLLM proxy (OpenAI
# passthrough, the fair comparison by api-notes.md), at concurrency 1, 16 and 64.
# Usage: bench/gateways.sh [--requests N]   (default 400 per path and concurrency)
set -euo pipefail
cd "$(dirname "$0")/.."
requests=400
if [[ "${1:-}" == "--requests" ]]; then requests=$2; fi

# shellcheck source=bench/common.sh
source bench/common.sh
simulator_port=18801 likeness_port=18802 litellm_port=18803 passthrough_port=18804

"$bin/likeness" simulate openai --port $simulator_port >"$work/simulator.log" 2>&1 &
simulator=$!
pids+=($simulator)

serve_likeness $likeness_port rehost LIKENESS_ENGINE_SIMULATOR_RESULTS=rehost
likeness=$!
serve_likeness $passthrough_port passthrough LIKENESS_ENGINE_SIMULATOR_RESULTS=passthrough
passthrough=$!

cat >"$work/litellm.yaml" <<YAML
model_list:
  - model_name: passthrough
    litellm_params: {model: openai/passthrough, api_base: "http://127.0.0.1:$simulator_port/v1", api_key: x}
    model_info: {mode: image_generation}
litellm_settings: {callbacks: [], num_retries: 0, drop_params: true}
general_settings: {master_key: sk-bench}
YAML
LITELLM_LOCAL_MODEL_COST_MAP=True .venv-bench/bin/litellm --config "$work/litellm.yaml" --port $litellm_port \
    >"$work/litellm.log" 2>&1 &
litellm=$!
pids+=($litellm)

wait_for http://127.0.0.1:$simulator_port/simulator/requests
wait_for http://127.0.0.1:$likeness_port/health
wait_for http://127.0.0.1:$passthrough_port/health
wait_for http://127.0.0.1:$litellm_port/health/liveliness

machine_line
"$bin/LikenessBench" gateways --requests "$requests" \
    "direct=http://127.0.0.1:$simulator_port/v1,none,any,$simulator" \
    "likeness-rehost=http://127.0.0.1:$likeness_port/v1,$likeness_key,image-01,$likeness" \
    "likeness-passthrough=http://127.0.0.1:$passthrough_port/v1,$likeness_key,image-01,$passthrough" \
    "litellm=http://127.0.0.1:$litellm_port/v1,sk-bench,passthrough,$litellm"
