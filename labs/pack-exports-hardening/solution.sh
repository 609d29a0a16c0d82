#!/usr/bin/env bash
# Reference solution (files/pack-exports.solution): strict mode; every name quoted and passed
# NUL-separated to tar (never through ls or an unquoted glob, so spaces, globs, newlines and
# leading dashes stay names); a private work folder from mktemp under $TMPDIR removed by an
# EXIT trap; the archive published under a hidden name and renamed; sources removed only
# after both files are in place; a failure anywhere exits non-zero and takes back what it put
# into the drop folder.
set -euo pipefail
install -m 0755 "$OPSLAB_FILES/pack-exports.solution" /usr/local/bin/pack-exports
rm -rf /tmp/pack-exports.*
