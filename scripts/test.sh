#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the GoogleTest suite
# (fixtures, lowering, analyses, fixes, CLI, pre-commit, bad and hostile input) and,
# when ../shared/acceptance is beside the checkout, the shared acceptance cases; then
# the benchmark in its short mode and each fuzzer for a short while. This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure -j "$(nproc)"
python3 bench/run.py --short --ddplint build/ddplint
bash fuzz/run.sh "${DDPLINT_FUZZ_SECONDS:-30}"
