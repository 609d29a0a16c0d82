#!/usr/bin/env bash
# logreport as found: a colleague's first draft, run by cron as `reports`, that worked on the
# logs it was written against and falls over on everything else (see files/logreport).
set -euo pipefail

id reports >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/reports --shell /usr/sbin/nologin reports

install -m 0755 "$OPSLAB_FILES/logreport" /usr/local/bin/logreport

# Sample logs of edge-01, and the report the finished tool prints for them (made here with the
# reference implementation, which is then removed with the rest of files/).
rm -rf /srv/logs
python3 "$OPSLAB_FILES/gen_sample.py" /srv/logs/edge-01
chmod -R a+rX /srv/logs
python3 "$OPSLAB_FILES/logreport.solution" /srv/logs/edge-01 > /srv/logs/edge-01.expected.json 2>/dev/null

cat > /etc/cron.d/logreport <<'CRON'
# Hourly traffic summary for the capacity dashboard.
5 * * * * reports /usr/local/bin/logreport --top 10 /srv/logs/edge-01 > /var/lib/reports/edge-01.json 2>> /var/lib/reports/logreport.err
CRON
