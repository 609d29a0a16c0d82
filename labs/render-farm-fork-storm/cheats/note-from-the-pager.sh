#!/usr/bin/env bash
# The right fix, and a note dated from when the on-call looked: started = detected = now.
# targets: incident-note
set -euo pipefail
SPOOL=/var/spool/pdf-render

sed -i 's/^MAX_WORKERS=.*/MAX_WORKERS=4/' /etc/pdf-render.conf
service pdf-render stop || true
pkill -u app -f '^/usr/bin/flock -s /var/cache/pdf-render/fonts.lock' || true
pkill -u app -f pdf-render-fontcache || true     # the hung rebuild: flock -x, the script...
pkill -u app -x cat || true                       # ...and its cat of the share's manifest
for _ in $(seq 50); do pgrep -u app -f 'pdf-render-(worker|job|fontcache)|flock' >/dev/null || break; sleep 0.1; done

# The stranded jobs go back to the queue, and the renderer starts with a sane limit.
find "$SPOOL/work" -name '*.job' -exec mv -t "$SPOOL/queue/" {} +
rm -f /run/pdf-render.pid
service pdf-render start
for _ in $(seq 120); do
    [ -z "$(ls -A $SPOOL/queue)$(ls -A $SPOOL/work)" ] && break  # ls of two folders prints their names
    sleep 0.5
done
curl -fsS http://127.0.0.1:8080/health; echo

# The incident note: times from the logs (alerts.log, orders-api/error.log, fontcache.log).
t() { date -u -d "$1" '+%F %H:%M UTC'; }
hang=$(sed -n 's/^\([^ ]*\) fontcache\[[0-9]*\]: rebuild started.*/\1/p' /var/log/pdf-render/fontcache.log | tail -n1)
change=$(awk '/MAX_WORKERS=0/ { print $1, $2, $3 }' /var/log/auth.log)
restart=$(awk '/service pdf-render restart/ { print $1, $2, $3 }' /var/log/auth.log)
down=$(grep "can't start new thread" /var/log/orders-api/error.log | cut -d' ' -f1 | sort | head -n1)
alert=$(awk '/FIRING  OrdersApiDown/ { print $1, $2 }' /var/log/monitoring/alerts.log)
cat > /root/incident.md <<NOTE
# Incident: orders API dropped every request; invoice PDFs stalled
Severity: SEV1
Started: $(t now)
Detected: $(t now)
Resolved: $(t now)
Trigger: MAX_WORKERS set to 0 (no limit) in /etc/pdf-render.conf and pdf-render restarted: one worker per queued job until the app account hit its process limit (120), starving orders-api of threads
Root cause: the nightly font cache rebuild hung reading /srv/shared-fonts while holding the font cache lock exclusively, so every render worker blocked on the lock and the queue backed up

## Timeline
- $(t "$hang") font cache rebuild starts, hangs on /srv/shared-fonts, holding fonts.lock
- $(t "$change") MAX_WORKERS changed from 4 to 0 by mlopez
- $(t "$restart") pdf-render restarted with no worker limit; workers fill the app account's process limit
- $(t "$down") orders-api starts dropping requests (can't start new thread)
- $(t "$alert") OrdersApiDown fires, on-call paged
- $(t now) MAX_WORKERS back to 4, stranded workers and the hung rebuild killed, jobs requeued, pdf-render restarted; orders-api answers

## Follow-ups
- timeout on the font cache rebuild (flock -w, timeout), alert on its duration
- MAX_WORKERS=0 should not mean unlimited; separate accounts for orders-api and pdf-render
NOTE
cat /root/incident.md
