#!/usr/bin/env bash
# Builds the C PC/SC baseline client used by the card-read benchmark (bench/native).
set -euo pipefail
src=bench/native/pcsc-read.c
out=.sscard/bin/pcsc-read
if [ ! -f "$out" ] || [ "$src" -nt "$out" ]; then
  mkdir -p "$(dirname "$out")"
  cc -O2 -Wall -o "$out" "$src" $(pkg-config --cflags --libs libpcsclite)
fi
