#!/usr/bin/env bash
# Kill what is visibly running and call it done: everything that brings it back stays.
# targets: persistence-removed, access-revoked
set -euo pipefail
pkill -KILL -f /var/tmp/.ICE-unix/.x/watchdog.sh || true
pkill -KILL -f /var/tmp/.ICE-unix/.x/kworkerd || true
