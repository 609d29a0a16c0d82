#!/usr/bin/env bash
# Install the platform team's Prometheus config, the node rules file with the broken
# DiskWillFillIn4h alert, and last night's incident as a promtool replay. Prometheus itself
# is not started: the work is on the rules file, and promtool is all it needs.
set -euo pipefail
install -d -m 0755 /etc/prometheus/rules
install -m 0644 "$OPSLAB_FILES/prometheus.yml" /etc/prometheus/prometheus.yml
install -m 0644 "$OPSLAB_FILES/node.rules.yml" /etc/prometheus/rules/node.rules.yml
install -m 0644 "$OPSLAB_FILES/inc-2318.test.yml" /root/inc-2318.test.yml
