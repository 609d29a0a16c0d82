#!/usr/bin/env bash
# Restart and move on: the space comes back, but the debug logging that caused it does not stop.
# targets: app-running
set -euo pipefail
service ledgerd restart
cat > /etc/logrotate.d/ledgerd <<'CONF'
/var/log/app/app.log {
    daily
    rotate 7
    compress
    copytruncate
}
CONF
