#!/usr/bin/env bash
# Serves Likeness on the embedded defaults (preview engine, ./.likeness) after installing what it
# needs (system libraries, and the face models identity scores use). Arguments go to `likeness serve` (--host, --port, --data-dir).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/face-models.sh
swift build -c release --product likeness
exec .build/release/likeness serve "$@"
