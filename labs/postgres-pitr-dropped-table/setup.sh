#!/usr/bin/env bash
# The shop database with WAL archiving and last night's base backup; a day of business; then
# `DROP TABLE orders` by mistake, and the shop kept running (sign-ups, tickets) afterwards.
set -euo pipefail
PG=/usr/lib/postgresql/15/bin
f=$OPSLAB_FILES
sql() { (cd / && runuser -u postgres -- "$PG/psql" -q -X -v ON_ERROR_STOP=1 "$@") >/dev/null; }

install -d -o postgres -g postgres -m 0750 /var/lib/postgresql/wal-archive /var/backups/postgres
install -m 0644 -o postgres -g postgres "$f/archive.conf" /etc/postgresql/15/main/conf.d/archive.conf
service postgresql start >/dev/null
sql < "$f/schema.sql"

# Last night's base backup (the nightly job writes one of these a day).
(cd / && runuser -u postgres -- "$PG/pg_basebackup" -D "/var/backups/postgres/base-$(date -d yesterday +%F)" \
  -Ft -z -X fetch -c fast)

sql < "$f/today.sql"
sql -c 'SELECT pg_switch_wal()'
sleep 1.2
# The accident: a cleanup script meant for staging.
sql -d shop -c 'DROP TABLE orders'
sleep 1.2
sql < "$f/after-drop.sql"
sql -c 'SELECT pg_switch_wal()'
for _ in $(seq 100); do
  ready=$(cd / && runuser -u postgres -- "$PG/psql" -X -Atc \
    "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")
  [ "$ready" = 0 ] && break
  sleep 0.1
done
