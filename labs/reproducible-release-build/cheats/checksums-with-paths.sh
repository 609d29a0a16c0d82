#!/usr/bin/env bash
# A perfect build, with SHA256SUMS written from the top of the project (paths "dist/...").
# targets: checksums
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
	tar --sort=name --mtime=@$$(git log -1 --format=%ct) --owner=0 --group=0 --numeric-owner --mode=go=rX,u+rw \
	    -C build -cf - $(PKG) | gzip -n > dist/$(PKG).tar.gz
	sha256sum dist/$(PKG).tar.gz > dist/SHA256SUMS
MK
