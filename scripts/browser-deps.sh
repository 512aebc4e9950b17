#!/bin/sh
# Installs the browser the console test drives (Debian's chromium) when it is missing. Called by the
# test runner; non-interactive (CI=true, no stdin). Needs root (or sudo) and apt access.
set -eu
for b in chromium chromium-browser; do
  if command -v "$b" >/dev/null 2>&1; then command -v "$b"; exit 0; fi
done
export DEBIAN_FRONTEND=noninteractive CI=true
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
$SUDO apt-get update -qq </dev/null >&2
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk </dev/null >&2
command -v chromium
