#!/usr/bin/env bash
# Create bench/.peers/deface-venv: deface (the peer veil blur is compared with) and its own
# dependencies, in an environment of its own so it never becomes a dependency of Veil.
# onnxruntime is deface's documented fast backend ("pip install onnxruntime"); deface picks it
# automatically when present, so the peer runs at its best.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.peers/deface-venv"
python="${PYTHON:-python3.11}"
if [ ! -x "$venv/bin/deface" ]; then
    mkdir -p "$here/.peers"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "deface==1.5.0" onnx onnxruntime
fi
"$venv/bin/python" -c "import deface, onnxruntime; print('deface venv ready:', deface.__file__)"
