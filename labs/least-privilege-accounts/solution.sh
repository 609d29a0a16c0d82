#!/usr/bin/env bash
# Reference solution: an exact sudo rule for deploy (and nothing of root's it can write), admin
# rights through the sudo group with each person's own key, the shared account locked, and
# ordersd started as a system account of its own.
set -euo pipefail

# 1. deploy: the two commands the pipeline runs, no password, nothing else.
install -m 0440 /dev/stdin /etc/sudoers.d/deploy <<'SUDO'
# CI deploys: restart ordersd and read its log, nothing else
deploy ALL=(root) NOPASSWD: /usr/sbin/service orders restart, /usr/bin/tail -n 200 /var/log/orders/orders.log
SUDO
chown root:root /etc/default/orders
chmod 0644 /etc/default/orders

# 2. alice and bob: the sudo group (password required), their own keys.
for u in alice bob; do
  usermod -aG sudo "$u"
  install -d -m 0700 -o "$u" -g "$u" "/home/$u/.ssh"
  grep " $u@" /home/opsadmin/.ssh/authorized_keys > "/home/$u/.ssh/authorized_keys"
  chown "$u:$u" "/home/$u/.ssh/authorized_keys"
  chmod 0600 "/home/$u/.ssh/authorized_keys"
done
rm -f /etc/sudoers.d/opsadmin /home/opsadmin/.ssh/authorized_keys
gpasswd -d opsadmin sudo >/dev/null
usermod --lock --shell /usr/sbin/nologin opsadmin
visudo -c >/dev/null

# 3. ordersd as its own system account, owning only its data and log.
user=$OPSLAB_PARAM_SERVICE_USER  # the account this attempt asks for (lab.yaml params)
useradd --system --no-create-home --home-dir /var/lib/orders --shell /usr/sbin/nologin "$user"
chown -R "$user:$user" /var/lib/orders /var/log/orders
sed -i "s|--startas \\\$DAEMON -- \\\$SCRIPT|--chuid $user:$user --startas \$DAEMON -- \$SCRIPT|" /etc/init.d/orders
grep -q -- "--chuid $user:$user" /etc/init.d/orders
service orders restart >/dev/null
for _ in $(seq 50); do curl -fsS -m 1 -o /dev/null http://127.0.0.1:8080/health 2>/dev/null && break; sleep 0.1; done
