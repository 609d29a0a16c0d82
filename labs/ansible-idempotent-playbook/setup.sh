#!/usr/bin/env bash
# Put the appsvc playbook in /root/site and give the host the files it expects to find.
set -euo pipefail

cp -r "$OPSLAB_FILES/site" /root/site
install -m 0644 "$OPSLAB_FILES/appsvc.default" /etc/default/appsvc
install -m 0755 "$OPSLAB_FILES/appsvc-report" /usr/local/bin/appsvc-report
