#!/usr/bin/env bash
# The fleet comparison in docs/BENCHMARKS.md: the same OpenAI image load (n=1, URL response,
# passthrough) straight at the upstream simulator, through one replica on SQLite (the embedded
# default), one replica on PostgreSQL, and two replicas on one PostgreSQL database taking the
# requests in turn, at concurrency 1, 16 and 64. PostgreSQL is a throwaway local cluster.
# Usage: bench/fleet.sh [--requests N]   (default 400 per path and concurrency)
set -euo pipefail
cd "$(dirname "$0")/.."
requests=400
if [[ "${1:-}" == "--requests" ]]; then requests=$2; fi

# shellcheck source=bench/common.sh
source bench/common.sh
simulator_port=18811 sqlite_port=18812 postgres_port=18813 first_port=18814 second_port=18815

postgres_dir=/tmp/likeness-bench-postgres-$$
trap 'cleanup; scripts/postgres.sh stop "$postgres_dir" 2>/dev/null || true' EXIT
server=$(scripts/postgres.sh start "$postgres_dir" 18816)
one_replica=${server/\/likeness\?/\/bench_one?}
two_replicas=${server/\/likeness\?/\/bench_two?}
psql "${server%%\?*}" -qc "CREATE DATABASE bench_one" -c "CREATE DATABASE bench_two"

"$bin/likeness" simulate openai --port $simulator_port >"$work/simulator.log" 2>&1 &
simulator=$!
pids+=($simulator)
passthrough=(LIKENESS_ENGINE_SIMULATOR_RESULTS=passthrough)

serve_likeness $sqlite_port sqlite "${passthrough[@]}"
sqlite=$!
serve_likeness $postgres_port postgres "${passthrough[@]}" LIKENESS_DATABASE_URL="$one_replica"
postgres=$!
wait_for http://127.0.0.1:$postgres_port/health
serve_likeness $first_port first "${passthrough[@]}" LIKENESS_DATABASE_URL="$two_replicas"
first=$!
wait_for http://127.0.0.1:$first_port/health
serve_likeness $second_port second "${passthrough[@]}" LIKENESS_DATABASE_URL="$two_replicas"
second=$!

wait_for http://127.0.0.1:$simulator_port/simulator/requests
wait_for http://127.0.0.1:$sqlite_port/health
wait_for http://127.0.0.1:$second_port/health

machine_line
echo "PostgreSQL: $(psql --version)"
"$bin/LikenessBench" gateways --requests "$requests" \
    "direct=http://127.0.0.1:$simulator_port/v1,none,any,$simulator" \
    "sqlite=http://127.0.0.1:$sqlite_port/v1,$likeness_key,image-01,$sqlite" \
    "postgres=http://127.0.0.1:$postgres_port/v1,$likeness_key,image-01,$postgres" \
    "postgres-2-replicas=http://127.0.0.1:$first_port/v1|http://127.0.0.1:$second_port/v1,$likeness_key,image-01,$first|$second"
