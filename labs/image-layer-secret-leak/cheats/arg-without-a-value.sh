#!/usr/bin/env bash
# "Fix" the Dockerfile by dropping the ENV and the key file but keeping the build argument
# (without a default, so it "is not in the Dockerfile"): its value still lands in the history.
# targets: dockerfile-fixed
set -euo pipefail
cd /srv/incident/storefront
ssh=$(grep -q id_ed25519 Dockerfile && echo yes || echo no)
mount=""; [ "$ssh" = yes ] && mount="--mount=type=ssh "
cat > Dockerfile <<DOCKERFILE
FROM node:20.15.1-bookworm-slim
WORKDIR /app
ARG NPM_TOKEN
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=secret,id=unused ${mount}npm ci --omit=dev
COPY . .
ENV NODE_ENV=production
USER node
EXPOSE 3000
CMD ["node", "server.js"]
DOCKERFILE
printf '.git\nnode_modules\n**/.env\n**/.env.*\n!.env.example\n**/id_*\n**/*.pem\n**/*.key\n' > .dockerignore
