#!/usr/bin/env bash
# Fair shares of the queue between accounts, for docs/BENCHMARKS.md: one account queues a
# backlog through fal's queue, then a second account queues a few jobs; their wait against the
# time the backlog took to drain (their wait first-in first-out), for each weight of the second
# account. Likeness (4 workers) in front of the OpenAI-compatible simulator answering in
# LATENCY ms, once on SQLite and once on PostgreSQL.
# Usage: bench/fair-share.sh [--backlog N] [--few N] [--latency-ms MS]   (default 200, 10, 200)
set -euo pipefail
cd "$(dirname "$0")/.."
backlog=200 few=10 latency=200
while (($#)); do
    case $1 in
    --backlog) backlog=$2 ;;
    --few) few=$2 ;;
    --latency-ms) latency=$2 ;;
    *) echo "unknown option $1" >&2 && exit 2 ;;
    esac
    shift 2
done

# shellcheck source=bench/common.sh
source bench/common.sh
simulator_port=18831 sqlite_port=18832 postgres_port=18833
postgres_dir=/tmp/likeness-bench-fair-$$
trap 'cleanup; scripts/postgres.sh stop "$postgres_dir" 2>/dev/null || true' EXIT
database=$(scripts/postgres.sh start "$postgres_dir" 18834)

"$bin/likeness" simulate openai --port $simulator_port --latency-ms "$latency" >"$work/simulator.log" 2>&1 &
pids+=($!)
workers=(LIKENESS_MAX_CONCURRENT_JOBS=4 LIKENESS_ENGINE_SIMULATOR_MAX_CONCURRENT=4 LIKENESS_QUEUE_MAX_QUEUED_JOBS=100000)
serve_likeness $sqlite_port sqlite "${workers[@]}"
serve_likeness $postgres_port postgres "${workers[@]}" LIKENESS_DATABASE_URL="$database"
wait_for http://127.0.0.1:$sqlite_port/health
wait_for http://127.0.0.1:$postgres_port/health

machine_line
echo "Commit $(git rev-parse --short HEAD); simulator latency $latency ms; 4 workers"
for store in sqlite postgres; do
    port=sqlite_port
    [[ $store == postgres ]] && port=postgres_port
    echo
    echo "$store:"
    echo
    "$bin/LikenessBench" fair-share --base "http://127.0.0.1:${!port}" --key "$likeness_key" \
        --backlog "$backlog" --few "$few" --weights 1,4
done
