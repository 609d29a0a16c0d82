#!/usr/bin/env bash
# targets: stays-quiet
# Fix the units and the metric, but keep the 5-minute window and page at once: every
# burst of writes looks like a disk about to fill.
set -euo pipefail
f=/etc/prometheus/rules/node.rules.yml
sed -i -e 's|predict_linear(node_filesystem_size_bytes\[5m\], 4h)|predict_linear(node_filesystem_avail_bytes{fstype!="tmpfs"}[5m], 4 * 3600)|' \
       -e 's/severity: warning/severity: page/' "$f"
