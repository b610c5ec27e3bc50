#!/usr/bin/env bash
# Identity scoring, for docs/BENCHMARKS.md. Installs the models and the photos
# (scripts/face-models.sh), builds in release mode, then:
#   1. the scorer alone on the offline evaluation set: score distributions, error rates at dlib's
#      threshold, time per 1024x1024 image on one core, model memory (LikenessBench identity);
#   2. what scoring adds to a request: native subject-reference requests (preview engine, n=1,
#      1:1, the photo as a data URL), one at a time, against `likeness serve` with scoring on and
#      with it off.
# Usage: bench/identity.sh [--requests N]   (default 20 per server)
set -euo pipefail
cd "$(dirname "$0")/.."
requests=20
if [[ "${1:-}" == "--requests" ]]; then requests=$2; fi
models=${LIKENESS_IDENTITY_MODELS:-/usr/local/share/likeness/face-models}
photos=${LIKENESS_TEST_FACE_PHOTOS:-.cache/face-photos}
scripts/bootstrap.sh
scripts/face-models.sh "$models" --photos "$photos"
swift build -c release --scratch-path .build-release --product likeness >/dev/null
swift build -c release --scratch-path .build-release --product LikenessBench >/dev/null
bin=.build-release/release
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), commit $(git rev-parse --short HEAD)"
echo
"$bin/LikenessBench" identity --models "$models" --photos "$photos"

key=lk_bench-0123456789abcdef0123456789abcdef
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cat >"$work/request.json" <<JSON
{"model": "image-01", "prompt": "the same person at the seaside", "aspect_ratio": "1:1", "n": 1,
 "subject_reference": [{"type": "character", "image_file": "data:image/jpeg;base64,$(base64 -w0 "$photos/obama.jpg")"}]}
JSON
echo
echo "| scoring | requests | p50 ms | p90 ms | identity score |"
echo "| --- | --- | --- | --- | --- |"
for scoring in off on; do
    port=$(free_port)
    LIKENESS_LOG_LEVEL=warning LIKENESS_API_KEY=$key LIKENESS_IDENTITY_SCORING=$scoring \
        LIKENESS_IDENTITY_MODELS="$models" "$bin/likeness" serve --port "$port" --data-dir "$work/data-$scoring" \
        >"$work/serve-$scoring.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.2; done
    : >"$work/times"
    for _ in $(seq 1 "$requests"); do
        curl -s -o "$work/reply.json" -w '%{time_total}\n' "http://127.0.0.1:$port/v1/image_generation" \
            -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data @"$work/request.json" \
            >>"$work/times"
    done
    python3 - "$work/times" "$work/reply.json" "$scoring" "$requests" <<'PY'
import json, sys
times = sorted(float(line) * 1000 for line in open(sys.argv[1]))
reply = json.load(open(sys.argv[2]))
assert reply["base_resp"]["status_code"] == 0, reply
score = reply.get("metadata", {}).get("identity_scores", ["–"])[0]
print(f"| {sys.argv[3]} | {sys.argv[4]} | {times[len(times) // 2]:.0f} | {times[int(len(times) * 0.9)]:.0f} | {score} |")
PY
done
