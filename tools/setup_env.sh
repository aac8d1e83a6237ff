#!/usr/bin/env bash
# Create .venv in the checkout and install the pinned stack into it (`make setup`).
# Order matters: torch first; then numpy, wheel, ninja and setuptools<80 (mmcv's
# setup.py imports pkg_resources); then mmcv 2.1.0, built from source with its C++
# ops against that torch (no wheel exists for torch 2.13); then the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv
PIP="$VENV/bin/python -m pip"
step() { printf '\n[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  step "creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
step "1/5 torch (CPU build, from the local wheel or the index)"
$PIP install -q --disable-pip-version-check "torch==2.13.0"
step "2/5 build requirements of mmcv: numpy, wheel, ninja, setuptools<80"
$PIP install -q --disable-pip-version-check $(grep -E '^(numpy|wheel|ninja|setuptools)==' requirements.txt)
if $VENV/bin/python -c "import mmcv, mmcv.ops" 2>/dev/null; then
  step "3/5 mmcv 2.1.0 with ops: already installed"
else
  step "3/5 mmcv 2.1.0 with C++ ops: first build takes 10-17 min on 2 cores (9 min 44 s and 17 min measured on two machines); pip caches the wheel"
  start=$(date +%s)
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} $PIP install --disable-pip-version-check \
      --no-build-isolation "mmcv==2.1.0"
  step "mmcv installed in $(( $(date +%s) - start )) s"
fi
step "4/5 pinned requirements (requirements.txt)"
$PIP install -q --disable-pip-version-check -r requirements.txt
step "5/5 mmfpn itself (editable)"
$PIP install -q --disable-pip-version-check --no-build-isolation --no-use-pep517 --no-deps -e .
step "pip check"
$PIP check
step "done: $($VENV/bin/python -c 'import torch, mmcv, mmdet, mmengine, mmfpn; print(f"torch {torch.__version__}, mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, mmfpn {mmfpn.__version__}")')"
