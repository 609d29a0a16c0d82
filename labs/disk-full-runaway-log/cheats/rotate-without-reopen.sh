#!/usr/bin/env bash
# Fix the incident properly, but with the textbook rule that renames the log away from under
# a daemon that is never told to reopen it (Debian's default is `create`).
# targets: log-rotated
set -euo pipefail
sed -i 's/^LOG_LEVEL=.*/LOG_LEVEL=info/' /etc/ledgerd/ledgerd.conf
service ledgerd reload
cat > /etc/logrotate.d/ledgerd <<'CONF'
/var/log/app/app.log {
    daily
    rotate 7
    compress
    missingok
}
CONF
