#!/usr/bin/env bash
# The orders host as inherited: the CI account `deploy` may run anything as root, the admins
# share the `opsadmin` account (one password, everyone's SSH key), and ordersd runs as root.
set -euo pipefail
keys=$OPSLAB_FILES/keys

# People, each with their own password (set by them; nobody else knows it).
useradd --create-home --shell /bin/bash --comment "Alice Martin" alice
useradd --create-home --shell /bin/bash --comment "Bob Okafor" bob
for u in alice bob; do echo "$u:$(openssl rand -hex 12)" | chpasswd; done

# The shared admin account: one password on a sticky note, every admin's key.
useradd --create-home --shell /bin/bash --comment "Shared ops admin" --groups sudo opsadmin
echo 'opsadmin:Acme-0ps-2019!' | chpasswd
install -d -m 0700 -o opsadmin -g opsadmin /home/opsadmin/.ssh
cat "$keys/alice.pub" "$keys/bob.pub" > /home/opsadmin/.ssh/authorized_keys
chown opsadmin:opsadmin /home/opsadmin/.ssh/authorized_keys
chmod 0600 /home/opsadmin/.ssh/authorized_keys
printf '# Runbooks\n\n- orders: `service orders restart`, log in /var/log/orders/orders.log\n' > /home/opsadmin/RUNBOOK.md
chown opsadmin:opsadmin /home/opsadmin/RUNBOOK.md
install -m 0440 /dev/stdin /etc/sudoers.d/opsadmin <<'SUDO'
# the shared admin account: no password prompts, we all know the password anyway
opsadmin ALL=(ALL) NOPASSWD: ALL
SUDO

# The CI account: key login, no password, and a "temporary" sudo rule from 2021.
useradd --create-home --shell /bin/bash --comment "CI deployments" deploy
install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh
install -m 0600 -o deploy -g deploy "$keys/ci.pub" /home/deploy/.ssh/authorized_keys
install -m 0440 /dev/stdin /etc/sudoers.d/deploy <<'SUDO'
# CI deploys: TODO narrow this down, the pipeline only restarts orders and reads its log
deploy ALL=(ALL) NOPASSWD: ALL
SUDO

# ordersd, as the vendor's install notes had it: everything root's.
install -d -m 0755 /opt/orders /var/lib/orders /var/log/orders
install -m 0755 "$OPSLAB_FILES/ordersd.py" /opt/orders/ordersd.py
install -m 0755 "$OPSLAB_FILES/orders.init" /etc/init.d/orders
install -m 0664 -g deploy "$OPSLAB_FILES/orders.default" /etc/default/orders
for i in 1 2 3; do printf '{"id": "ORD-2024-%04d", "sku": "ANV-%d", "qty": %d}\n' $((4000 + i)) $((i * 7)) "$i"; done \
  > /var/lib/orders/orders.jsonl
chmod 0644 /var/lib/orders/orders.jsonl
service orders start >/dev/null
for _ in $(seq 300); do curl -fsS -m 1 -o /dev/null http://127.0.0.1:8080/health 2>/dev/null && break; sleep 0.1; done
