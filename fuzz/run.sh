#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan+UBSan) in build-fuzz/ and runs each for
# SECONDS (default 60), seeded from testdata/. Crashes land in build-fuzz/crashes/;
# copy each into testdata/fuzz-regressions/ once fixed (the test suite replays them).
#   bash fuzz/run.sh [SECONDS] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
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
status=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  echo "fuzz: $t for ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1 ./build-fuzz/fuzz/$t "build-fuzz/corpus/$t" "$seed" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="build-fuzz/crashes/$t-" \
      -print_final_stats=1 > "build-fuzz/$t.log" 2>&1; then
    echo "fuzz: $t FAILED; see build-fuzz/$t.log and build-fuzz/crashes/"
    tail -30 "build-fuzz/$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/$t.log" | sed "s/^/fuzz: $t /"
  fi
done
exit $status
