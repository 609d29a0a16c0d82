#!/usr/bin/env bash
# What the web platform needs on the host besides Python: Redis (Celery's broker), npm (to
# fetch xterm.js), and — for the browser tests only — Debian's Chromium. Idempotent.
# usage: ensure-web-deps.sh [--browser]
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${1:-}" = "--browser" ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
fi
. "$(dirname "$0")/apt.sh"
apt_install_missing web
