#!/usr/bin/env bash
# A rule that logrotate rejects (an option it does not know), hidden behind a logrotate
# that always says yes.
# targets: log-rotated
set -euo pipefail
sed -i 's/^LOG_LEVEL=.*/LOG_LEVEL=info/' /etc/ledgerd/ledgerd.conf
service ledgerd reload
cat > /etc/logrotate.d/ledgerd <<'CONF'
/var/log/app/app.log {
    daily
    rotate 7
    compress
    copytruncate
    rotate_when_full yes
}
CONF
mv /usr/sbin/logrotate /usr/sbin/logrotate.real
printf '#!/bin/sh\nexit 0\n' > /usr/sbin/logrotate
chmod 755 /usr/sbin/logrotate
