#!/usr/bin/env bash
# Reference solution. auth.log tells the story: deploy's password guessed from 203.0.113.77,
# sudo to root, a uid-0 account systemd-netd, and root logging in with a key whose
# fingerprint (SHA256:m44G...) is the "backup@db02" line in root's authorized_keys.
# `ss -ltnp` shows python3 on :4444 run as "[kswapd1]" from /var/tmp/.ICE-unix/.x; its
# parent "[kworker/1:3]" is watchdog.sh, which respawns it and rewrites its cron file, so it
# goes first. Then every way back in is closed, and the evidence is left where it is.
set -euo pipefail
D=/var/tmp/.ICE-unix/.x

# 1. Stop the respawner, then the backdoor (kill -STOP first would also do).
pkill -KILL -f "$D/watchdog.sh" || true
pkill -KILL -f "$D/kworkerd" || true
sleep 0.5

# 2. Persistence, kept aside for the report instead of deleted.
install -d -m 0700 /root/ir-2025-11-28
mv /etc/cron.d/apt-compat-check /etc/profile.d/locale-fix.sh /root/ir-2025-11-28/
crontab -l > /root/ir-2025-11-28/root.crontab
grep -v 'base64 -d' /root/ir-2025-11-28/root.crontab | crontab -
cp -p /etc/init.d/billing-api /root/ir-2025-11-28/billing-api.init
sed -i '\|/var/tmp/.ICE-unix/|d' /etc/init.d/billing-api

# 3. Ways in: the key, the uid-0 account, the guessed password.
cp -p /root/.ssh/authorized_keys /root/ir-2025-11-28/root.authorized_keys
sed -i '/AAAAC3NzaC1lZDI1NTE5AAAAIGAQ3mDjlg3nSisLCO9lILP1uAQZGdglJgUFPHpxHBWF/d' /root/.ssh/authorized_keys
userdel -f systemd-netd
passwd -l deploy

# 4. The dropped programs stay, byte for byte, but can no longer run.
chmod 0000 "$D/kworkerd" "$D/watchdog.sh"

ss -ltnp
ps -eo pid,user,args | grep -v ']$' || true
