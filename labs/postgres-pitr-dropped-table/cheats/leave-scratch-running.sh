#!/usr/bin/env bash
# The reference recovery, minus the last step: the scratch instance on port 5433 keeps running.
# targets: scratch-stopped
set -euo pipefail
PG=/usr/lib/postgresql/15/bin
as_pg() { (cd / && runuser -u postgres -- "$@"); }
drop_at=$(grep -m1 'statement: DROP TABLE orders' /var/log/postgresql/postgresql-15-main.log | awk '{print $1" "$2" "$3}')
s=/var/lib/postgresql/pitr
install -d -o postgres -g postgres -m 0700 "$s"
tar -xzf /var/backups/postgres/base-*/base.tar.gz -C "$s"
cat > "$s/postgresql.conf" <<CONF
port = 5433
listen_addresses = ''
restore_command = 'cp /var/lib/postgresql/wal-archive/%f %p'
recovery_target_time = '$drop_at'
recovery_target_inclusive = off
recovery_target_action = 'promote'
hba_file = '/etc/postgresql/15/main/pg_hba.conf'
CONF
touch "$s/recovery.signal"
chown -R postgres:postgres "$s"
as_pg "$PG/pg_ctl" -D "$s" -l /var/lib/postgresql/pitr.log -w -t 120 start >/dev/null
for _ in $(seq 240); do
  [ "$(as_pg "$PG/psql" -X -p 5433 -Atc 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ] && break
  sleep 0.5
done
as_pg "$PG/pg_dump" -p 5433 -d shop -t orders -f /var/lib/postgresql/orders.sql
as_pg "$PG/psql" -X -q -v ON_ERROR_STOP=1 -d shop -f /var/lib/postgresql/orders.sql >/dev/null
