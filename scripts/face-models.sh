#!/usr/bin/env bash
# Installs what identity scoring needs, from PyPI, with no model hub involved:
#   - the dlib models Likeness uses, from the package `face_recognition_models` (CC0): the
#     5-point landmark model and the ResNet face descriptor (and the CNN face detector, which
#     only the detector benchmark loads), into MODELS_DIR (default
#     $LIKENESS_IDENTITY_MODELS, else /usr/local/share/likeness/face-models, where the server looks).
#     Its 68-point landmark model is left out on purpose: its licence forbids commercial use.
#   - with --photos DIR, the evaluation photographs: the test images in the source distribution of
#     `face_recognition` 1.3.0 (three of one person, one of another, partial faces) and
#     scikit-image's public-domain `astronaut.png`.
# Usage: scripts/face-models.sh [MODELS_DIR] [--photos DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

models_dir=${LIKENESS_IDENTITY_MODELS:-/usr/local/share/likeness/face-models}
photos_dir=
while (($# > 0)); do
    case "$1" in
    --photos) photos_dir=$2; shift 2 ;;
    *) models_dir=$1; shift ;;
    esac
done

models=(shape_predictor_5_face_landmarks.dat dlib_face_recognition_resnet_model_v1.dat mmod_human_face_detector.dat)
download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
# pip, in a small environment of its own: only `pip download` is needed, nothing is installed.
pip_download() {
    [[ -x .venv-models/bin/pip ]] || python3 -m venv .venv-models
    .venv-models/bin/pip download --quiet --disable-pip-version-check --no-deps -d "$download" "$@"
}

if ! (cd "$models_dir" 2>/dev/null && ls "${models[@]}" >/dev/null 2>&1); then
    echo "Installing the face models into $models_dir" >&2
    pip_download --no-binary :all: face_recognition_models==0.3.0
    tar -xzf "$download"/face_recognition_models-0.3.0.tar.gz -C "$download" \
        "${models[@]/#/face_recognition_models-0.3.0/face_recognition_models/models/}"
    sudo_cmd=()
    mkdir -p "$models_dir" 2>/dev/null || true
    [[ -w "$models_dir" ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" mkdir -p "$models_dir"
    "${sudo_cmd[@]}" cp "${models[@]/#/$download/face_recognition_models-0.3.0/face_recognition_models/models/}" "$models_dir/"
fi

if [[ -n "$photos_dir" && ! -f "$photos_dir/astronaut.png" ]]; then
    echo "Fetching the evaluation photographs into $photos_dir" >&2
    mkdir -p "$photos_dir"
    pip_download --no-binary :all: face_recognition==1.3.0
    tar -xzf "$download"/face_recognition-1.3.0.tar.gz -C "$download"
    cp "$download"/face_recognition-1.3.0/tests/test_images/{obama,obama2,obama3,biden,obama_partial_face,obama_partial_face2}.jpg "$photos_dir/"
    pip_download --only-binary :all: --python-version 3.11 scikit-image==0.24.0
    (cd "$download" && python3 -m zipfile -e scikit_image-0.24.0-*.whl skimage-wheel >/dev/null)
    cp "$download"/skimage-wheel/skimage/data/astronaut.png "$photos_dir/"
fi
