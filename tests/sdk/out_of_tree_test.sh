#!/usr/bin/env bash
# Installs the SDK from this build into a scratch prefix, builds the hello example out of tree
# against it with find_package(MachiSDK), checks its exports, and has the runtime call it.
set -euo pipefail
build_dir=$1 example_dir=$2 machi=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
# Out of tree means no path into this repository's sources: copy the example away first.
cp -r "$example_dir" "$scratch/hello-src"
cmake -S "$scratch/hello-src" -B "$scratch/hello-build" -G Ninja \
      -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$scratch/hello-build" >/dev/null
plugin="$scratch/hello-build/hello.so"
test -f "$plugin" || { echo "FAIL: $plugin was not built"; exit 1; }

exports=$(nm -D --defined-only "$plugin" | awk '{print $3}')
if [ "$exports" != "machi_plugin_negotiate" ]; then
  echo "FAIL: expected only machi_plugin_negotiate exported, got:"; echo "$exports"; exit 1
fi
answer=$("$machi" plugin-call "$plugin" --config '{"greeting":"out of tree"}' --claim name=Aiko /)
echo "$answer"
grep -q '"message":"out of tree"' <<<"$answer" || { echo "FAIL: unexpected answer"; exit 1; }
grep -q '"name":"Aiko"' <<<"$answer" || { echo "FAIL: claim not seen"; exit 1; }
echo "PASS: out-of-tree plugin built against the installed SDK loads and answers"
