# syntax=docker/dockerfile:1
# One image for every Rotor service (distributed mode); docker-compose.yml picks the service
# with its `command`, e.g.
#   node dist/services/command/src/main.js
# Plain compiled JavaScript: `npm run build` (scripts/build.js) resolved the @rotor/* aliases
# into relative requires, so nothing of TypeScript is needed at run time.

ARG NODE_IMAGE=node:24.22-bookworm-slim

# --- toolchain: better-sqlite3 compiles its native module from source --------------------
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./

# --- build: every dependency, then tsc into dist/ (same folder layout as the sources) -----
# scripts/build.js also fails when the compiled code requires a package that is not a
# runtime dependency, which the prod-deps stage would not install.
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
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --system --gid 10001 rotor \
 && useradd --system --uid 10001 --gid rotor --no-create-home --shell /usr/sbin/nologin rotor
# Owned by root and read-only to the service: it writes nothing into its own code.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY deploy/healthcheck.js ./deploy/healthcheck.js
# The audit anchors' volume (docker-compose.yml): a new named volume takes this owner.
RUN mkdir -p /var/lib/rotor-anchors && chown rotor:rotor /var/lib/rotor-anchors
USER rotor:rotor
EXPOSE 3000
CMD ["node", "dist/services/gateway/src/main.js"]
