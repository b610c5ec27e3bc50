#!/usr/bin/env bash
# A request by `character_id` against the same request with the photo inline, for
# docs/BENCHMARKS.md: native subject-reference requests (preview engine, n=1, 1:1), one at a
# time, against one release `likeness serve` with identity scoring on; the photo is the
# evaluation set's `obama.jpg` (910×1137, 347 KB), then `obama2.jpg` (626×1200, 229 KB). Then the
# rules that combine a character's photos, and dlib's two face detectors, on the evaluation set
# (LikenessBench characters, LikenessBench detectors).
# Usage: bench/characters.sh [--requests N]   (default 40 per row)
set -euo pipefail
cd "$(dirname "$0")/.."
requests=40
if [[ "${1:-}" == "--requests" ]]; then requests=$2; fi
models=${LIKENESS_IDENTITY_MODELS:-/usr/local/share/likeness/face-models}
photos=${LIKENESS_TEST_FACE_PHOTOS:-.cache/face-photos}
scripts/bootstrap.sh
scripts/face-models.sh "$models" --photos "$photos"
if [[ -z "${LIKENESS_BENCH_BIN:-}" ]]; then
    swift build -c release --scratch-path .build-release --product likeness >/dev/null
    swift build -c release --scratch-path .build-release --product LikenessBench >/dev/null
fi
bin=${LIKENESS_BENCH_BIN:-.build-release/release}
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), commit $(git rev-parse --short HEAD)"
key=lk_bench-0123456789abcdef0123456789abcdef
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
LIKENESS_LOG_LEVEL=warning LIKENESS_API_KEY=$key LIKENESS_IDENTITY_MODELS="$models" \
    "$bin/likeness" serve --port "$port" --data-dir "$work/data" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -fs -o /dev/null "$base/health" && break; sleep 0.2; done

cp "$photos/obama.jpg" "$work/obama.jpg"
cp "$photos/obama2.jpg" "$work/obama2.jpg"

echo
echo "| photo | reference | requests | bytes sent | p50 ms | p90 ms | server total p50 ms | identity score |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for photo in obama obama2; do
    character=$(curl -s "$base/v1/characters" -H "Authorization: Bearer $key" -F "image=@$work/$photo.jpg;type=image/jpeg" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
    python3 - "$work/$photo.jpg" "$character" "$work" <<'PY'
import base64, json, sys
photo, character, work = sys.argv[1:]
common = {"model": "image-01", "prompt": "the same person at the seaside", "aspect_ratio": "1:1", "n": 1}
inline = dict(common, subject_reference=[{"type": "character", "image_file":
    "data:image/jpeg;base64," + base64.b64encode(open(photo, "rb").read()).decode()}])
stored = dict(common, subject_reference=[{"type": "character", "character_id": character}])
json.dump(inline, open(f"{work}/inline.json", "w"))
json.dump(stored, open(f"{work}/character.json", "w"))
PY
    for kind in inline character; do
        : >"$work/times"
        for _ in $(seq 1 "$requests"); do
            curl -s -o "$work/reply.json" -D "$work/headers" -w '%{time_total} %{size_upload}\n' "$base/v1/image_generation" \
                -H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data @"$work/$kind.json" \
                >>"$work/times"
            grep -i '^server-timing' "$work/headers" | sed -E 's/.*total;dur=([0-9.]+).*/\1/' >>"$work/totals"
        done
        python3 - "$work/times" "$work/totals" "$work/reply.json" "$photo" "$kind" "$requests" <<'PY'
import json, sys
rows = [line.split() for line in open(sys.argv[1])]
times = sorted(float(t) * 1000 for t, _ in rows)
sent = int(float(rows[0][1]))
totals = sorted(float(line) for line in open(sys.argv[2]) if line.strip())[-len(rows):]
reply = json.load(open(sys.argv[3]))
assert reply["base_resp"]["status_code"] == 0, reply
score = reply["metadata"].get("identity_scores", ["–"])[0]
p = lambda values, q: values[min(len(values) - 1, int(len(values) * q))]
print(f"| {sys.argv[4]} | {sys.argv[5]} | {sys.argv[6]} | {sent:,} | {p(times, 0.5):.0f} | {p(times, 0.9):.0f} "
      f"| {p(sorted(totals), 0.5):.0f} | {score} |")
PY
        : >"$work/totals"
    done
done

# The reference check's policies, through the server itself: each image of the hard set (the
# photos under nine conditions) and 20 drawn pictures (the preview engine's, image-01-live in each
# of its four styles: no photographed face in them) sent as a reference, once to a server at
# `reject` and once at `warn`.
"$bin/LikenessBench" variants --photos "$photos" --out "$work/photos" >/dev/null
mkdir -p "$work/drawn"
styles=("漫画" "元气" "中世纪" "水彩")
for index in $(seq 0 19); do
    style=${styles[$((index % 4))]}
    curl -s "$base/v1/image_generation" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        -d "{\"model\":\"image-01-live\",\"prompt\":\"a portrait of character $index\",\"response_format\":\"base64\",\"style\":{\"style_type\":\"$style\"}}" |
        python3 -c "import base64, json, sys; sys.stdout.buffer.write(base64.b64decode(json.load(sys.stdin)['data']['image_base64'][0]))" \
            >"$work/drawn/$index.jpg"
done
echo
echo "| policy | photos refused | photos scored | drawn pictures refused | drawn pictures let through with a note |"
echo "| --- | --- | --- | --- | --- |"
for policy in reject warn; do
    policy_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    LIKENESS_LOG_LEVEL=warning LIKENESS_API_KEY=$key LIKENESS_IDENTITY_MODELS="$models" \
        LIKENESS_IDENTITY_REFERENCE_CHECK=$policy \
        "$bin/likeness" serve --port "$policy_port" --data-dir "$work/data-$policy" >"$work/serve-$policy.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$policy_port/health" && break; sleep 0.2; done
    python3 - "http://127.0.0.1:$policy_port" "$key" "$work/photos" "$work/drawn" "$policy" <<'PY'
import base64, json, os, sys, urllib.request
base, key, photos, drawn, policy = sys.argv[1:]
def outcome(path):
    data = "data:image/jpeg;base64," + base64.b64encode(open(path, "rb").read()).decode()
    body = json.dumps({"model": "image-01", "prompt": "the same person", "subject_reference":
                       [{"type": "character", "image_file": data}]}).encode()
    request = urllib.request.Request(base + "/v1/image_generation", body, {
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    reply = json.load(urllib.request.urlopen(request, timeout=120))
    if reply["base_resp"]["status_code"] == 2013:
        return "refused"
    assert reply["base_resp"]["status_code"] == 0, reply
    scores = reply["metadata"].get("identity_scores") or []
    return "scored" if scores and scores[0] is not None else "noted"
def tally(folder):
    outcomes = [outcome(os.path.join(folder, name)) for name in sorted(os.listdir(folder))]
    return {kind: outcomes.count(kind) for kind in ("refused", "scored", "noted")}, len(outcomes)
real, real_count = tally(photos)
fake, fake_count = tally(drawn)
print(f"| {policy} | {real['refused']} of {real_count} | {real['scored']} | {fake['refused']} of {fake_count} "
      f"| {fake['noted']} |")
PY
done

echo
"$bin/LikenessBench" characters --models "$models" --photos "$photos"
echo
"$bin/LikenessBench" detectors --models "$models" --photos "$photos"
