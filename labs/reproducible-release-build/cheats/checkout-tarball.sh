#!/usr/bin/env bash
# Reproducible, but of the working folder: excludes the junk it knows about (bytecode,
# backups), and ships everything else lying in the checkout.
# targets: artifact-contents
set -euo pipefail
cd /root/agent
cat > Makefile <<'MK'
NAME    := acme-agent
VERSION := $(patsubst v%,%,$(shell git describe --tags --exact-match 2>/dev/null))
PKG     := $(NAME)-$(VERSION)
.PHONY: release
release:
	rm -rf dist && mkdir -p dist
	echo $(VERSION) > VERSION
	tar --sort=name --mtime=@$$(git log -1 --format=%ct) --owner=0 --group=0 --numeric-owner --mode=go=rX,u+rw \
	    --exclude=__pycache__ --exclude='*~' --transform='s,^,$(PKG)/,' -cf - src share README.md LICENSE VERSION \
	    | gzip -n > dist/$(PKG).tar.gz
	rm -f VERSION
	cd dist && sha256sum $(PKG).tar.gz > SHA256SUMS
MK
