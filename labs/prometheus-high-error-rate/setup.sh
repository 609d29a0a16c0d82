#!/usr/bin/env bash
# Install the team's Prometheus config and the broken api rules file. Prometheus itself
# is not started: the work is on the rules file, and promtool is all it needs.
set -euo pipefail

install -d -m 0755 /etc/prometheus/rules
install -m 0644 "$OPSLAB_FILES/prometheus.yml" /etc/prometheus/prometheus.yml
install -m 0644 "$OPSLAB_FILES/api.rules.yml" /etc/prometheus/rules/api.rules.yml
install -m 0644 "$OPSLAB_FILES/api-1.metrics" /root/api-1.metrics
