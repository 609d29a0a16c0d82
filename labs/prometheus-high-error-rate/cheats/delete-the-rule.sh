#!/usr/bin/env bash
# targets: alert-quiet
# An alert that does not exist never fires on noise either: it must not pass for quiet.
set -euo pipefail
f=/etc/prometheus/rules/api.rules.yml
# Drop the HighErrorRate rule: from its comment line up to the next rule.
sed -i '/# Was paging on every blip/,/^      - alert: HighLatency/{/^      - alert: HighLatency/!d}' "$f"
