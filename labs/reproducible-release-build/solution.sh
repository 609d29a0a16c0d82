#!/usr/bin/env bash
# Reference solution. The version comes from the tag (git describe). The release tree comes
# from git itself (git archive: committed files only, none of the checkout's junk), plus a
# VERSION file. The tarball is made reproducible: entries sorted by name, dated at the
# release commit (SOURCE_DATE_EPOCH), owned by 0:0, modes normalised (the checkout's umask
# does not matter), gzip without a timestamp. SHA256SUMS names the tarball as it is
# published, next to it, and is rewritten on every build.
set -euo pipefail
cd /root/agent
cat > Makefile <<'MK'
# Release build for acme-agent.
#   make release   builds dist/acme-agent-<version>.tar.gz and dist/SHA256SUMS
#                  from the commit checked out, which must be tagged v<version>
#   make clean
NAME    := acme-agent
VERSION := $(patsubst v%,%,$(shell git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null))
SOURCE_DATE_EPOCH := $(shell git log -1 --format=%ct)
PKG     := $(NAME)-$(VERSION)
DIST    := dist

.PHONY: release clean

release:
	@test -n "$(VERSION)" || { echo "HEAD is not tagged v<version>" >&2; exit 1; }
	./scripts/stage.sh build/$(PKG) $(VERSION)
	rm -rf $(DIST) && mkdir -p $(DIST)
	tar --sort=name --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner \
	    --mode=u+rw,go=rX,a-s --format=gnu -C build -cf - $(PKG) | gzip -9n > $(DIST)/$(PKG).tar.gz
	cd $(DIST) && sha256sum $(PKG).tar.gz > SHA256SUMS
	@echo "released $(PKG)"

clean:
	rm -rf build $(DIST)
MK
cat > scripts/stage.sh <<'SH'
#!/bin/bash
# stage.sh DIR VERSION: lay out the release tree in DIR from the committed files of HEAD.
set -euo pipefail
dir=$1 version=$2
rm -rf "$dir" && mkdir -p "$dir"
git archive --format=tar HEAD src share README.md LICENSE | tar -x -C "$dir"
printf '%s\n' "$version" > "$dir/VERSION"
SH
make -s release
cat dist/SHA256SUMS
sha1=$(sha256sum dist/*.tar.gz)
sleep 1; make -s release >/dev/null
[ "$sha1" = "$(sha256sum dist/*.tar.gz)" ] && echo "reproducible"
git add -A && git commit -q -m "release: reproducible builds, version from the tag"
