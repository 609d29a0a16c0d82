#!/usr/bin/env bash
# A careful clean-up that misses the encoded @reboot line in root's own crontab.
# targets: persistence-removed
set -euo pipefail
D=/var/tmp/.ICE-unix/.x
pkill -KILL -f "$D/watchdog.sh" || true
pkill -KILL -f "$D/kworkerd" || true
mv /etc/cron.d/apt-compat-check /etc/profile.d/locale-fix.sh /root/
sed -i '\|/var/tmp/.ICE-unix/|d' /etc/init.d/billing-api
sed -i '/backup@db02/d' /root/.ssh/authorized_keys
userdel -f systemd-netd
passwd -l deploy
