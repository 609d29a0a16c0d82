#!/usr/bin/env bash
# Kill every process of the app account and start both services again, config untouched.
# targets: renderer-healthy
set -euo pipefail
pkill -KILL -u app || true
sleep 0.5
rm -f /run/pdf-render.pid
service orders-api restart || true
service pdf-render start
