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
. "$(dirname "$0")/apt.sh"
apt_install_missing host
