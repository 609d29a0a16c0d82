#!/usr/bin/env bash
# Everything right, except the backdoor account only loses its shell (still uid 0, still
# with its password), and the cron file is emptied of its job while the watchdog still runs.
# targets: access-revoked, implant-stopped
set -euo pipefail
pkill -KILL -f /var/tmp/.ICE-unix/.x/kworkerd || true
mv /etc/profile.d/locale-fix.sh /root/
crontab -l | grep -v 'base64 -d' | crontab -
sed -i '\|/var/tmp/.ICE-unix/|d' /etc/init.d/billing-api
sed -i '/backup@db02/d' /root/.ssh/authorized_keys
usermod -s /usr/sbin/nologin systemd-netd
passwd -l deploy
