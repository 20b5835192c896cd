#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan+UBSan) in build-fuzz/ and runs each for
# SECONDS (default 60), seeded from testdata/. Crashes land in build-fuzz/crashes/;
# copy each into testdata/fuzz-regressions/ once fixed (the test suite replays them).
# fuzz_torchscript needs the main build's plugin (build/libddplint_torchscript.so) and a
# Python with torch for its seed archives; without them it is skipped with the reason.
#   bash fuzz/run.sh [SECONDS] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
# fuzz_torchscript is opt-in (name it): LibTorch 1.13's own unpickler is slow on corrupt
# debug records (minutes per input under ASan), which would fail a bounded CI run.
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_lint fuzz_fix)
if ! command -v clang++-14 >/dev/null; then
  echo "fuzz: clang++-14 not found (apt-get install clang-14 libclang-rt-14-dev); skipped"
  exit 0
fi
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDDPLINT_TORCHSCRIPT=OFF -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DDDPLINT_BUILD_TESTS=OFF -DDDPLINT_FUZZ=ON >/dev/null
cmake --build build-fuzz --target "${targets[@]}"
mkdir -p build-fuzz/corpus build-fuzz/crashes
seed=build-fuzz/corpus/seed
rm -rf "$seed" && mkdir -p "$seed"
find testdata examples -name '*.py' -exec cp {} "$seed/" \; 2>/dev/null || true
pt_seed=build-fuzz/corpus/seed_pt
plugin=$PWD/build/libddplint_torchscript.so
python=""
for py in "${DDPLINT_PYTHON:-}" python3 /usr/bin/python3; do
  if [ -n "$py" ] && "$py" -c "import torch" >/dev/null 2>&1; then python=$py; break; fi
done
status=0
for t in "${targets[@]}"; do
  seeds=$seed
  leaks=1
  unit_timeout=10
  rss=2048
  fork=()
  if [ "$t" = fuzz_torchscript ]; then
    if [ ! -f "$plugin" ]; then echo "fuzz: $t skipped: no $plugin (LibTorch not found when build/ was configured)"; continue; fi
    if [ -z "$python" ]; then echo "fuzz: $t skipped: no Python with torch for the seed archives"; continue; fi
    rm -rf "$pt_seed" && mkdir -p "$pt_seed"
    "$python" testdata/torchscript/make_archives.py "$pt_seed" >/dev/null
    seeds=$pt_seed
    leaks=0  # LibTorch's own process-lifetime allocations
    # LibTorch 1.13's unpickler allocates (and zero-fills) whatever length a corrupted
    # debug_pkl record claims before reading it: slow, not a crash, and not ddplint's code.
    unit_timeout=60
    # Each load keeps some of LibTorch's state (~3 MB per input under ASan): jobs run in
    # child processes (-fork), and a job that grows past the limit that way is restarted
    # rather than reported (-ignore_ooms); one input's huge allocation still fails it
    # (-malloc_limit_mb).
    rss=4096
    fork=(-fork=1 -ignore_crashes=0 -ignore_timeouts=0 -ignore_ooms=1 -malloc_limit_mb=2048)
    export DDPLINT_TORCHSCRIPT_PLUGIN=$plugin
  fi
  mkdir -p "build-fuzz/corpus/$t"
  echo "fuzz: $t for ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=$leaks ./build-fuzz/fuzz/$t "build-fuzz/corpus/$t" "$seeds" -max_total_time="$seconds" \
      "${fork[@]}" -timeout=$unit_timeout -rss_limit_mb=$rss -max_len=65536 -artifact_prefix="build-fuzz/crashes/$t-" \
      -print_final_stats=1 > "build-fuzz/$t.log" 2>&1; then
    echo "fuzz: $t FAILED; see build-fuzz/$t.log and build-fuzz/crashes/"
    tail -30 "build-fuzz/$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/$t.log" | sed "s/^/fuzz: $t /" || true
    # Fork mode prints no final stats; its last progress line counts what ran.
    grep -E "oom/timeout/crash" "build-fuzz/$t.log" | tail -1 | sed "s/^/fuzz: $t /" || true
  fi
done
exit $status
