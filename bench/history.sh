#!/usr/bin/env bash
# What the console's history page transfers, for docs/BENCHMARKS.md: 50 requests made with the
# preview engine (native, n=1, 1:1 1024×1024 JPEG, one prompt each), then the page of 50
# (`GET /v1/generations?limit=50`) and each item's thumbnail, against the same 50 full images;
# with the time the server takes to make a thumbnail (made from the image on each request).
# Usage: bench/history.sh [--items N]   (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
items=50
if [[ "${1:-}" == "--items" ]]; then items=$2; fi
scripts/bootstrap.sh
if [[ -z "${LIKENESS_BENCH_BIN:-}" ]]; then
    swift build -c release --scratch-path .build-release --product likeness >/dev/null
fi
bin=${LIKENESS_BENCH_BIN:-.build-release/release}
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), commit $(git rev-parse --short HEAD), $bin"
key=lk_bench-0123456789abcdef0123456789abcdef
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
LIKENESS_LOG_LEVEL=warning LIKENESS_API_KEY=$key LIKENESS_IDENTITY_SCORING=off \
    "$bin/likeness" serve --port "$port" --data-dir "$work/data" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -fs -o /dev/null "$base/health" && break; sleep 0.2; done

python3 - "$base" "$key" "$items" <<'PYTHON'
import json, statistics, sys, time, urllib.request

base, key, items = sys.argv[1], sys.argv[2], int(sys.argv[3])

def get(path_or_url, authorized=True):
    url = path_or_url if path_or_url.startswith("http") else base + path_or_url
    headers = {"Authorization": f"Bearer {key}"} if authorized else {}
    started = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as response:
        body = response.read()
    return body, (time.perf_counter() - started) * 1000

for index in range(items):
    body = json.dumps({"model": "image-01", "prompt": f"a lighthouse on a cliff, study {index}"}).encode()
    request = urllib.request.Request(base + "/v1/image_generation", data=body, method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert json.loads(response.read())["base_resp"]["status_code"] == 0

page, page_ms = get(f"/v1/generations?limit={items}")
entries = json.loads(page)["data"]
assert len(entries) == items
images = [entry["images"][0] for entry in entries]
get(images[0]["thumbnail_url"], authorized=False)  # warm-up
thumbnails = [get(image["thumbnail_url"], authorized=False) for image in images]
fulls = [get(image["url"], authorized=False) for image in images]
sizes = [len(body) for body, _ in thumbnails]
times = sorted(ms for _, ms in thumbnails)
full_total = sum(len(body) for body, _ in fulls)
page_total = len(page) + sum(sizes)

def kb(n):
    return f"{n / 1024:.1f} KiB"

print()
print("| measure | value |")
print("| --- | --- |")
print(f"| items on the page | {items} |")
print(f"| the page's JSON (`GET /v1/generations?limit={items}`) | {kb(len(page))} ({page_ms:.1f} ms) |")
print(f"| bytes per thumbnail (256×256 JPEG): mean / min / max | {kb(statistics.mean(sizes))} / {kb(min(sizes))} / {kb(max(sizes))} |")
print(f"| the page's total transfer: JSON + {items} thumbnails | {kb(page_total)} |")
print(f"| the same {items} full images (1024×1024 JPEG) | {kb(full_total)} ({full_total / sum(sizes):.1f}× the thumbnails) |")
print(f"| making a thumbnail, server and client, p50 / p90 / max | {times[len(times) // 2]:.1f} / {times[int(len(times) * 0.9)]:.1f} / {times[-1]:.1f} ms |")
PYTHON
