#!/usr/bin/env bash
# A .dockerignore that names exactly the files that are there today (and patterns that only
# match at the top): the next .env.production or key somebody adds goes straight to the builder.
# targets: no-baked-secrets
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
printf '.git\n.env\nsecrets/stripe_live.key\nsecrets/db_password.txt\ndeploy/id_ed25519\n*.pem\n.venv\n__pycache__\nbilling/__pycache__\n' > .dockerignore
