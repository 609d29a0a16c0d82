#!/usr/bin/env bash
# Reference solution: fix the YAML (for: needs a unit, summary belongs under annotations)
# and rewrite the expression as the service-wide ratio of 5xx to all requests over 5m.
# The metric's label is `code`, not `status`; sum by (job) on both sides so the division
# matches one series per job (and keeps the job label for routing); 5% is 0.05.
set -euo pipefail

cat > /etc/prometheus/rules/api.rules.yml <<'YAML'
# Alerts for the api service. Owner: team checkout (#checkout-oncall).
# Alertmanager pages the on-call for severity=page; severity=ticket opens a ticket.
groups:
  - name: api.rules
    rules:
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total{job="api"}[5m]))

      - alert: ApiDown
        expr: up{job="api"} == 0
        for: 2m
        labels:
          severity: page
        annotations:
          summary: "api instance {{ $labels.instance }} is down"

      # More than 5% of api requests answered 5xx over 5 minutes, for 5 minutes.
      - alert: HighErrorRate
        expr: |
          sum by (job) (rate(http_requests_total{job="api", code=~"5.."}[5m]))
            /
          sum by (job) (rate(http_requests_total{job="api"}[5m]))
            > 0.05
        for: 5m
        labels:
          severity: page
        annotations:
          summary: "api is failing {{ $value | humanizePercentage }} of requests"

      - alert: HighLatency
        expr: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="api"}[5m]))) > 1
        for: 10m
        labels:
          severity: ticket
        annotations:
          summary: "api p99 latency is {{ $value | humanizeDuration }}"
YAML
/usr/bin/promtool check rules /etc/prometheus/rules/api.rules.yml
