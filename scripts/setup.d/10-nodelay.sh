#!/usr/bin/env bash
# Builds the TCP_NODELAY preload that local-stack's private pcscd loads (see local-stack/native).
set -euo pipefail
src=local-stack/native/nodelay.c
out=.sscard/lib/libsscard-nodelay.so
if [ ! -f "$out" ] || [ "$src" -nt "$out" ]; then
  mkdir -p "$(dirname "$out")"
  cc -shared -fPIC -O2 -Wall -o "$out" "$src" -ldl
fi
