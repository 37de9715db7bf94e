# takopi on a home server: the bridge, the deployment overlay plugins and git;
# the coding agents themselves (codex, claude, opencode, pi) come from the host
# through read-only mounts (see compose.yaml and docs/home-server.md).
#
#   docker compose up -d --build
#   docker build --build-arg UID=$(id -u) --build-arg GID=$(id -g) -t takopi .
#
# Build arguments:
#   NODE_IMAGE  base image with Node 24 and npm in /usr/local (default Docker Hub's
#               node:24-bookworm-slim; CI, which reaches no registry, passes a
#               locally built local/node:24-bookworm-slim, see .ci/setup-docker.sh)
#   UID, GID    the uid/gid the bridge runs as; make them your host user's
#               (`id -u`, `id -g`) so files in the projects directory stay yours
#
# Layer order is about the cache: the only steps that reach the network
# (npm ci, apt-get) depend on nothing but the lockfile, the workspace manifests
# and the base image, so a rebuild after a source change fetches nothing.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- the workspace manifests alone, so a change to overlay code does not invalidate npm ci
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY overlay ./overlay
RUN set -eu; mkdir -p /manifests; \
    for dir in overlay/*/; do \
      if [ -f "${dir}package.json" ]; then mkdir -p "/manifests/${dir}" && cp "${dir}package.json" "/manifests/${dir}"; fi; \
    done

# --- every dependency the lockfile names (dev ones too: tsc builds here)
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=manifests /manifests/ ./
# --ignore-scripts: the root's `prepare` would build before the sources are
# here, and no production dependency needs an install script. The prune below
# drops optional dependencies too: the only ones are usocket's tree, a native
# helper dbus-next can do without (it falls back to net.Socket), which would
# need a compiler to build.
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY overlay ./overlay
RUN set -eu; \
    npm run build; \
    npm run build --workspaces --if-present; \
    chmod 0755 dist/cli/main.js; \
    find dist -name '*.map' -delete; find dist -name '*.d.ts' -delete; \
    npm prune --omit=dev --omit=optional --ignore-scripts --offline --no-audit --no-fund --loglevel=error; \
    rm -rf overlay/*/test

# --- the runtime: what `takopi run` needs and nothing else
FROM ${NODE_IMAGE} AS runtime
# git for worktrees and branches, openssh-client so agents can push over ssh.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git ca-certificates openssh-client \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

# The bridge's user. Base images may already have a user with this uid (Docker
# Hub's node images have `node`, 1000:1000): that one gives way; a group with
# this gid is reused. The home directory's subdirectories exist so that
# Docker, creating the mount points of engine state below them, does not
# create them owned by root.
ARG UID=1000
ARG GID=1000
RUN set -eu; \
    if [ "$UID" = 0 ] || [ "$GID" = 0 ]; then echo "UID and GID must not be 0: the bridge runs as an unprivileged user" >&2; exit 1; fi; \
    existing=$(getent passwd "$UID" | cut -d: -f1 || true); \
    if [ -n "$existing" ]; then userdel "$existing"; fi; \
    getent group "$GID" >/dev/null || groupadd --gid "$GID" takopi; \
    useradd --uid "$UID" --gid "$GID" --home-dir /home/takopi --shell /bin/sh takopi; \
    install -d -o "$UID" -g "$GID" /home/takopi /home/takopi/.config /home/takopi/.cache \
      /home/takopi/.local /home/takopi/.local/share /home/takopi/.local/state /state; \
    install -d /opt/engines/bin /opt/engines/npm/bin /opt/engines/npm/lib/node_modules

WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/overlay ./overlay
COPY --from=build /app/dist ./dist
COPY entrypoint.sh ./entrypoint.sh
RUN ln -s /app/dist/cli/main.js /usr/local/bin/takopi

# Engines from the host (compose.yaml): single binaries are mounted into
# /opt/engines/bin, an npm global prefix (bin + lib/node_modules) at
# /opt/engines/npm. Both come after the image's own directories, so the
# container's node is the one that runs them.
# CLAUDE_CONFIG_DIR: Claude then keeps .claude.json inside ~/.claude, so one
# directory mount is enough (a file mount of ~/.claude.json breaks Claude's
# write-temp-then-rename with EBUSY). DISABLE_AUTOUPDATER: claude updates on
# the host; inside it would try to write into a read-only mount.
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/engines/bin:/opt/engines/npm/bin \
    HOME=/home/takopi \
    TAKOPI_CONFIG=/state/takopi.toml \
    TAKOPI_PROJECTS_DIR=/projects \
    TAKOPI_BASE_CONFIG=/config/takopi.toml \
    TAKOPI_HEALTH_FILE=/state/healthy \
    CLAUDE_CONFIG_DIR=/home/takopi/.claude \
    DISABLE_AUTOUPDATER=1

USER takopi

# Healthy while the bridge polls Telegram: it touches TAKOPI_HEALTH_FILE after
# every successful getUpdates (a long poll of at most 25 s), so a file older
# than 90 s means polling has stopped. The entrypoint removes it at start.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const f=process.env.TAKOPI_HEALTH_FILE;let age;try{age=(Date.now()-require('fs').statSync(f).mtimeMs)/1e3}catch{console.error('no '+f+': the bridge has not polled Telegram yet');process.exit(1)}if(age>90){console.error('last getUpdates '+Math.round(age)+' s ago');process.exit(1)}"]

ENTRYPOINT ["/app/entrypoint.sh"]
CMD ["takopi", "run"]
