#!/usr/bin/env bash
# Make (once) and mount a btrfs file system in a sparse loop file for Docker's data root, and
# print its mount point. On btrfs the engine enforces `--storage-opt size` per container, so a
# sandbox cannot fill the host's disk (overlay2 on ext4 cannot). Called by ensure-docker.sh.
# Idempotent: an existing file is mounted, never reformatted; a mounted one is left alone.
#
#   OPSLAB_DOCKER_DISK       size of the loop file (sparse; default 40G): the most every
#                            sandbox and image together may take from the host's disk
#   OPSLAB_DOCKER_DISK_FILE  the loop file (default /var/lib/opslab/docker-btrfs.img)
#   OPSLAB_DOCKER_ROOT       where it is mounted: the engine's data root (default /var/lib/opslab/docker)
set -euo pipefail

log() { printf '[docker] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

FILE=${OPSLAB_DOCKER_DISK_FILE:-/var/lib/opslab/docker-btrfs.img}
ROOT=${OPSLAB_DOCKER_ROOT:-/var/lib/opslab/docker}
SIZE=${OPSLAB_DOCKER_DISK:-40G}
OPT_OUT="or set OPSLAB_DISK_CAP=0 to keep an overlay2 engine (the watchdog then ends sandboxes that fill their disk)"

# Simple quotas (Linux 6.7+): full qgroups made every sandbox removal trace shared extents,
# which took both cores here (btrfs-simple-quota.py says why); the engine's caps work the same.
simple_quota() {
  local mode
  if mode=$(python3 "$(dirname "$0")/btrfs-simple-quota.py" "$ROOT" 2>&1); then
    [ "$mode" = squota ] || log "quotas on $ROOT: $mode"
  else
    log "warning: $mode"
  fi
}

if mountpoint -q "$ROOT"; then
  fstype=$(findmnt -n -o FSTYPE --target "$ROOT")
  [ "$fstype" = btrfs ] || die "$ROOT is mounted but is $fstype, not btrfs; unmount it or set OPSLAB_DOCKER_ROOT to another folder"
  [ "$(id -u)" -eq 0 ] && simple_quota
  echo "$ROOT"; exit 0
fi

[ "$(id -u)" -eq 0 ] || die "mounting the engine's btrfs data root needs root: run 'sudo $0' once, $OPT_OUT"
if ! command -v mkfs.btrfs >/dev/null 2>&1; then
  missing=(btrfs-progs)
  # shellcheck source=apt.sh
  source "$(dirname "$0")/apt.sh"
  apt_install_missing docker
fi
grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null || \
  die "this kernel has no btrfs (modprobe btrfs failed), so the engine cannot cap sandbox disks; $OPT_OUT"

bytes() { numfmt --from=iec "${1%[bB]}"; }
want=$(bytes "$SIZE") || die "OPSLAB_DOCKER_DISK: expected a size such as 40G, got '$SIZE'"
mkdir -p "$(dirname "$FILE")" "$ROOT"
if [ ! -e "$FILE" ]; then
  free=$(( $(df --output=avail -B1 "$(dirname "$FILE")" | tail -1) ))
  [ "$want" -le "$free" ] || log "warning: $FILE may grow to $SIZE but only $(numfmt --to=iec "$free") is free there; set OPSLAB_DOCKER_DISK lower"
  log "creating a $SIZE sparse btrfs file system in $FILE for the engine's data root (one time)…"
  truncate -s "$SIZE" "$FILE"
  mkfs.btrfs -q -L opslab-docker "$FILE" >/dev/null || { rm -f "$FILE"; die "mkfs.btrfs failed on $FILE; $OPT_OUT"; }
fi
mount -t btrfs -o loop "$FILE" "$ROOT" 2>/dev/null || \
  die "cannot mount $FILE on $ROOT (no loop devices in this container? try 'modprobe loop'); $OPT_OUT"
if [ "$want" -gt "$(stat -c %s "$FILE")" ]; then  # OPSLAB_DOCKER_DISK grew: grow the file system
  log "growing $FILE to $SIZE"
  truncate -s "$SIZE" "$FILE"
  losetup -c "$(findmnt -n -o SOURCE --target "$ROOT")" && btrfs filesystem resize max "$ROOT" >/dev/null
fi
simple_quota
log "engine data root: $ROOT (btrfs in $FILE, $(numfmt --to=iec "$(stat -c %s "$FILE")") at most)"
echo "$ROOT"
