#!/usr/bin/env bash
# A .dockerignore of `*`: no secret or clutter can reach the builder, because nothing does,
# including the code the Dockerfile copies.
# targets: no-baked-secrets, reproducible-build
set -euo pipefail
cd /srv/billing-api
cat > Dockerfile <<'DOCKERFILE'
FROM python:3.12.7-slim-bookworm
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY gunicorn.conf.py .
COPY billing/ billing/
RUN useradd --system --no-log-init --uid 10001 billing
USER 10001
EXPOSE 8080
HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "billing.wsgi:app"]
DOCKERFILE
printf '*\n' > .dockerignore
