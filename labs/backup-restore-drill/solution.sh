#!/usr/bin/env bash
# Reference solution: back up both data sets (not the cache), forget what is older than 30
# days, make the job runnable and the cron file readable by cron, lock down the password and
# the repository, and take a backup.
set -euo pipefail

sed -i '/finance/d' /etc/backup/excludes
cat > /usr/local/sbin/backup-nightly <<'SH'
#!/bin/bash
# backup-nightly: back up the file server to the restic repository on the backup disk.
# Run by cron every night (/etc/cron.d/backup-nightly). Settings are in /etc/backup/.
set -euo pipefail
export RESTIC_REPOSITORY=/backup/restic
export RESTIC_PASSWORD_FILE=/etc/backup/restic.pass

restic backup --quiet --exclude-file=/etc/backup/excludes /srv/data /var/lib/wiki
# Data protection: nothing older than 30 days is kept.
restic forget --quiet --prune --keep-within 30d
SH
chmod 0700 /usr/local/sbin/backup-nightly
mv /etc/cron.d/backup.nightly /etc/cron.d/backup-nightly

chmod 0600 /etc/backup/restic.pass
chmod -R go-rwx /backup/restic
chmod 0700 /backup

/usr/local/sbin/backup-nightly
