#!/usr/bin/env bash
# Burn it all: the dropped folder, the log, every cron job, every key, the backdoor account.
# targets: evidence-preserved, access-revoked, persistence-removed
set -euo pipefail
pkill -KILL -f /var/tmp/.ICE-unix/.x/ || true
rm -rf /var/tmp/.ICE-unix
: > /var/log/auth.log
rm -f /etc/cron.d/apt-compat-check /etc/profile.d/locale-fix.sh
crontab -r
sed -i '\|/var/tmp/.ICE-unix/|d' /etc/init.d/billing-api
: > /root/.ssh/authorized_keys
userdel -f systemd-netd
passwd -l deploy
