#!/usr/bin/env bash
# Recover the rows properly, but bring them back with CREATE TABLE AS-style copying: the data
# is right, the table has no keys, no sequence, no grants.
# targets: table-works
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
as_pg "$PG/psql" -X -q -d shop -c "CREATE TABLE orders (id bigint, customer_id integer, placed_at timestamptz, status text, total_cents integer)"
as_pg "$PG/psql" -X -p 5433 -d shop -c "COPY orders TO STDOUT" | as_pg "$PG/psql" -X -q -d shop -c "COPY orders FROM STDIN"
as_pg "$PG/pg_ctl" -D "$s" -m fast -w stop >/dev/null
rm -rf "$s"
