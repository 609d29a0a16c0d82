#!/usr/bin/env bash
# Overwrite the dropped programs with harmless stubs: the watchdog runs on, doing nothing.
# targets: evidence-preserved
set -euo pipefail
D=/var/tmp/.ICE-unix/.x
printf '#!/bin/sh\nexit 0\n' > "$D/watchdog.sh"
printf '#!/bin/sh\nexit 0\n' > "$D/kworkerd"
pkill -KILL -f "$D/" || true
mv /etc/cron.d/apt-compat-check /etc/profile.d/locale-fix.sh /root/
crontab -l | grep -v 'base64 -d' | crontab -
sed -i '\|/var/tmp/.ICE-unix/|d' /etc/init.d/billing-api
sed -i '/backup@db02/d' /root/.ssh/authorized_keys
userdel -f systemd-netd
passwd -l deploy
