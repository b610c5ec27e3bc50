#!/usr/bin/env bash
# Starts `likeness serve` on a fresh data directory and runs the README's examples against it:
# the seeds' curl requests with the printed key, a bad key, and `likeness generate`.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=.build/debug/likeness
[[ -x $binary ]] || swift build --product likeness
# The SDK's example app, a package of its own that depends on this one (README, "The Swift SDK").
example=Examples/ThreeLooks/.build/debug/ThreeLooks
[[ -x $example ]] || swift build --package-path Examples/ThreeLooks

work=$(mktemp -d)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=${LIKENESS_E2E_PORT:-$(free_port)}
# Identity checks at their default, `warn`: the later examples take pictures this server drew (no
# face) as references; the seed's image-to-image example takes a real photograph and is scored.
"$binary" serve --port "$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || { cat "$work/server.log"; exit 1; }
grep -q "Created the first API key" "$work/server.log"
key=$(cat "$work/data/api-key")

passed=0
failed=0
check() { # name, python expression over `r` (the parsed reply)
    if python3 -c "import json,sys; r=json.load(open('$work/reply.json')); sys.exit(0 if ($2) else 1)"; then
        passed=$((passed + 1)); echo "ok   $1"
    else
        failed=$((failed + 1)); echo "FAIL $1"; cat "$work/reply.json"; echo
    fi
}

# The seed's text-to-image example, verbatim but for host and key.
curl -s --request POST \
--url "http://127.0.0.1:$port/v1/image_generation" \
--header "Authorization: Bearer $key" \
--header 'Content-Type: application/json' \
--data '
{
  "model": "image-01",
  "prompt": "A man in a white t-shirt, full-body, standing front view, outdoors, with the Venice Beach sign in the background, Los Angeles. Fashion photography in 90s documentary style, film grain, photorealistic.",
  "aspect_ratio": "16:9",
  "response_format": "url",
  "n": 3,
  "prompt_optimizer": true
}' >"$work/reply.json"
check "text-to-image: 3 URLs, counts as strings" \
    'r["base_resp"]=={"status_code":0,"status_msg":"success"} and len(r["data"]["image_urls"])==3 and r["metadata"]=={"success_count":"3","failed_count":"0"} and len(r["id"])==32'
url=$(python3 -c "import json; print(json.load(open('$work/reply.json'))['data']['image_urls'][0])")
curl -sf "$url" -o "$work/first.jpg"
if [[ "$(head -c 3 "$work/first.jpg" | od -An -tx1 | tr -d ' ')" == "ffd8ff" ]]; then
    passed=$((passed + 1)); echo "ok   the URL serves a JPEG"
else
    failed=$((failed + 1)); echo "FAIL the URL serves a JPEG"
fi

# The seed's image-to-image example with the reference as a data URL (no network here): a
# photograph of a person (scripts/face-models.sh --photos), so its images get identity scores.
photos=${LIKENESS_TEST_FACE_PHOTOS:-.cache/face-photos}
face="data:image/jpeg;base64,$(base64 -w0 "$photos/obama.jpg")"
cat >"$work/i2i.json" <<JSON
{
  "model": "image-01",
  "prompt": "A girl looking into the distance from a library window",
  "aspect_ratio": "16:9",
  "subject_reference": [{"type": "character", "image_file": "$face"}],
  "n": 2
}
JSON
curl -s -D "$work/headers.txt" "http://127.0.0.1:$port/v1/image_generation" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' --data @"$work/i2i.json" >"$work/reply.json"
check "image-to-image with a photograph: 2 URLs, each scored as the same person" \
    'r["base_resp"]["status_code"]==0 and len(r["data"]["image_urls"])==2 and all(s>=0.5 for s in r["metadata"]["identity_scores"])'
if grep -qiE '^x-likeness-identity: (0\.[5-9]|1\.0)' "$work/headers.txt"; then
    passed=$((passed + 1)); echo "ok   X-Likeness-Identity carries the lowest score"
else
    failed=$((failed + 1)); echo "FAIL X-Likeness-Identity carries the lowest score"; cat "$work/headers.txt"
fi

# A character: the same photograph stored once with curl (a multipart form, two photos of one
# person), then named by id in the native dialect and by its own URL in fal's.
curl -s "http://127.0.0.1:$port/v1/characters" -H "Authorization: Bearer $key" -F name=Barack \
    -F "image=@$photos/obama.jpg;type=image/jpeg" -F "image=@$photos/obama2.jpg;type=image/jpeg" >"$work/reply.json"
check "a character from two photographs, each face found" \
    'r["object"]=="character" and r["id"].startswith("chr_") and all(p.get("face") for p in r["photos"]) and len(r["photos"])==2'
character=$(python3 -c "import json; print(json.load(open('$work/reply.json'))['id'])")
character_url=$(python3 -c "import json; print(json.load(open('$work/reply.json'))['url'])")
curl -s "http://127.0.0.1:$port/v1/image_generation" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d "{\"model\":\"image-01\",\"prompt\":\"at the beach\",\"subject_reference\":[{\"type\":\"character\",\"character_id\":\"$character\"}]}" \
    >"$work/reply.json"
check "native by character_id: an image scored against both photos" \
    'r["base_resp"]["status_code"]==0 and r["metadata"]["identity_scores"][0]>=0.5'
curl -s "http://127.0.0.1:$port/fal/fal-ai/minimax/image-01/subject-reference" -H "Authorization: Key $key" \
    -H 'Content-Type: application/json' -d "{\"prompt\":\"in the snow\",\"image_url\":\"$character_url\"}" >"$work/reply.json"
check "fal by the character's own URL" 'len(r["images"])==1 and r["images"][0]["identity_score"]>=0.5'
curl -s "http://127.0.0.1:$port/v1/characters/$character/generations" -H "Authorization: Bearer $key" >"$work/reply.json"
check "the character's history lists both, newest first" \
    '[g["dialect"] for g in r["data"]]==["fal","minimax"] and all(i["identity_score"]>=0.5 for g in r["data"] for i in g["images"])'
curl -s -X DELETE "http://127.0.0.1:$port/v1/characters/$character" -H "Authorization: Bearer $key" >"$work/reply.json"
check "deleting the character" 'r=={"id":"'"$character"'","object":"character.deleted","deleted":True}'

# A picture this server drew as the reference: no face in it, let through at `warn` with a note.
reference="data:image/jpeg;base64,$(base64 -w0 "$work/first.jpg")"
cat >"$work/i2i.json" <<JSON
{
  "model": "image-01",
  "prompt": "A girl looking into the distance from a library window",
  "aspect_ratio": "16:9",
  "subject_reference": [{"type": "character", "image_file": "$reference"}],
  "n": 2
}
JSON
curl -s "http://127.0.0.1:$port/v1/image_generation" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' --data @"$work/i2i.json" >"$work/reply.json"
check "image-to-image with a faceless data URL at warn: 2 URLs and a note" \
    'r["base_resp"]["status_code"]==0 and len(r["data"]["image_urls"])==2 and r["metadata"]["identity_note"].startswith("no face found")'

curl -s "http://127.0.0.1:$port/v1/image_generation" -H "Authorization: Bearer lk_wrong" \
    -d '{"model":"image-01","prompt":"x"}' >"$work/reply.json"
check "an unknown key is 2049" 'r["base_resp"]["status_code"]==2049'

curl -s "http://127.0.0.1:$port/v1/image_generation" -H "Authorization: Bearer $key" \
    -d '{"model":"image-01","prompt":"x","n":10}' >"$work/reply.json"
check "n=10 is 2013 naming n" 'r["base_resp"]["status_code"]==2013 and "n must be" in r["base_resp"]["status_msg"]'

# The amux documentation's OpenAI-compatible examples, verbatim but for host and key.
AMUX_API_KEY=$key
amux="http://127.0.0.1:$port"
curl -s $amux/v1/images/generations \
-H "Authorization: Bearer $AMUX_API_KEY" \
-H "Content-Type: application/json" \
-d '{
"model": "MiniMax-Image-01",
"prompt": "A cute baby sea otter wearing a beret, rolling in a spring courtyard with falling cherry blossoms",
"n": 1,
"size": "1024x1024"
}' >"$work/reply.json"
check "amux text-to-image: one URL" 'r["created"]>0 and len(r["data"])==1 and r["data"][0]["url"].startswith("http")'

curl -s $amux/v1/images/generations \
-H "Authorization: Bearer $AMUX_API_KEY" \
-H "Content-Type: application/json" \
-d '{
"model": "MiniMax-Image-01",
"prompt": "Cinematic harbor at dusk, seagulls passing through, film-grain texture",
"aspect_ratio": "21:9",
"n": 4,
"seed": 20260430,
"response_format": "url",
"prompt_optimizer": true
}' >"$work/reply.json"
check "amux 21:9, n=4, seed: four URLs" 'len(r["data"])==4'

curl -s $amux/v1/images/generations \
-H "Authorization: Bearer $AMUX_API_KEY" \
-H "Content-Type: application/json" \
-d '{
"model": "MiniMax-Image-01",
"prompt": "A cup of hot coffee on a wooden table, top-down shot",
"response_format": "b64_json",
"n": 1
}' >"$work/reply.json"
check "amux b64_json" 'len(r["data"][0]["b64_json"])>1000'

cat >"$work/amux-i2i.json" <<JSON
{
"model": "MiniMax-Image-01",
"prompt": "Close-up of a harbor worker with sunglasses, cinematic look",
"aspect_ratio": "1:1",
"n": 1,
"subject_reference": [
{ "type": "character", "image_file": "$reference" }
]
}
JSON
curl -s $amux/v1/images/generations \
-H "Authorization: Bearer $AMUX_API_KEY" \
-H "Content-Type: application/json" \
-d @"$work/amux-i2i.json" >"$work/reply.json"
check "amux image-to-image, top-level subject_reference (data URL)" 'len(r["data"])==1'

cp "$work/first.jpg" "$work/face.jpg"
curl -s $amux/v1/images/edits \
-H "Authorization: Bearer $AMUX_API_KEY" \
-F "model=MiniMax-Image-01" \
-F "prompt=Close-up of a harbor worker with sunglasses, cinematic look" \
-F "n=1" \
-F "size=1024x1024" \
-F "image=@$work/face.jpg" >"$work/reply.json"
check "amux multipart edit" 'len(r["data"])==1 and "url" in r["data"][0]'

# The fal seed's curl example (synchronous run), verbatim but for host, key and, without a
# network here, the reference as a data URL.
FAL_KEY=$key
cat >"$work/fal.json" <<JSON
{
     "prompt": "A beautiful woman with a crown on her head.",
     "image_url": "$reference"
   }
JSON
curl -s --request POST \
  --url http://127.0.0.1:$port/fal/fal-ai/minimax/image-01/subject-reference \
  --header "Authorization: Key $FAL_KEY" \
  --header "Content-Type: application/json" \
  --data @"$work/fal.json" >"$work/reply.json"
check "fal subject-reference run: images with url, content_type, file_size" \
    'r["images"][0]["content_type"]=="image/jpeg" and r["images"][0]["file_size"]>0 and r["images"][0]["width"]==1024'

# The same through fal's queue: submit, poll the returned status_url, fetch response_url.
curl -s --request POST \
  --url http://127.0.0.1:$port/fal/queue/fal-ai/minimax/image-01/subject-reference \
  --header "Authorization: Key $FAL_KEY" \
  --header "Content-Type: application/json" \
  --data @"$work/fal.json" >"$work/reply.json"
check "fal queue submit: request_id and the URLs to follow" \
    '"/fal/queue/fal-ai/minimax/requests/" in r["status_url"] and r["queue_position"]>=0'
status_url=$(python3 -c "import json; print(json.load(open('$work/reply.json'))['status_url'])")
response_url=$(python3 -c "import json; print(json.load(open('$work/reply.json'))['response_url'])")
for _ in $(seq 100); do
    curl -s "$status_url?logs=1" --header "Authorization: Key $FAL_KEY" >"$work/reply.json"
    grep -q '"COMPLETED"' "$work/reply.json" && break
    sleep 0.1
done
check "fal queue status: COMPLETED with logs and metrics" \
    'r["status"]=="COMPLETED" and len(r["logs"])>0 and "inference_time" in r["metrics"]'
curl -s "$response_url" --header "Authorization: Key $FAL_KEY" >"$work/reply.json"
check "fal queue result: the output" 'r["images"][0]["content_type"]=="image/jpeg"'

# Operator key management on the live data directory.
created=$("$binary" keys create --name e2e --data-dir "$work/data")
new_id=$(cut -f1 <<<"$created")
new_key=$(cut -f2 <<<"$created")
curl -s "http://127.0.0.1:$port/v1/image_generation" -H "Authorization: Bearer $new_key" \
    -d '{"model":"image-01","prompt":"x","response_format":"base64"}' >"$work/reply.json"
check "a key from 'likeness keys create' works at once" 'r["base_resp"]["status_code"]==0'
"$binary" keys list --data-dir "$work/data" | grep -q "$new_id"
"$binary" keys revoke "$new_id" --data-dir "$work/data" >/dev/null
sleep 2.2 # another process's change: the server trusts a key it checked for up to 2 s (likeness.keys.cacheSeconds)
curl -s "http://127.0.0.1:$port/v1/image_generation" -H "Authorization: Bearer $new_key" \
    -d '{"model":"image-01","prompt":"x"}' >"$work/reply.json"
check "a key revoked with 'likeness keys revoke' is 2049 within the key cache's 2 s" 'r["base_resp"]["status_code"]==2049'

# An operator's day: a prepaid account, a top-up with the 5% fee, a key, a charged request,
# then the usage and the ledger from the command line and the balance over HTTP.
account=$("$binary" accounts create "e2e customer" --data-dir "$work/data")
"$binary" credits add "$account" 1.00 --note "e2e invoice" --data-dir "$work/data" >"$work/credits.txt"
grep -q "balance	0.95" "$work/credits.txt" && { passed=$((passed + 1)); echo "ok   likeness credits add: \$1.00 less the 5% fee"; } \
    || { failed=$((failed + 1)); echo "FAIL likeness credits add"; cat "$work/credits.txt"; }
customer_key=$("$binary" keys create --account "$account" --name e2e-customer --data-dir "$work/data" | cut -f2)
curl -s "http://127.0.0.1:$port/v1/image_generation" -H "Authorization: Bearer $customer_key" \
    -D "$work/headers.txt" -d '{"model":"image-01","prompt":"billed","n":2}' >"$work/reply.json"
check "a prepaid key's request succeeds" 'r["base_resp"]["status_code"]==0'
grep -qi "^x-likeness-cost-usd: 0.02" "$work/headers.txt" && { passed=$((passed + 1)); echo "ok   X-Likeness-Cost-USD: 0.02"; } \
    || { failed=$((failed + 1)); echo "FAIL X-Likeness-Cost-USD"; cat "$work/headers.txt"; }
curl -s "http://127.0.0.1:$port/v1/balance" -H "Authorization: Bearer $customer_key" >"$work/reply.json"
check "GET /v1/balance: 0.95 less 2 images" 'r["balance_usd"]=="0.93" and r["reserved_usd"]=="0.00"'
"$binary" usage "$account" --data-dir "$work/data" 2>/dev/null >"$work/usage.csv"
grep -q ",2,2,0,0.01,0.02,false," "$work/usage.csv" && { passed=$((passed + 1)); echo "ok   likeness usage: the request at \$0.02"; } \
    || { failed=$((failed + 1)); echo "FAIL likeness usage"; cat "$work/usage.csv"; }
"$binary" credits ledger "$account" --data-dir "$work/data" | cut -f3 | tail -n +2 | tr '\n' ' ' >"$work/ledger.txt"
grep -q "top_up fee reservation release charge" "$work/ledger.txt" && { passed=$((passed + 1)); echo "ok   likeness credits ledger"; } \
    || { failed=$((failed + 1)); echo "FAIL likeness credits ledger"; cat "$work/ledger.txt"; }

if "$binary" serve --port "$(free_port)" --data-dir "$work/data" >"$work/second.log" 2>&1; then
    failed=$((failed + 1)); echo "FAIL a second server on the same data directory was allowed"
else
    grep -q "already serving" "$work/second.log" && { passed=$((passed + 1)); echo "ok   a second server on the same data directory is refused"; } \
        || { failed=$((failed + 1)); echo "FAIL a second server was refused for another reason"; cat "$work/second.log"; }
fi

"$binary" generate --server "http://127.0.0.1:$port" --api-key "$key" --prompt "a lighthouse at dawn" \
    -n 2 --seed 7 --aspect-ratio 3:2 --out "$work/out" >"$work/generated.txt"
count=$(grep -c '\.jpg$' "$work/generated.txt" || true)
if [[ $count == 2 ]]; then passed=$((passed + 1)); echo "ok   likeness generate wrote 2 files"; else failed=$((failed + 1)); echo "FAIL likeness generate"; fi

# The queue through the SDK: --queue prints the job id, follows it, writes the image; status and
# cancel find it by id.
"$binary" generate --server "http://127.0.0.1:$port" --api-key "$key" --prompt "a harbour" --queue \
    --reference "$(head -n 1 "$work/generated.txt")" --out "$work/queued" >"$work/queued.txt" 2>"$work/queued.log"
job=$(sed -n 's/^Job \([0-9a-f]*\) submitted.*/\1/p' "$work/queued.log")
if [[ -n $job && $(grep -c '\.jpg$' "$work/queued.txt") == 1 ]] \
    && "$binary" status --server "http://127.0.0.1:$port" --api-key "$key" "$job" | grep -q '^succeeded: 1 image'; then
    passed=$((passed + 1)); echo "ok   likeness generate --queue, then likeness status"
else
    failed=$((failed + 1)); echo "FAIL likeness generate --queue / status"; cat "$work/queued.log"
fi
if "$binary" cancel --server "http://127.0.0.1:$port" --api-key "$key" "$job" >/dev/null 2>&1 \
    && ! "$binary" cancel --server "http://127.0.0.1:$port" --api-key "$key" 0000 2>/dev/null; then
    passed=$((passed + 1)); echo "ok   likeness cancel: a finished job is left alone, an unknown one is an error"
else
    failed=$((failed + 1)); echo "FAIL likeness cancel"
fi

# The SDK example: three looks of the person in the photo, through the README's ten lines' API.
(cd "$work" && LIKENESS_API_KEY="$key" "$OLDPWD/$example" "$(head -n 1 "$work/generated.txt")" \
    "http://127.0.0.1:$port" >"$work/looks.txt" 2>&1) || true
if [[ $(grep -c '\.jpg$' "$work/looks.txt") == 3 ]]; then
    passed=$((passed + 1)); echo "ok   the SDK example made three looks of one person"
else
    failed=$((failed + 1)); echo "FAIL the SDK example"; cat "$work/looks.txt"
fi

# HTTPS: a second server, on its own data directory, given a certificate and key.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
tls_port=$(free_port)
"$binary" serve --port "$tls_port" --data-dir "$work/tls-data" \
    --tls-certificate "$work/cert.pem" --tls-private-key "$work/key.pem" >"$work/tls.log" 2>&1 &
tls_server=$!
trap 'kill $server $tls_server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    curl -sf --cacert "$work/cert.pem" "https://localhost:$tls_port/health" >/dev/null && break
    sleep 0.1
done
tls_key=$(cat "$work/tls-data/api-key")
curl -s --cacert "$work/cert.pem" "https://localhost:$tls_port/v1/image_generation" -H "Authorization: Bearer $tls_key" \
    -d '{"model":"image-01","prompt":"over TLS"}' >"$work/reply.json"
check "HTTPS with --tls-certificate/--tls-private-key; links are https" \
    'r["base_resp"]["status_code"]==0 and r["data"]["image_urls"][0].startswith("https://localhost:")'

# The real image-01 path, offline: `likeness simulate minimax` stands in for MiniMax, and a
# server given only MINIMAX_API_KEY and MINIMAX_BASE_URL routes both models to it.
simulator_port=$(free_port)
"$binary" simulate minimax --port "$simulator_port" --api-key sk-upstream >"$work/simulator.log" 2>&1 &
simulator=$!
upstream_port=$(free_port)
MINIMAX_API_KEY=sk-upstream MINIMAX_BASE_URL="http://127.0.0.1:$simulator_port" \
    "$binary" serve --port "$upstream_port" --data-dir "$work/upstream-data" >"$work/upstream.log" 2>&1 &
upstream_server=$!
trap 'kill $server $tls_server $simulator $upstream_server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$upstream_port/health" >/dev/null && curl -sf "http://127.0.0.1:$simulator_port/simulator/requests" >/dev/null && break
    sleep 0.1
done
upstream_key=$(cat "$work/upstream-data/api-key")
curl -s -X POST "http://127.0.0.1:$simulator_port/simulator/faults" -d '{"faults":[{"kind":"code","code":1002}]}' >/dev/null
cat >"$work/upstream.json" <<JSON
{"model": "image-01", "prompt": "a man in a white t-shirt", "aspect_ratio": "16:9", "n": 2,
 "subject_reference": [{"type": "character", "image_file": "$face"}]}
JSON
curl -s "http://127.0.0.1:$upstream_port/v1/image_generation" -H "Authorization: Bearer $upstream_key" \
    -H 'Content-Type: application/json' --data @"$work/upstream.json" >"$work/reply.json"
check "MINIMAX_API_KEY alone: the seed through the MiniMax engine, a 1002 retried, results re-hosted" \
    'r["base_resp"]["status_code"]==0 and len(r["data"]["image_urls"])==2 and "/v1/files/" in r["data"]["image_urls"][0]'
curl -s "http://127.0.0.1:$simulator_port/simulator/requests" >"$work/reply.json"
check "the simulator saw two attempts, with the operator's key" \
    'r["count"]==2 and r["authorizations"]==["Bearer sk-upstream"]*2'

echo "e2e: $passed passed, $failed failed"
[[ $failed == 0 ]]
