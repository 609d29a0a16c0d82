#!/usr/bin/env bash
# The file server as found: a restic job that has "worked" every night, but leaves out the
# finance share and the wiki, never forgets a snapshot, is never run by cron (the cron file's
# name has a dot in it, and the script is not executable), and keeps its password and
# repository readable by everyone.
set -euo pipefail

cp -a "$OPSLAB_FILES/data/." /
chown -R root:root /srv/data /var/lib/wiki
# The thumbnail cache: regenerable, and bigger than everything else together.
mkdir -p /srv/data/cache/thumbs
for i in $(seq 8); do head -c 262144 /dev/urandom > "/srv/data/cache/thumbs/t$i.bin"; done
useradd --create-home --shell /bin/bash --comment "Monitoring agent" monitor

install -d -m 0755 /etc/backup /backup
install -m 0644 "$OPSLAB_FILES/excludes" /etc/backup/excludes
openssl rand -base64 24 > /etc/backup/restic.pass
chmod 0644 /etc/backup/restic.pass
install -m 0644 "$OPSLAB_FILES/backup-nightly" /usr/local/sbin/backup-nightly
install -m 0644 "$OPSLAB_FILES/backup.cron" /etc/cron.d/backup.nightly

# The repository, with the snapshots the job took by hand over the last nights.
export RESTIC_REPOSITORY=/backup/restic RESTIC_PASSWORD_FILE=/etc/backup/restic.pass
restic init --quiet >/dev/null
for d in 3 2 1; do
  restic backup --quiet --exclude-file=/etc/backup/excludes --time "$(date -d "-$d days" '+%F 02:30:00')" /srv/data
done
# "so that monitoring can check the repository size"
chmod -R a+rX /backup/restic

service cron start >/dev/null
