#!/usr/bin/env bash
# nm -D on every built plugin: the only defined dynamic symbol is machi_plugin_negotiate.
set -euo pipefail
checked=0 failed=0
for dir in "$@"; do
  for so in "$dir"/*.so; do
    name=$(basename "$so")
    case "$name" in leaky_*|no_entry.so) continue ;; esac
    exports=$(nm -D --defined-only "$so" | awk '{print $3}')
    if [ "$exports" = "machi_plugin_negotiate" ]; then
      checked=$((checked + 1))
    else
      echo "FAIL: $so exports:"; echo "$exports" | sed 's/^/  /'; failed=$((failed + 1))
    fi
  done
done
echo "$checked plugins export exactly one symbol, $failed do not"
[ "$checked" -gt 0 ] && [ "$failed" -eq 0 ]
