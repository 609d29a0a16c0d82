#!/usr/bin/env bash
# Reference solution: every service that others wait for has a health check that asks it the
# real question (pg_isready, redis-cli ping, the API's /healthz with Python, as its image has
# no curl); dependants wait for service_healthy; only nginx publishes a port; the proxy shares
# a network with the API only; the database keeps its data in a named volume; the password
# comes from .env, once, for the database and both clients.
set -euo pipefail
cd /srv/orders
cat > docker-compose.yml <<'YAML'
# Orders stack: Postgres, Redis, the orders API and its worker, nginx in front.
# Secrets come from .env (not committed): POSTGRES_PASSWORD.
x-app-env: &app-env
  DATABASE_URL: postgresql://orders:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}@db:5432/orders
  REDIS_URL: redis://cache:6379/0

services:
  db:
    image: postgres:16.4
    environment:
      POSTGRES_USER: orders
      POSTGRES_DB: orders
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U $${POSTGRES_USER} -d $${POSTGRES_DB}"]
      interval: 5s
      timeout: 3s
      retries: 10
      start_period: 20s
    volumes:
      - pgdata:/var/lib/postgresql/data
    networks: [backend]

  cache:
    image: redis:7.2.5
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 5s
      timeout: 3s
      retries: 10
    networks: [backend]

  api:
    build: ./api
    environment: *app-env
    depends_on:
      db:
        condition: service_healthy
      cache:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/healthz', timeout=2)"]
      interval: 10s
      timeout: 3s
      retries: 3
      start_period: 10s
    expose:
      - "8000"
    networks: [backend, frontend]

  worker:
    build: ./api
    command: ["python", "-m", "orders.worker"]
    environment: *app-env
    depends_on:
      db:
        condition: service_healthy
      cache:
        condition: service_healthy
    networks: [backend]

  proxy:
    image: nginx:1.27.1
    ports:
      - "80:80"
    volumes:
      - ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro
    depends_on:
      api:
        condition: service_healthy
    networks: [frontend]

volumes:
  pgdata:

networks:
  frontend:
  backend:
YAML
docker-compose config -q
