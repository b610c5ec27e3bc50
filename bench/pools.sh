#!/usr/bin/env bash
# The upstream pool utilisation in docs/BENCHMARKS.md: one provider simulator that allows each
# key 60 requests a minute, counted strictly over any 10 s (so at most 10 in any 10 s), and a
# backlog of N requests per account sent at once by a client that retries 429s and 5xx:
# through Likeness with a pool of 1, 2 and 3 accounts (each paced at 58 a minute), and through
# the LiteLLM proxy with 3 deployments of `rpm: 60`.
# Usage: bench/pools.sh [--per-account N]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
per_account=30
if [[ "${1:-}" == "--per-account" ]]; then per_account=$2; fi

# shellcheck source=bench/common.sh
source bench/common.sh
install_litellm
simulator_port=18811 litellm_port=18815

"$bin/likeness" simulate openai --port $simulator_port --rpm 60 --rate-window-seconds 10 >"$work/simulator.log" 2>&1 &
pids+=($!)

serve() { # port, accounts: each run has keys of its own, so runs do not share the provider's windows
    local port=$1 accounts=$2 names=() route
    for index in $(seq 1 "$accounts"); do names+=("a$index"); done
    route=$(
        IFS='|'
        echo "${names[*]}"
    )
    local environment=(
        LIKENESS_LOG_LEVEL=warning LIKENESS_API_KEY=$likeness_key LIKENESS_QUEUE_SYNC_WAIT_SECONDS=600
        LIKENESS_QUEUE_MAX_QUEUED_JOBS=10000 "LIKENESS_ENGINES=$(
            IFS=,
            echo "${names[*]}"
        )" "LIKENESS_ROUTES_IMAGE_01=$route"
    )
    for name in "${names[@]}"; do
        local upper=${name^^}
        environment+=(
            "LIKENESS_ENGINE_${upper}_KIND=openai" "LIKENESS_ENGINE_${upper}_BASE_URL=http://127.0.0.1:$simulator_port/v1"
            "LIKENESS_ENGINE_${upper}_API_KEY=run$accounts-$name" "LIKENESS_ENGINE_${upper}_REQUESTS_PER_MINUTE=58"
            "LIKENESS_ENGINE_${upper}_MAX_CONCURRENT=5"
        )
    done
    env "${environment[@]}" "$bin/likeness" serve --port "$port" --data-dir "$work/data-$accounts" \
        >"$work/likeness-$accounts.log" 2>&1 &
    pids+=($!)
}
for accounts in 1 2 3; do serve $((18811 + accounts)) "$accounts"; done

cat >"$work/litellm.yaml" <<YAML
model_list:
YAML
for name in a b c; do
    cat >>"$work/litellm.yaml" <<YAML
  - model_name: pool
    litellm_params: {model: openai/pool, api_base: "http://127.0.0.1:$simulator_port/v1", api_key: litellm-$name, rpm: 60}
    model_info: {mode: image_generation}
YAML
done
cat >>"$work/litellm.yaml" <<YAML
router_settings: {routing_strategy: usage-based-routing-v2}
litellm_settings: {callbacks: [], num_retries: 0, drop_params: true}
general_settings: {master_key: sk-bench}
YAML
LITELLM_LOCAL_MODEL_COST_MAP=True .venv-bench/bin/litellm --config "$work/litellm.yaml" --port $litellm_port \
    >"$work/litellm.log" 2>&1 &
pids+=($!)

wait_for http://127.0.0.1:$simulator_port/simulator/requests
for accounts in 1 2 3; do wait_for http://127.0.0.1:$((18811 + accounts))/health; done
wait_for http://127.0.0.1:$litellm_port/health/liveliness

machine_line
"$bin/LikenessBench" pools --simulator http://127.0.0.1:$simulator_port --rpm 60 --per-account "$per_account" \
    "likeness-1=http://127.0.0.1:18812/v1,$likeness_key,image-01,1" \
    "likeness-2=http://127.0.0.1:18813/v1,$likeness_key,image-01,2" \
    "likeness-3=http://127.0.0.1:18814/v1,$likeness_key,image-01,3" \
    "litellm-3=http://127.0.0.1:$litellm_port/v1,sk-bench,pool,3"
