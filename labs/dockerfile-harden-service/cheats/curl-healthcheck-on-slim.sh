#!/usr/bin/env bash
# The health check everyone copies from a blog post: curl, in an image that has no curl, so
# the container never turns healthy. And the user is set before it is created... as root.
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
EXPOSE 8080
HEALTHCHECK CMD curl -f http://localhost:8080/healthz || exit 1
CMD ["gunicorn", "-c", "gunicorn.conf.py", "billing.wsgi:app"]
DOCKERFILE
printf '**/.env\n**/.env.*\n!.env.example\n.git\n**/secrets\n**/*.pem\n**/*.key\n**/id_*\n**/.venv\n**/__pycache__\n**/*.pyc\n' > .dockerignore
