#!/usr/bin/env bash
# A well-researched note, and nothing fixed.
# targets: incident-note
set -euo pipefail
t() { date -u -d "$1" '+%F %H:%M UTC'; }
hang=$(sed -n 's/^\([^ ]*\) fontcache\[[0-9]*\]: rebuild started.*/\1/p' /var/log/pdf-render/fontcache.log | tail -n1)
down=$(grep "can't start new thread" /var/log/orders-api/error.log | cut -d' ' -f1 | sort | head -n1)
alert=$(awk '/FIRING  OrdersApiDown/ { print $1, $2 }' /var/log/monitoring/alerts.log)
cat > /root/incident.md <<NOTE
# Incident: orders API down
Severity: SEV1
Started: $(t "$down")
Detected: $(t "$alert")
Resolved: $(t now)
Trigger: MAX_WORKERS set to 0
Root cause: font cache lock held by a hung rebuild

## Timeline
- $(t "$hang") font cache rebuild hangs holding the lock
- $(t "$down") orders-api down
- $(t "$alert") alert
NOTE
