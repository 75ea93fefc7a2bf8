# syntax=docker/dockerfile:1
# One image for every Rotor service (distributed mode); docker-compose.yml picks the service
# with its `command`, e.g.
#   node -r tsconfig-paths/register dist/services/command/src/main.js
# tsconfig-paths maps the @rotor/* aliases of tsconfig.json onto the compiled libraries:
# TS_NODE_BASEURL=./dist turns `libs/config/src` into `dist/libs/config/src`.

ARG NODE_IMAGE=node:20.19-bookworm-slim

# --- toolchain: better-sqlite3 compiles its native module from source --------------------
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./

# --- build: every dependency, then tsc into dist/ (same folder layout as the sources) -----
FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY proto ./proto
COPY libs ./libs
COPY services ./services
COPY scripts ./scripts
RUN npm run build \
 && for service in command projector expiry signer query gateway; do \
      test -f "dist/services/$service/src/main.js" \
        || { echo "build produced no dist/services/$service/src/main.js" >&2; exit 1; }; \
    done

# --- prod-deps: runtime dependencies only, native modules built here --------------------
FROM toolchain AS prod-deps
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && node -e "new (require('better-sqlite3'))(':memory:').close()"

# --- runtime: no compiler, no dev dependencies, not root ---------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    TS_NODE_BASEURL=./dist
WORKDIR /app
RUN groupadd --system --gid 10001 rotor \
 && useradd --system --uid 10001 --gid rotor --no-create-home --shell /usr/sbin/nologin rotor
# Owned by root and read-only to the service: it writes nothing into its own code.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json tsconfig.json ./
COPY deploy/healthcheck.js ./deploy/healthcheck.js
USER rotor:rotor
EXPOSE 3000
CMD ["node", "-r", "tsconfig-paths/register", "dist/services/gateway/src/main.js"]
