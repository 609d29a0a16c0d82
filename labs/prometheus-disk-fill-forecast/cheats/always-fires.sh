#!/usr/bin/env bash
# targets: fires-filling, stays-quiet
# An alert that is always on "fires for a filling disk": it must not pass for quiet.
set -euo pipefail
f=/etc/prometheus/rules/node.rules.yml
sed -i -e 's|^        expr: predict_linear.*$|        expr: node_filesystem_avail_bytes >= 0|' \
       -e 's/severity: warning/severity: page/' "$f"
