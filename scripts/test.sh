#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the GoogleTest suite
# (fixtures, lowering, analyses, CLI, bad input) and, when ../shared/acceptance is
# beside the checkout, the shared acceptance cases. This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure -j "$(nproc)"
