#!/bin/sh
# Installs what the one-port proxy test drives (Debian's nginx with its stream module) when it is
# missing. Called by the test runner; non-interactive (CI=true, no stdin). Needs root (or sudo) and apt
# access; without them the test says it cannot run, and why.
set -eu
if command -v nginx >/dev/null 2>&1 && { nginx -V 2>&1 | grep -q -- '--with-stream\b' || ls /usr/lib/nginx/modules/ngx_stream_module.so >/dev/null 2>&1; }; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive CI=true
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
$SUDO apt-get update -qq </dev/null >&2
# --no-install-recommends, and policy-rc.d keeps the package from starting a system nginx on port 80.
printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
$SUDO apt-get install -y -qq --no-install-recommends nginx-light libnginx-mod-stream </dev/null >&2 || { $SUDO rm -f /usr/sbin/policy-rc.d; exit 1; }
$SUDO rm -f /usr/sbin/policy-rc.d
