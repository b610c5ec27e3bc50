# Sourced by the benchmark scripts that run Likeness beside LiteLLM: release builds, the LiteLLM
# venv, a scratch folder whose processes stop with the script, and a wait for readiness.
# Sets: bin, work, pids, likeness_key; defines wait_for URL, serve_likeness, machine_line and
# install_litellm (for the scripts that run LiteLLM).
# LIKENESS_BENCH_BIN names a folder with `likeness` and `LikenessBench` built before (another
# commit's, for a before-and-after in one sitting); without it, this tree is built in release mode.
scripts/bootstrap.sh
if [[ -z "${LIKENESS_BENCH_BIN:-}" ]]; then
    swift build -c release --scratch-path .build-release --product likeness
    swift build -c release --scratch-path .build-release --product LikenessBench
fi
install_litellm() {
    [[ -x .venv-bench/bin/litellm ]] || { python3 -m venv .venv-bench && .venv-bench/bin/pip install -q -r bench/requirements-litellm.txt; }
}

bin=${LIKENESS_BENCH_BIN:-.build-release/release}
work=$(mktemp -d)
pids=()
cleanup() {
    kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
likeness_key=lk_bench-0123456789abcdef0123456789abcdef

wait_for() {
    for _ in $(seq 1 300); do
        curl -fs -o /dev/null "$1" && return 0
        sleep 0.2
    done
    echo "not ready: $1" >&2
    cat "$work"/*.log >&2
    exit 1
}

# `likeness serve` on port $1, its log and data named $2, routed to the OpenAI-compatible
# simulator on $simulator_port with no pacing; more environment (VAR=value ...) may follow.
# Its pid is $! after the call.
serve_likeness() {
    local port=$1 name=$2
    shift 2
    env LIKENESS_LOG_LEVEL=warning LIKENESS_API_KEY="$likeness_key" LIKENESS_MAX_CONCURRENT_JOBS=64 \
        LIKENESS_ENGINES=simulator LIKENESS_ENGINE_SIMULATOR_KIND=openai \
        LIKENESS_ENGINE_SIMULATOR_BASE_URL="http://127.0.0.1:$simulator_port/v1" \
        LIKENESS_ENGINE_SIMULATOR_REQUESTS_PER_MINUTE=0 LIKENESS_ENGINE_SIMULATOR_MAX_CONCURRENT=256 "$@" \
        "$bin/likeness" serve --port "$port" --data-dir "$work/data-$name" >"$work/likeness-$name.log" 2>&1 &
    pids+=($!)
}

machine_line() {
    local litellm=""
    [[ -x .venv-bench/bin/pip ]] && litellm="; LiteLLM $(.venv-bench/bin/pip show litellm | awk '/^Version/ {print $2}')"
    echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)$litellm"
}
