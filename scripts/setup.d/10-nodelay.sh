#!/usr/bin/env bash
# Builds the TCP_NODELAY preload used by the test harness's private pcscd (see test/harness/native).
set -euo pipefail
src=test/harness/native/nodelay.c
out=.sscard/lib/libsscard-nodelay.so
if [ ! -f "$out" ] || [ "$src" -nt "$out" ]; then
  mkdir -p "$(dirname "$out")"
  cc -shared -fPIC -O2 -Wall -o "$out" "$src" -ldl
fi
