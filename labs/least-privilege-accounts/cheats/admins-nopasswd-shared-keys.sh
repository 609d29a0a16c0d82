#!/usr/bin/env bash
# Give alice and bob root without a password and the whole old authorized_keys file each;
# lock opsadmin's password but leave its sudo rule and keys in place.
# targets: admins-individual
set -euo pipefail
printf 'alice ALL=(ALL) NOPASSWD: ALL\nbob ALL=(ALL) NOPASSWD: ALL\n' | install -m 0440 /dev/stdin /etc/sudoers.d/admins
for u in alice bob; do
  install -d -m 0700 -o "$u" -g "$u" "/home/$u/.ssh"
  install -m 0600 -o "$u" -g "$u" /home/opsadmin/.ssh/authorized_keys "/home/$u/.ssh/authorized_keys"
done
usermod --lock opsadmin
