#!/usr/bin/env bash
# acme-agent's repository as the release engineer left it: two tagged releases, a release
# build that stamps the date as the version, ships whatever lies in the checkout, and makes
# a different tarball every time it runs.
set -euo pipefail
umask 022
git config --global user.name "Release engineer"
git config --global user.email "release@acme.example"
git config --global advice.detachedHead false

repo=/root/agent
cp -r "$OPSLAB_FILES/agent" "$repo"
cd "$repo"
git init -q -b main
mv src/acme_agent/collect.py /tmp/collect.py
sed -i '/^from acme_agent import collect/d; s/collect.sample()/{}/' src/acme_agent/cli.py
git add -A
GIT_AUTHOR_DATE="2025-03-04T10:12:00Z" GIT_COMMITTER_DATE="2025-03-04T10:12:00Z" git commit -q -m "acme-agent 2.3.0"
GIT_COMMITTER_DATE="2025-03-04T10:12:00Z" git tag -a v2.3.0 -m "acme-agent 2.3.0"
mv /tmp/collect.py src/acme_agent/collect.py
cp "$OPSLAB_FILES/agent/src/acme_agent/cli.py" src/acme_agent/cli.py
git add -A
GIT_AUTHOR_DATE="2025-05-20T15:40:00Z" GIT_COMMITTER_DATE="2025-05-20T15:40:00Z" git commit -q -m "collect load averages"
GIT_COMMITTER_DATE="2025-05-20T15:40:00Z" git tag -a v2.4.0 -m "acme-agent 2.4.0"

# What a working checkout collects: bytecode, an editor backup, a scratch file.
mkdir -p src/acme_agent/__pycache__
printf 'bytecode\n' > src/acme_agent/__pycache__/cli.cpython-311.pyc
cp share/acme-agent.conf share/acme-agent.conf~
printf 'print("trying things")\n' > src/acme_agent/scratch.py
make -s release >/dev/null
