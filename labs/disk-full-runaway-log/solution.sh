#!/usr/bin/env bash
# Reference solution. `df` says full, `du` says nearly empty: the space is held by a deleted
# app.log that ledgerd still has open (`lsof +L1`). Don't delete anything else and don't
# kill ledgerd: turn its log level back down and make it reopen its log (SIGHUP), which
# releases the deleted file; then the pending audit records go out on its next pass.
set -euo pipefail

sed -i 's/^LOG_LEVEL=.*/LOG_LEVEL=info/' /etc/ledgerd/ledgerd.conf
service ledgerd reload

# Rotate the log from now on, by size as well as daily, and tell ledgerd to reopen it.
cat > /etc/logrotate.d/ledgerd <<'CONF'
/var/log/app/app.log {
    daily
    maxsize 10M
    rotate 7
    compress
    delaycompress
    missingok
    notifempty
    postrotate
        service ledgerd reload >/dev/null
    endscript
}
CONF
logrotate -d /etc/logrotate.conf 2>&1 | grep -A3 'rotating pattern: /var/log/app/app.log'

# Verify: the volume has room and nothing is pending any more.
df -h /var/log/app
for _ in $(seq 20); do
    service ledgerd status | grep -q ' pending=0 ' && break
    sleep 0.5
done
service ledgerd status
