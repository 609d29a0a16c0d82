#!/usr/bin/env bash
# Reference solution. predict_linear(v[range], t) extrapolates v `t` SECONDS ahead from its
# trend over `range`: 4 hours is 4 * 3600 (a duration literal like 4h is not a number in
# PromQL 2.x, which is why the file did not load). Predict the space that is *available*
# (size never changes), over an hour (5 minutes follows every burst of writes), only for
# real disks (not tmpfs), and only page once the prediction has held for 15 minutes.
set -euo pipefail
f=/etc/prometheus/rules/node.rules.yml
start=$(grep -n '^      - alert: DiskWillFillIn4h' "$f" | cut -d: -f1)
head -n $((start - 1)) "$f" > "$f.new"
cat >> "$f.new" <<'YAML'
      - alert: DiskWillFillIn4h
        expr: |
          predict_linear(node_filesystem_avail_bytes{fstype!~"tmpfs|ramfs"}[1h], 4 * 3600) < 0
        for: 15m
        labels:
          severity: page
        annotations:
          summary: "{{ $labels.mountpoint }} on {{ $labels.instance }} will be full within 4 hours"
YAML
mv "$f.new" "$f"
promtool check rules "$f"
promtool test rules /root/inc-2318.test.yml
