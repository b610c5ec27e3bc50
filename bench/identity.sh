#!/usr/bin/env bash
# Identity scoring on the offline evaluation set, for docs/BENCHMARKS.md: installs the models and
# the photos (scripts/face-models.sh), builds LikenessBench in release mode, and prints the
# score distributions, error rates, time per 1024x1024 image on one core, and model memory.
# Usage: bench/identity.sh
set -euo pipefail
cd "$(dirname "$0")/.."
models=${LIKENESS_IDENTITY_MODELS:-/usr/local/share/likeness/face-models}
photos=${LIKENESS_TEST_FACE_PHOTOS:-.cache/face-photos}
scripts/face-models.sh "$models" --photos "$photos"
swift build -c release --scratch-path .build-release --product LikenessBench >/dev/null
echo "Machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
.build-release/release/LikenessBench identity --models "$models" --photos "$photos"
