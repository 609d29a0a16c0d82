#!/usr/bin/env bash
# Make the job executable and add a second schedule... in another file cron never reads.
# targets: scheduled
set -euo pipefail
chmod 0755 /usr/local/sbin/backup-nightly
echo '15 3 * * * root /usr/local/sbin/backup-nightly' > /etc/cron.d/backup.nightly.new
