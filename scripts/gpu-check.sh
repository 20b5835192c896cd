#!/usr/bin/env bash
# `ddplint verify` on the seed's RGB-D example under NCCL, for a lent GPU machine
# (PyTorch 2.x with CUDA and NCCL, no internet, no ddplint build there).
#
#   here:  bash scripts/gpu-check.sh prepare   # static analysis + fixes -> build/gpu-plan/
#   there: bash scripts/gpu-check.sh run       # the runs on every GPU -> $OUT/gpu-check.{txt,json}
#
# The plan carries both versions of the example (original, and with --unsafe-fixes
# applied) and the findings; the GPU machine needs only Python, torch and verify/.
# On GPUs the example runs at full size (dim 1280, 256x256 images), so cuDNN decides
# the weight-gradient layout of the 1x1 convolutions that DDP303 is about.
set -euo pipefail
cd "$(dirname "$0")/.."
PLAN=${PLAN:-build/gpu-plan}

case "${1:-}" in
  prepare)
    rm -rf "$PLAN"
    build/ddplint verify --entry examples/rgbd_seg/verify_entry.py:make --unsafe-fixes -n 20 --emit-plan "$PLAN"
    ;;
  run)
    OUT=${OUT:-/tmp/gpu-check}
    PY=${PYTHON:-python3}
    mkdir -p "$OUT"
    { nvidia-smi -L || true; } > "$OUT/gpus.txt" 2>&1
    "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count(), "nccl", torch.cuda.nccl.version() if torch.cuda.is_available() else None)' \
      | tee "$OUT/torch.txt"
    rc=0
    # Each run stops itself after --timeout seconds (a hang); the outer limit is a backstop
    # that leaves the harness time to stop torchrun's ranks.
    PYTHONPATH=verify timeout 290 "$PY" -m ddplint_verify run "$PLAN/plan.json" --device cuda --backend nccl --timeout 100 \
      --format json -o "$OUT/gpu-check.json" --runs-dir "$OUT/runs" 2> >(tee "$OUT/progress.txt" >&2) || rc=$?
    if [ -f "$OUT/gpu-check.json" ]; then
      PYTHONPATH=verify "$PY" -m ddplint_verify render "$OUT/gpu-check.json" | tee "$OUT/gpu-check.txt"
    fi
    echo "gpu-check: exit $rc (0 verified, 1 a verdict failed, 2 could not run; 124 timed out)" | tee -a "$OUT/gpu-check.txt"
    exit $rc
    ;;
  *)
    echo "usage: $0 prepare|run" >&2
    exit 2
    ;;
esac
