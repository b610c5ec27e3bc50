#!/usr/bin/env bash
# Installs the system libraries Likeness builds against: libvips (images), SQLite, pkg-config,
# dlib with BLAS and LAPACK (face detection and descriptors for identity scores),
# the fonts the preview engine draws captions with (Latin and CJK), and what the tests use
# (curl, openssl for test certificates, Python with venv for the client compatibility suites,
# Chromium for the console's browser tests, driven by Playwright from PyPI, and PostgreSQL for
# the fleet's store, which the tests start as a throwaway cluster).
set -euo pipefail

debian_packages=(libvips-dev libsqlite3-dev libdlib-dev libblas-dev liblapack-dev pkg-config fonts-dejavu-core fonts-droid-fallback curl openssl python3 python3-venv chromium postgresql)

if [[ "$(uname -s)" == "Darwin" ]]; then
    if ! pkg-config --exists vips 2>/dev/null; then
        echo "macOS: install the libraries with Homebrew first:  brew install vips sqlite dlib pkg-config" >&2
        exit 1
    fi
    exit 0
fi

missing=()
for package in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
    echo "Installing ${missing[*]}" >&2
    sudo_cmd=()
    [[ "$(id -u)" == 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
