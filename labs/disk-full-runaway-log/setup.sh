#!/usr/bin/env bash
# The incident as found: ledgerd was left at debug level, its log filled the 64 MiB volume at
# /var/log/app, and someone "fixed" it with `rm app.log` while ledgerd still had it open.
# Payments keep landing in the journal; their audit records pile up, pending, in ledgerd.
set -euo pipefail

archived=6000    # seq 1..6000 sit in the three archives in files/audit
written=9000     # seq 6001..9000 made it into audit.jsonl before the disk filled
journaled=9900   # ...and 900 more payments were committed since, with no audit record yet

# ledgerd, installed the way its package would (a legacy daemon that runs as root).
install -m 0755 "$OPSLAB_FILES/ledgerd" /usr/local/bin/ledgerd
install -m 0755 "$OPSLAB_FILES/ledgerd.init" /etc/init.d/ledgerd
install -d /etc/ledgerd /var/lib/ledger
install -m 0644 "$OPSLAB_FILES/ledgerd.conf" /etc/ledgerd/ledgerd.conf

# The log volume (a tmpfs, world-writable when mounted): root's, like the rest of /var/log.
chmod 0755 /var/log/app
install -d -m 0750 /var/log/app/audit
install -m 0440 "$OPSLAB_FILES"/audit/*.jsonl.gz /var/log/app/audit/

# Journal and audit trail, generated from the same deterministic payments as the archives.
gen() { awk -v from="$1" -v to="$2" -v t0="$3" -v step="$4" -v fmt="$5" -f "$OPSLAB_FILES/payments.awk"; }
d0=$(date -u -d 2025-06-01T08:00:00Z +%s)
today=$(( $(date +%s) - (journaled - archived) * 5 ))
{
    for i in 0 1 2; do gen $((i * 2000 + 1)) $((i * 2000 + 2000)) $((d0 + i * 86400)) 14 tsv; done
    gen $((archived + 1)) "$journaled" "$today" 5 tsv
} > /var/lib/ledger/journal.tsv
gen $((archived + 1)) "$written" "$today" 5 jsonl > /var/log/app/audit/audit.jsonl
chmod 0640 /var/log/app/audit/audit.jsonl

# The runaway log: debug chatter until the volume is full (head stops at ENOSPC).
line="$(date -u +%FT%TZ) DEBUG pool=payments conn=07 state=idle rx_buf=$(od -An -tx1 -N480 /dev/urandom | tr -d ' \n')"
yes "$line" | head -c 80M > /var/log/app/app.log 2>/dev/null || true

service cron start >/dev/null
service ledgerd start >/dev/null

# Wait for ledgerd to hold app.log open, then do what the colleague did.
for _ in $(seq 300); do
    pid=$(cat /run/ledgerd/ledgerd.pid 2>/dev/null || true)
    [ -n "$pid" ] && [ "$(readlink "/proc/$pid/fd/3" || true)" = /var/log/app/app.log ] && break
    sleep 0.02
done
rm /var/log/app/app.log
