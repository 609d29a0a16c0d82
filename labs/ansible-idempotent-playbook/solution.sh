#!/usr/bin/env bash
# Reference solution: every task states the result it wants instead of an action to repeat
# (the playbook is files/solution/site.yml; the setup never copies it to the host).
set -euo pipefail
cd /root/site

# The "generated on <timestamp>" line re-rendered the file on every run.
sed -i '/ansible_date_time/d' templates/appsvc.conf.j2
cp "$OPSLAB_FILES/solution/site.yml" site.yml
