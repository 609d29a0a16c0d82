#!/usr/bin/env bash
# pack-exports as found: the nightly job that packs finance's CSV exports for the partner's
# drop folder. It works on a good night; last week it shipped a broken batch and deleted the
# exports it failed to pack, and /tmp is full of its leftovers.
set -euo pipefail

id exporter >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/exporter --shell /bin/bash exporter
install -m 0755 "$OPSLAB_FILES/pack-exports" /usr/local/bin/pack-exports

install -d -o exporter -g exporter /srv/exports/outgoing /srv/dropbox/acme-partner
cd /srv/exports/outgoing
printf 'order_id,customer,amount_eur,booked_at\n4410021,C2231,129.90,2025-10-14T08:12:00Z\n' > orders-2025-10-14.csv
printf 'order_id,customer,amount_eur,booked_at\n4410388,C1009,15.00,2025-10-14T11:40:00Z\n' > 'refunds 2025-10-14.csv'
printf 'see ticket FIN-2211\n' > notes.txt
chown exporter:exporter ./*

# What previous nights left in /tmp.
for pid in 18211 19877 23102; do
    install -d -o exporter -g exporter "/tmp/pack-exports.$pid"
    printf 'order_id,customer,amount_eur,booked_at\n' > "/tmp/pack-exports.$pid/orders.csv"
    chown exporter:exporter "/tmp/pack-exports.$pid/orders.csv"
done

cat > /etc/cron.d/pack-exports <<'CRON'
# Nightly: pack finance's exports for the partner (their side fetches at 02:30).
15 2 * * * exporter /usr/local/bin/pack-exports /srv/exports/outgoing /srv/dropbox/acme-partner >> /var/lib/exporter/pack-exports.log 2>&1
CRON
cat > /var/lib/exporter/pack-exports.log <<'LOG'
packed 14 files into /srv/dropbox/acme-partner/exports-20251008T021501Z.tar.gz
packed 12 files into /srv/dropbox/acme-partner/exports-20251009T021502Z.tar.gz
ls: cannot access 'Q3': No such file or directory
ls: cannot access 'report': No such file or directory
ls: cannot access '(final).csv': No such file or directory
packed 9 files into /srv/dropbox/acme-partner/exports-20251010T021501Z.tar.gz
tar: /srv/dropbox/acme-partner/exports-20251011T021501Z.tar.gz: Cannot write: No space left on device
tar: Error is not recoverable: exiting now
packed 0 files into /srv/dropbox/acme-partner/exports-20251011T021501Z.tar.gz
LOG
chown exporter:exporter /var/lib/exporter/pack-exports.log
