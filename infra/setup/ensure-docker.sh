#!/usr/bin/env bash
# Make sure a Docker engine is installed and answering on /var/run/docker.sock.
# Installs docker.io with apt when missing and starts dockerd directly where there is
# no systemd (containers, CI machines). Idempotent: does nothing when the engine answers.
set -euo pipefail

log() { printf '[docker] %s\n' "$*" >&2; }
SOCK=/var/run/docker.sock

engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if engine_up; then exit 0; fi

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
fi

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  log "starting docker with systemctl"
  need_root
  systemctl start docker
else
  need_root
  log "starting dockerd in the background (log: /var/log/opslab-dockerd.log)"
  # A stale pid file from a killed engine stops a new one from starting.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  nohup dockerd >/var/log/opslab-dockerd.log 2>&1 &
fi

for _ in $(seq 1 60); do
  if [ -S "$SOCK" ] && engine_up; then log "engine up: $(docker version --format '{{.Server.Version}}')"; exit 0; fi
  sleep 0.5
done
log "dockerd did not answer within 30 s; see /var/log/opslab-dockerd.log"
exit 1
