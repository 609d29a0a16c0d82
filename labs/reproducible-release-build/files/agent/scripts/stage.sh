#!/bin/bash
# stage.sh DIR VERSION: lay out the release tree in DIR.
set -euo pipefail
dir=$1 version=$2
rm -rf "$dir" && mkdir -p "$dir"
cp -r src share README.md LICENSE "$dir/"
cat > "$dir/BUILD_INFO" <<INFO
version: $version
built: $(date -u +%FT%TZ)
host: $(hostname)
INFO
