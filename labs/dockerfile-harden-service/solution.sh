#!/usr/bin/env bash
# Reference solution: a slim, pinned Python 3.12 base; dependencies installed from
# requirements.txt before the code is copied (cache); no credential anywhere in the image (the
# Stripe key comes from the environment at run time); a system user; a health check that asks
# /healthz with Python, since the slim image has no curl; exec-form CMD. The .dockerignore
# works by kinds of file, anywhere in the tree (`**/`), as an allow-list would also do.
set -euo pipefail
cd /srv/billing-api

cat > Dockerfile <<'DOCKERFILE'
# syntax=docker/dockerfile:1
FROM python:3.12.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY gunicorn.conf.py .
COPY billing/ billing/

RUN useradd --system --no-log-init --uid 10001 --home-dir /app billing
USER 10001

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status != 200)"]

# STRIPE_API_KEY, DATABASE_URL and SENTRY_DSN are supplied at run time (--env-file / the orchestrator).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "billing.wsgi:app"]
DOCKERFILE

cat > .dockerignore <<'IGNORE'
# Version control and CI
.git
.gitignore

# Credentials, wherever they are: env files, secrets, keys and certificates
**/.env
**/.env.*
!.env.example
**/secrets
**/*.pem
**/*.key
**/id_rsa*
**/id_dsa*
**/id_ecdsa*
**/id_ed25519*

# Local clutter
**/.venv
**/venv
**/__pycache__
**/*.pyc
**/.pytest_cache
IGNORE
