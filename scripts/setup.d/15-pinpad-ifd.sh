#!/usr/bin/env bash
# Builds the PIN pad driver that local-stack's private pcscd can put in front of vpcd (see local-stack/native).
set -euo pipefail
src=local-stack/native/pinpad-ifd.c
out=.sscard/lib/libsscard-pinpad-ifd.so
if [ ! -f "$out" ] || [ "$src" -nt "$out" ]; then
  mkdir -p "$(dirname "$out")"
  cc -shared -fPIC -O2 -Wall -Wextra $(pkg-config --cflags libpcsclite 2>/dev/null || echo -I/usr/include/PCSC) -o "$out" "$src" -ldl
fi
