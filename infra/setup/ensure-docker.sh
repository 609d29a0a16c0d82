#!/usr/bin/env bash
# Make sure a Docker engine is installed and answering on its socket (DOCKER_HOST, default
# /var/run/docker.sock), with its data root on btrfs so that the kernel caps each sandbox's
# disk (`--storage-opt size`; overlay2 on ext4 cannot). Installs docker.io with apt when
# missing and starts dockerd directly where there is no systemd (containers, CI machines).
# Idempotent: does nothing when the engine answers (it only warns if that engine cannot cap).
#
#   OPSLAB_DISK_CAP=0     keep the plain overlay2 engine (then opslab's watchdog ends sandboxes
#                         over OPSLAB_SANDBOX_DISK instead of the kernel stopping the write)
#   OPSLAB_DOCKER_DISK, OPSLAB_DOCKER_DISK_FILE, OPSLAB_DOCKER_ROOT: see btrfs-data-root.sh
#   DOCKER_HOST=unix:///other.sock  start a second engine beside the machine's one, with its
#                         own pid file and exec root next to that socket; OPSLAB_DOCKERD_ARGS
#                         adds flags. Beside an engine that manages iptables and docker0, pass
#                         "--iptables=false --bridge=<a bridge of its own>": two engines must not
#                         both own the chains, and `--bridge=none` DELETES docker0 at start.
set -euo pipefail

log() { printf '[docker] %s\n' "$*" >&2; }
HERE=$(cd "$(dirname "$0")" && pwd)
CAP=${OPSLAB_DISK_CAP:-1}
DEFAULT_SOCK=/var/run/docker.sock
SOCK=$DEFAULT_SOCK
case "${DOCKER_HOST:-}" in
  "") ;;
  unix://*) SOCK=${DOCKER_HOST#unix://} ;;
  *) log "DOCKER_HOST=$DOCKER_HOST is a remote engine: nothing to start here"; exit 0 ;;
esac
SIDE=0; [ "$SOCK" != "$DEFAULT_SOCK" ] && [ "$SOCK" != /run/docker.sock ] && SIDE=1

engine_up() { docker -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

quota_rescan() {  # btrfs counts (and caps) nothing once its quota bookkeeping is inconsistent
  local root flag uuid
  root=$(docker -H "unix://$SOCK" info --format '{{.DockerRootDir}}' 2>/dev/null) || return 0
  uuid=$(findmnt -n -o UUID --target "$root" 2>/dev/null) || return 0
  flag=/sys/fs/btrfs/$uuid/qgroups/inconsistent
  if [ -n "$uuid" ] && [ "$(cat "$flag" 2>/dev/null)" = 1 ] && [ "$(id -u)" -eq 0 ]; then
    log "btrfs's disk accounting on $root is inconsistent: rescanning (about half a minute)…"
    btrfs quota rescan -w "$root" >/dev/null 2>&1 || log "warning: btrfs quota rescan -w $root failed; run it by hand"
  fi
}

say_cap() {  # what the running engine does about disk: one line, and the fix when it cannot cap
  local driver
  driver=$(docker -H "unix://$SOCK" info --format '{{.Driver}}' 2>/dev/null || echo unknown)
  case "$driver" in
    btrfs) log "engine up on $SOCK: storage btrfs, the kernel caps each sandbox's disk"
           "$HERE/seccomp-default.sh"  # sandboxes there refuse nested subvolumes (infra/seccomp.py)
           quota_rescan ;;
    zfs) log "engine up on $SOCK: storage zfs, the kernel caps each sandbox's disk" ;;
    *) if [ "$CAP" = 0 ]; then
         log "engine up on $SOCK: storage $driver (OPSLAB_DISK_CAP=0: the watchdog ends sandboxes that fill their disk)"
       else
         log "warning: the engine on $SOCK stores containers with $driver, which cannot cap a sandbox's disk;"
         log "  opslab's watchdog ends a sandbox over OPSLAB_SANDBOX_DISK instead, within about a second."
         log "  For a cap the kernel enforces, stop that engine and run 'make docker' again (it starts one"
         log "  on btrfs), or set OPSLAB_DISK_CAP=0 to keep $driver and silence this."
       fi ;;
  esac
}

if engine_up; then say_cap; exit 0; fi

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    log "this step needs root: run 'sudo $0' once, then retry"; exit 1
  fi
}

if ! command -v dockerd >/dev/null 2>&1; then
  need_root
  log "installing docker.io from apt (one time)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io iptables >/dev/null
  if engine_up && [ "$CAP" != 0 ] && [ "$SIDE" = 0 ] && [ -d /run/systemd/system ]; then
    log "stopping the engine the package just started, to move its data root to btrfs"
    systemctl stop docker docker.socket
  fi
fi

need_root
args=()
if [ "$CAP" != 0 ]; then
  root=$("$HERE/btrfs-data-root.sh")
  args+=(--data-root "$root" --storage-driver btrfs)
fi

if [ "$SIDE" = 0 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  dropin=/etc/systemd/system/docker.service.d/opslab-disk-cap.conf
  if [ "$CAP" != 0 ]; then
    log "configuring docker.service for the btrfs data root ($dropin)"
    mkdir -p "$(dirname "$dropin")"
    file=${OPSLAB_DOCKER_DISK_FILE:-/var/lib/opslab/docker-btrfs.img}
    printf '[Service]\nExecStartPre=/bin/sh -c "mountpoint -q %s || mount -t btrfs -o loop %s %s"\nExecStart=\nExecStart=%s -H fd:// %s\n' \
      "$root" "$file" "$root" "$(command -v dockerd)" "${args[*]}" > "$dropin"
  else
    rm -f "$dropin"
  fi
  systemctl daemon-reload
  log "starting docker with systemctl"
  systemctl start docker
  LOGFILE="journalctl -u docker"
else
  if [ "$SIDE" = 1 ]; then
    run=$(dirname "$SOCK")
    mkdir -p "$run"
    PIDFILE=$run/dockerd.pid
    LOGFILE=$run/dockerd.log
    args+=(-H "unix://$SOCK" --pidfile "$PIDFILE" --exec-root "$run/exec")
  else
    PIDFILE=/var/run/docker.pid
    LOGFILE=/var/log/opslab-dockerd.log
  fi
  # shellcheck disable=SC2206
  args+=(${OPSLAB_DOCKERD_ARGS:-})
  # A stale pid file from a killed engine stops a new one from starting.
  if [ -f "$PIDFILE" ] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    rm -f "$PIDFILE"
  fi
  log "starting dockerd in the background (log: $LOGFILE)"
  nohup dockerd "${args[@]}" >"$LOGFILE" 2>&1 &
fi

for _ in $(seq 1 60); do
  if [ -S "$SOCK" ] && engine_up; then
    log "engine up: $(docker -H "unix://$SOCK" version --format '{{.Server.Version}}')"; say_cap; exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within 30 s; see $LOGFILE"
exit 1
