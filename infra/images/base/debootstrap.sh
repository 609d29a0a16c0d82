#!/usr/bin/env bash
# Build the opslab/base image without a registry: debootstrap a minimal Debian into a
# temporary folder and `docker import` it. Used when `debian:bookworm-slim` cannot be pulled
# (air-gapped installs, machines without a registry).
# usage: debootstrap.sh TAG MIRROR PACKAGES(comma-separated) [LABEL=VALUE...]
set -euo pipefail
tag=$1 mirror=$2 packages=$3; shift 3
if ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then echo "debootstrap is missing: run 'sudo apt-get install debootstrap'" >&2; exit 1; fi
  apt-get install -y -qq debootstrap >/dev/null
fi
root=$(mktemp -d /var/tmp/opslab-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
# The tar's "." becomes the image's /: mktemp's 0700 would lock every user but root out of it
# (overlay2 ignores that entry; btrfs applies it)
chmod 0755 "$root"
echo "debootstrap bookworm (minbase) from $mirror"
debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" \
  | grep --line-buffered -E '^I: (Retrieving|Validating|Extracting|Installing|Configuring|Base system)' \
  | awk '{ n++; if ($2 != last || n % 40 == 0) { print; fflush() } last = $2 }'
# Keep the image small and its apt usable inside later builds.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
printf "deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s-security bookworm-security main\n" "$mirror" "$mirror" "$mirror" > "$root/etc/apt/sources.list"
changes=(--change 'ENV LANG=C.UTF-8' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["bash"]')
for l in "$@"; do changes+=(--change "LABEL $l"); done
echo "docker import → $tag"
tar -C "$root" -c . | docker import "${changes[@]}" - "$tag" >/dev/null
echo "built $tag"
