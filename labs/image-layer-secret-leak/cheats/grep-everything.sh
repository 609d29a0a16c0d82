#!/usr/bin/env bash
# Grep every file in the incident folder, layers included, for anything shaped like a key,
# and hand the lot to security: the key rotated in May and the notes come along.
# targets: leaks-listed
set -euo pipefail
cd /srv/incident
work=$(mktemp -d)
tar -xf storefront-2.3.0.tar -C "$work"
for blob in "$work"/blobs/sha256/*; do
  if tar -tf "$blob" >/dev/null 2>&1; then mkdir -p "$blob.d" && tar -xf "$blob" -C "$blob.d"; fi
done
{ grep -rhoE 'sk_live_[A-Za-z0-9]+|whsec_[A-Za-z0-9]+|npm_[A-Za-z0-9]{20,}' "$work" NOTES.md storefront || true; } | sort -u > leaked.txt
grep -rlE 'PRIVATE KEY-----' "$work" | sed -E "s|^$work/blobs/sha256/[0-9a-f]+\.d||" >> leaked.txt || true
rm -rf "$work"
