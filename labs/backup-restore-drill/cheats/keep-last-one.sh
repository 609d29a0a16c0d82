#!/usr/bin/env bash
# A complete job that keeps only the newest snapshot: nothing old, but nothing from last week
# either.
# targets: retention
set -euo pipefail
sed -i '/finance/d' /etc/backup/excludes
cat > /usr/local/sbin/backup-nightly <<'SH'
#!/bin/bash
set -euo pipefail
export RESTIC_REPOSITORY=/backup/restic RESTIC_PASSWORD_FILE=/etc/backup/restic.pass
restic backup --quiet --exclude-file=/etc/backup/excludes /srv/data /var/lib/wiki
restic forget --quiet --prune --keep-last 1
SH
chmod 0700 /usr/local/sbin/backup-nightly
mv /etc/cron.d/backup.nightly /etc/cron.d/backup-nightly
/usr/local/sbin/backup-nightly
