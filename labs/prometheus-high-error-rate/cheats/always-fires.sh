#!/usr/bin/env bash
# targets: alert-fires, alert-quiet
# An alert that is always on "fires when it should": it must not pass for quiet.
set -euo pipefail
f=/etc/prometheus/rules/api.rules.yml
sed -i -e 's/^        expr: http_requests_total.*$/        expr: vector(1)/' \
       -e 's/^        for: 5$/        for: 5m/' \
       -e 's/^        summary: "api is failing/          summary: "api is failing/' \
       -e 's/severity: critical/severity: page/' "$f"
