#!/usr/bin/env bash
# The virtual environment the client compatibility suites run in, with pinned client versions.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=tests/compat/requirements.txt
if [[ ! -x .venv/bin/python ]] || ! cmp -s "$requirements" .venv/requirements.installed; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" .venv/requirements.installed
fi
