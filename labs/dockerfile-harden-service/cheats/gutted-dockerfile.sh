#!/usr/bin/env bash
# The smallest Dockerfile that satisfies every rule in the review: pinned, non-root, a health
# check, nothing to lint, no secrets. It no longer builds the billing API.
set -euo pipefail
cd /srv/billing-api
cat > Dockerfile <<'DOCKERFILE'
FROM python:3.12.7-slim-bookworm
USER nobody
EXPOSE 8080
HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
CMD ["python", "-m", "http.server", "8080"]
DOCKERFILE
printf '*\n' > .dockerignore
