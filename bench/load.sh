#!/usr/bin/env bash
# Load without collapse (docs/BENCHMARKS.md): the OpenAI generations route (n=1, URL response)
# driven by wrk at rising concurrency, with the upstream an nginx stub that answers one fixed
# body at once, so that what is measured is the gateway alone. Likeness passes the upstream's
# URL through, on SQLite (the embedded default) and on PostgreSQL (a throwaway local cluster);
# the LiteLLM proxy (OpenAI passthrough) takes the same load in the same run. Prints one table
# with the command, the machine and the commit.
# Usage: bench/load.sh [--seconds N] [--slots N] [--concurrency "1 16 64 256"] [--no-litellm]
#   --seconds N    each measurement's length (default 10)
#   --slots N      LIKENESS_MAX_CONCURRENT_JOBS (default 64: above it, requests wait in the queue)
#   --no-litellm   leave LiteLLM out (it is installed from PyPI on first use)
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="bench/load.sh $*"
seconds=10 slots=64 concurrency="1 16 64 256" litellm=true
while (($# > 0)); do
    case "$1" in
    --seconds) seconds=$2 && shift 2 ;;
    --slots) slots=$2 && shift 2 ;;
    --concurrency) concurrency=$2 && shift 2 ;;
    --no-litellm) litellm=false && shift ;;
    *) echo "usage: bench/load.sh [--seconds N] [--slots N] [--concurrency \"1 16 64 256\"] [--no-litellm]" >&2 && exit 2 ;;
    esac
done

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
if ((${#missing[@]} > 0)); then
    sudo_cmd=()
    [[ "$(id -u)" == 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# shellcheck source=bench/common.sh
source bench/common.sh
$litellm && install_litellm
stub_port=18901 sqlite_port=18902 postgres_port=18903 litellm_port=18904

postgres_dir=/tmp/likeness-bench-load-postgres-$$
trap 'cleanup; scripts/postgres.sh stop "$postgres_dir" 2>/dev/null || true; nginx -s stop -c "$work/nginx.conf" 2>/dev/null || true' EXIT
database=$(scripts/postgres.sh start "$postgres_dir" 18905)

# The stub: one worker, keep-alive without limit, the OpenAI images answer with one URL.
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    client_body_temp_path $work/nginx-body;
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$stub_port;
        location / {
            default_type application/json;
            return 200 '{"created":1765000000,"data":[{"url":"https://cdn.example.com/stub/image.jpeg"}]}';
        }
    }
}
NGINX
nginx -c "$work/nginx.conf"

simulator_port=$stub_port
serve_likeness $sqlite_port sqlite LIKENESS_ENGINE_SIMULATOR_RESULTS=passthrough LIKENESS_MAX_CONCURRENT_JOBS="$slots"
serve_likeness $postgres_port postgres LIKENESS_ENGINE_SIMULATOR_RESULTS=passthrough \
    LIKENESS_MAX_CONCURRENT_JOBS="$slots" LIKENESS_DATABASE_URL="$database"
if $litellm; then
    cat >"$work/litellm.yaml" <<YAML
model_list:
  - model_name: passthrough
    litellm_params: {model: openai/passthrough, api_base: "http://127.0.0.1:$stub_port/v1", api_key: x}
    model_info: {mode: image_generation}
litellm_settings: {callbacks: [], num_retries: 0, drop_params: true}
general_settings: {master_key: sk-bench}
YAML
    LITELLM_LOCAL_MODEL_COST_MAP=True .venv-bench/bin/litellm --config "$work/litellm.yaml" --port $litellm_port \
        >"$work/litellm.log" 2>&1 &
    pids+=($!)
fi
for port in $sqlite_port $postgres_port; do wait_for http://127.0.0.1:$port/health; done
$litellm && wait_for http://127.0.0.1:$litellm_port/health/liveliness

# wrk's own summary, as numbers: requests, req/s, p50 and p99 in ms, errors (socket and non-2xx).
cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT %d %.0f %.2f %.2f %d\n", summary.requests,
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(99) / 1000, e.connect + e.read + e.write + e.status + e.timeout))
end
LUA
# $1 name, $2 base URL, $3 key, $4 model, $5 pid (for its peak RSS)
measure() {
    local name=$1 url=$2 key=$3 model=$4 pid=$5
    cat >"$work/$name.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
wrk.body = '{"model":"$model","prompt":"a lighthouse at dawn","n":1,"response_format":"url"}'
$(cat "$work/report.lua")
LUA
    # A short warm-up: connections, prepared statements, the key's cache.
    wrk -t 1 -c 4 -d 2s -s "$work/$name.lua" "$url/images/generations" >/dev/null
    for c in $concurrency; do
        local threads=$((c < 2 ? 1 : 2))
        local line
        line=$(wrk -t $threads -c "$c" -d "${seconds}s" --timeout 30s -s "$work/$name.lua" "$url/images/generations" |
            awk '/^RESULT/ {print $2, $3, $4, $5, $6}')
        read -r requests rate p50 p99 errors <<<"$line"
        local rss
        rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
        echo "| $name | $c | $requests | $rate | $p50 | $p99 | $errors | $rss |"
    done
}

echo "Command: $command_line"
echo "Commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources || echo ' (with uncommitted changes)')"
machine_line
echo "Load: wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}'), ${seconds} s per row; stub: $(nginx -v 2>&1 | sed 's/.*: //'); LIKENESS_MAX_CONCURRENT_JOBS=$slots"
echo
echo "| gateway | concurrency | requests | req/s | p50 ms | p99 ms | errors | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
measure sqlite-passthrough "http://127.0.0.1:$sqlite_port/v1" "$likeness_key" image-01 "${pids[0]}"
measure postgres-passthrough "http://127.0.0.1:$postgres_port/v1" "$likeness_key" image-01 "${pids[1]}"
$litellm && measure litellm "http://127.0.0.1:$litellm_port/v1" sk-bench passthrough "${pids[2]}"
true
