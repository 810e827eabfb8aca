#!/usr/bin/env bash
# Brings a fresh Debian 12 machine with only Node 20 to the point where `npm start` and `npm test`
# run, and is a fast no-op once everything is there. Idempotent; safe to run on every start.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'sscard setup: %s\n' "$*" >&2; }

# System packages: the PC/SC stack with the virtual reader driver, serial pty tooling, the browser
# and fonts for UI tests, PostgreSQL for the service's second store, and a compiler for native addons.
APT_PACKAGES=(
  pcscd libpcsclite-dev vsmartcard-vpcd pcsc-tools socat udev
  chromium fonts-noto-cjk postgresql
  build-essential pkg-config python3
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "missing system packages: ${missing[*]}"
    say "install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

# Node dependencies, at the versions in package-lock.json; skipped when nothing changed since the
# last install. `npm install` rather than `npm ci`: npm 11 refuses its own lock file in `npm ci`
# when a dependency has platform-specific optional packages (Biome, esbuild), while `npm install`
# installs exactly the locked versions.
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] \
  || [ -n "$(find . -maxdepth 3 -name package.json -not -path './node_modules/*' -newer "$stamp" -print -quit)" ]; then
  say "installing Node dependencies"
  npm install --no-audit --no-fund
fi

# Native helpers built from source at setup (never shipped as binaries).
for hook in scripts/setup.d/*.sh; do
  [ -e "$hook" ] || continue
  bash "$hook"
done

# TypeScript build; incremental, so a no-op when nothing changed. Then the browser bundles: the
# kiosk UI that the agent serves and the operator console that card-service serves (esbuild,
# about a second each).
npx --no-install tsc -b
npm run --silent build -w @sscard/kiosk-ui
npm run --silent build -w @sscard/operator-console
