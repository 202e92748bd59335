# Sourced by the bench/run_*.sh scripts: cd to the repository, configure the release build with
# the benchmarks ($BUILD, default build-release/) and build the targets given as arguments.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
BUILD=${BUILD:-$root/build-release}
cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMACHI_BUILD_TESTS=OFF \
      -DMACHI_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" --target "$@" >/dev/null
