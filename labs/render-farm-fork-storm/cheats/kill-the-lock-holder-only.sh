#!/usr/bin/env bash
# Release the lock and let the storm sort itself out: no worker limit, no requeue.
# targets: renderer-healthy
set -euo pipefail
pkill -u app -f pdf-render-fontcache || true
pkill -u app -x cat || true
sleep 5
