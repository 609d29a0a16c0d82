#!/usr/bin/env bash
# Host tools the platform itself uses (not the sandboxes): debootstrap to build opslab/base
# without a registry, promtool (Debian `prometheus`) for grader-side judging, iptables for
# the sandbox firewall, python3-venv for the project's virtualenv. Idempotent.
set -euo pipefail
missing=()
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "[host] missing: ${missing[*]} — run: sudo apt-get install ${missing[*]}" >&2; exit 1
fi
echo "[host] installing ${missing[*]} (one time)…" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
