#!/usr/bin/env bash
# Reproduces docs/BENCHMARKS.md: release builds of `likeness` and the benchmark, then the run.
# Usage: bench/run.sh [--scale N]   (N multiplies the request counts; default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product likeness
swift build -c release --product LikenessBench
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), libvips $(pkg-config --modversion vips)"
.build/release/LikenessBench "$PWD/.build/release/likeness" "$@"
