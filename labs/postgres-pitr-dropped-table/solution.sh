#!/usr/bin/env bash
# Reference solution: point-in-time recovery of last night's base backup into a scratch
# instance on port 5433, replaying the archived WAL up to just before the DROP; then copy the
# orders table (data, sequence, keys, grants) back into production with pg_dump, and stop and
# remove the scratch instance. Production itself is never rolled back.
set -euo pipefail
PG=/usr/lib/postgresql/15/bin
as_pg() { (cd / && runuser -u postgres -- "$@"); }

# The moment of the DROP, from the server log (log_statement = ddl).
drop_at=$(grep -m1 'statement: DROP TABLE orders' /var/log/postgresql/postgresql-15-main.log | awk '{print $1" "$2" "$3}')
[ -n "$drop_at" ]

scratch=/var/lib/postgresql/pitr
install -d -o postgres -g postgres -m 0700 "$scratch"
tar -xzf /var/backups/postgres/base-*/base.tar.gz -C "$scratch"
chown -R postgres:postgres "$scratch"
# Debian keeps the configuration outside the data folder: the scratch instance needs its own.
cat > "$scratch/postgresql.conf" <<CONF
port = 5433
listen_addresses = ''
restore_command = 'cp /var/lib/postgresql/wal-archive/%f %p'
recovery_target_time = '$drop_at'
recovery_target_inclusive = off
recovery_target_action = 'promote'
hba_file = '/etc/postgresql/15/main/pg_hba.conf'
ident_file = '/etc/postgresql/15/main/pg_ident.conf'
CONF
chown postgres:postgres "$scratch/postgresql.conf"
touch "$scratch/recovery.signal"
as_pg "$PG/pg_ctl" -D "$scratch" -l /var/lib/postgresql/pitr.log -w -t 120 start >/dev/null
for _ in $(seq 240); do
  [ "$(as_pg "$PG/psql" -X -p 5433 -Atc 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ] && break
  sleep 0.5
done

as_pg "$PG/pg_dump" -p 5433 -d shop -t orders -f /var/lib/postgresql/orders.sql
as_pg "$PG/psql" -X -q -v ON_ERROR_STOP=1 -p 5432 -d shop -f /var/lib/postgresql/orders.sql >/dev/null
as_pg "$PG/pg_ctl" -D "$scratch" -m fast -w stop >/dev/null
rm -rf "$scratch" /var/lib/postgresql/orders.sql /var/lib/postgresql/pitr.log
