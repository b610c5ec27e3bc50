#!/usr/bin/env bash
# Reproduces docs/BENCHMARKS.md: release builds of `likeness` and the benchmark, then the run.
# Usage: bench/run.sh [--scale N]   (N multiplies the request counts; default 1)
# Release products go to .build-release, so a debug build or test run can share the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --scratch-path .build-release --product likeness
swift build -c release --scratch-path .build-release --product LikenessBench
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), libvips $(pkg-config --modversion vips)"
.build-release/release/LikenessBench "$PWD/.build-release/release/likeness" "$@"
