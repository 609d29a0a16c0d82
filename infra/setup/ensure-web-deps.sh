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
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "[web] missing: ${missing[*]} — run: sudo apt-get install ${missing[*]}" >&2; exit 1
fi
echo "[web] installing ${missing[*]} (one time)…" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
