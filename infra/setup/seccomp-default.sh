#!/usr/bin/env bash
# Put the Docker engine's own default seccomp profile where opslab reads it
# (/usr/local/share/opslab/docker-seccomp-default.json, or $OPSLAB_SECCOMP_DEFAULT): sandboxes on
# a btrfs engine run under it minus the btrfs volume ioctls (infra/seccomp.py), since a nested
# subvolume would escape the disk cap. The profile ships in Debian's
# golang-github-docker-docker-dev, built from the same source as docker.io: only that file is
# taken from the package (apt-get download + dpkg-deb), nothing is installed. Idempotent.
set -euo pipefail

log() { printf '[docker] %s\n' "$*" >&2; }
DEST=${OPSLAB_SECCOMP_DEFAULT:-/usr/local/share/opslab/docker-seccomp-default.json}
[ -s "$DEST" ] && exit 0
[ "$(id -u)" -eq 0 ] || { log "installing $DEST needs root: run 'sudo $0' once"; exit 1; }

pkg=golang-github-docker-docker-dev
version=$(dpkg-query -W -f '${Version}' docker.io 2>/dev/null || true)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chown _apt "$tmp" 2>/dev/null || true  # apt downloads as _apt
log "fetching the engine's default seccomp profile from $pkg ${version:-(latest)} (one time)…"
apt-get update -qq
( cd "$tmp" && { [ -n "$version" ] && apt-get download -qq "$pkg=$version" 2>/dev/null || apt-get download -qq "$pkg"; } ) \
  || { log "cannot download $pkg; sandboxes on btrfs will not start until $DEST exists"; exit 1; }
dpkg-deb -x "$tmp"/*.deb "$tmp/x"
mkdir -p "$(dirname "$DEST")"
install -m 0644 "$tmp/x/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json" "$DEST"
log "seccomp profile: $DEST"
