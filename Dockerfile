# scheduler-service image: API + Temporal worker in one Node.js process (SCHEDULER_ROLE=all by default).
# The image always talks to a real Temporal cluster through TEMPORAL_ADDRESS; it never runs the embedded dev
# server, so the Temporal CLI is not built into it.

# ---- build: compile TypeScript, bundle the workflows, keep production dependencies only ----
FROM node:20-bookworm-slim AS build

# better-sqlite3 is a native addon: a prebuilt binary is used when one matches, else node-gyp compiles it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# `prepare` (scripts/install-tools.sh) would build the Temporal CLI with Go; the image does not need it.
ENV SCHEDULER_SKIP_TEMPORAL_CLI=1

# Dependencies first, so this layer is reused while package*.json are unchanged. --ignore-scripts here because
# the root `prepare` script compiles the sources, which are not copied yet; `npm rebuild` below runs the
# dependencies' install scripts (better-sqlite3, @swc/core, protobufjs) once the sources are in place.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY . .
# tsc → dist/, then dist/workflow-bundle.js (the worker loads it instead of bundling at start: ~65 MiB less RSS), then
# the admin console's assets in dist/console (esbuild, a devDependency: pruned after).
RUN npm rebuild \
 && npm run build \
 && test -f dist/main.js \
 && test -f dist/workflow-bundle.js \
 && test -f dist/console/index.html \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----
FROM node:20-bookworm-slim AS runtime

# PID 1 that forwards SIGTERM/SIGINT to node and reaps zombies (Debian's tini: /usr/bin/tini). Node as PID 1 would
# get no default signal handlers; close-with-grace drains in-flight calls on the forwarded SIGTERM.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

# Memory flags measured by `npm run bench` for the seed's 256 MiB pod (docs/deployment.md, Memory). HOST: a container
# is reached through its network, so every interface (left unset, an open-mode API would bind loopback only).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=1 --v8-pool-size=1" \
    MALLOC_ARENA_MAX=2 \
    PORT=8080 \
    HOST=0.0.0.0

WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The mirror's schema (apply it to Supabase; the embedded SQLite store creates the same tables itself).
COPY --from=build --chown=node:node /app/supabase ./supabase

# SCHEDULER_DATA_DIR default (./data): the embedded SQLite mirror when SUPABASE_URL is unset. Created here so a
# named volume mounted on it starts out owned by `node`.
RUN mkdir -p /app/data && chown node:node /app/data

# uid 1000 (Kubernetes sets runAsUser: 1000 so runAsNonRoot can be verified).
USER node

EXPOSE 8080

# Docker / compose only (Kubernetes ignores HEALTHCHECK and uses the Deployment's probes). /health is 200 while the
# process serves, for every SCHEDULER_ROLE (a worker also serves /health, /ready and /metrics on PORT). The image
# has no curl: Node's fetch, in a process of its own (it inherits NODE_OPTIONS, so it stays small).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
