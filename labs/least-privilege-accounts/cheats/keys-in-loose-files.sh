#!/usr/bin/env bash
# Everything right about sudo and the shared account, but the keys are copied in with root's
# umask and ownership left to chance: a group-writable file sshd ignores.
# targets: admins-individual
set -euo pipefail
for u in alice bob; do
  usermod -aG sudo "$u"
  mkdir -p "/home/$u/.ssh"
  grep " $u@" /home/opsadmin/.ssh/authorized_keys > "/home/$u/.ssh/authorized_keys"
  chmod 0775 "/home/$u/.ssh"
  chmod 0664 "/home/$u/.ssh/authorized_keys"
done
rm -f /etc/sudoers.d/opsadmin /home/opsadmin/.ssh/authorized_keys
gpasswd -d opsadmin sudo >/dev/null
usermod --lock opsadmin
