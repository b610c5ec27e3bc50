#!/usr/bin/env bash
# The gateway comparison in docs/BENCHMARKS.md: the same OpenAI image load (n=1, URL response)
# straight at the upstream simulator, through Likeness (its OpenAI-compatible engine) passing the
# upstream's URL through and re-hosting the result, each on SQLite (the embedded default) and on
# PostgreSQL (a throwaway local cluster), and through the LiteLLM proxy (OpenAI passthrough, the
# fair comparison by api-notes.md), at concurrency 1, 16 and 64.
# Usage: bench/gateways.sh [--requests N] [--statements]
#   --requests N   per path and concurrency (default 400)
#   --statements   also keep PostgreSQL's statement statistics (pg_stat_statements, planning
#                  included) and print, per database, the time spent planning and executing
set -euo pipefail
cd "$(dirname "$0")/.."
requests=400
statements=false
while (($# > 0)); do
    case "$1" in
    --requests) requests=$2 && shift 2 ;;
    --statements) statements=true && shift ;;
    *) echo "usage: bench/gateways.sh [--requests N] [--statements]" >&2 && exit 2 ;;
    esac
done
if $statements; then
    export LIKENESS_POSTGRES_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on"
fi

# shellcheck source=bench/common.sh
source bench/common.sh
install_litellm
simulator_port=18801 rehost_port=18802 litellm_port=18803 passthrough_port=18804
postgres_rehost_port=18805 postgres_passthrough_port=18806

postgres_dir=/tmp/likeness-bench-postgres-$$
trap 'cleanup; scripts/postgres.sh stop "$postgres_dir" 2>/dev/null || true' EXIT
server=$(scripts/postgres.sh start "$postgres_dir" 18807)
psql "${server%%\?*}" -qc "CREATE DATABASE bench_rehost" -c "CREATE DATABASE bench_passthrough"
$statements && psql "${server%%\?*}" -qc "CREATE EXTENSION pg_stat_statements"

"$bin/likeness" simulate openai --port $simulator_port >"$work/simulator.log" 2>&1 &
simulator=$!
pids+=($simulator)

serve_likeness $passthrough_port passthrough LIKENESS_ENGINE_SIMULATOR_RESULTS=passthrough
passthrough=$!
serve_likeness $rehost_port rehost LIKENESS_ENGINE_SIMULATOR_RESULTS=rehost
rehost=$!
serve_likeness $postgres_passthrough_port postgres-passthrough LIKENESS_ENGINE_SIMULATOR_RESULTS=passthrough \
    LIKENESS_DATABASE_URL="${server/\/likeness\?/\/bench_passthrough?}"
postgres_passthrough=$!
serve_likeness $postgres_rehost_port postgres-rehost LIKENESS_ENGINE_SIMULATOR_RESULTS=rehost \
    LIKENESS_DATABASE_URL="${server/\/likeness\?/\/bench_rehost?}"
postgres_rehost=$!

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
for port in $passthrough_port $rehost_port $postgres_passthrough_port $postgres_rehost_port; do
    wait_for http://127.0.0.1:$port/health
done
wait_for http://127.0.0.1:$litellm_port/health/liveliness

machine_line
echo "PostgreSQL: $(psql --version)"
"$bin/LikenessBench" gateways --requests "$requests" \
    "direct=http://127.0.0.1:$simulator_port/v1,none,any,$simulator" \
    "sqlite-passthrough=http://127.0.0.1:$passthrough_port/v1,$likeness_key,image-01,$passthrough" \
    "sqlite-rehost=http://127.0.0.1:$rehost_port/v1,$likeness_key,image-01,$rehost" \
    "postgres-passthrough=http://127.0.0.1:$postgres_passthrough_port/v1,$likeness_key,image-01,$postgres_passthrough" \
    "postgres-rehost=http://127.0.0.1:$postgres_rehost_port/v1,$likeness_key,image-01,$postgres_rehost" \
    "litellm=http://127.0.0.1:$litellm_port/v1,sk-bench,passthrough,$litellm"

if $statements; then
    echo
    echo "PostgreSQL statements over the whole run (pg_stat_statements; parsing is not counted):"
    psql "${server%%\?*}" -qP footer=off -c "
        SELECT d.datname AS database, sum(s.calls) AS calls,
            round(sum(s.total_plan_time)::numeric, 1) AS plan_ms, round(sum(s.total_exec_time)::numeric, 1) AS exec_ms,
            round((1000 * sum(s.total_plan_time) / sum(s.calls))::numeric, 1) AS plan_us_per_call,
            round((100 * sum(s.total_plan_time) / nullif(sum(s.total_plan_time + s.total_exec_time), 0))::numeric, 1)
                AS plan_percent
        FROM pg_stat_statements AS s JOIN pg_database AS d ON d.oid = s.dbid
        WHERE d.datname LIKE 'bench_%' GROUP BY d.datname ORDER BY d.datname"
    psql "${server%%\?*}" -qP footer=off -c "
        SELECT sum(s.calls) AS calls, round((1000 * sum(s.total_plan_time) / sum(s.calls))::numeric, 1) AS plan_us,
            round((1000 * sum(s.total_exec_time) / sum(s.calls))::numeric, 1) AS exec_us, left(s.query, 70) AS statement
        FROM pg_stat_statements AS s JOIN pg_database AS d ON d.oid = s.dbid
        WHERE d.datname = 'bench_passthrough' GROUP BY s.query ORDER BY sum(s.total_plan_time) DESC LIMIT 8"
fi
