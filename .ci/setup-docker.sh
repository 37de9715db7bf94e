#!/usr/bin/env bash
# Brings up what the container tests need on a Debian 12 machine that reaches
# only Debian's apt mirror and the npm registry (no container registry):
#
#   1. apt packages docker.io, docker-compose (v1, the only compose bookworm
#      has) and debootstrap, when missing;
#   2. dockerd in the background, when no engine answers;
#   3. local/debian:bookworm, a debootstrapped minimal rootfs imported as an image;
#   4. local/node:24-bookworm-slim, that image plus the Node running this script
#      (the one .ci/run put on PATH), npm and the host's CA bundle: a stand-in
#      for Docker Hub's node:24-bookworm-slim, rebuilt when Node, npm or the
#      CA bundle change;
#   5. the takopi image itself, once: this is the build that reaches the
#      network (npm ci, apt-get), so that the tests' builds of the same
#      lockfile are served from Docker's layer cache and reach nothing;
#   6. the previous release's image (test/upgrade/previous-release names it),
#      built from `git archive` of its commit, for the same reason: the
#      upgrade test builds that tree with --network none from this cache.
#
# Idempotent: every step checks first. Needs root. Builds use the classic
# builder (DOCKER_BUILDKIT=0) and the docker CLI first on PATH, exactly as
# test/support/docker.ts does, because that is what makes the tests' build a
# cache hit: BuildKit keeps a cache of its own, and the classic builder's key
# for a COPY covers the tar headers of the context, which differ between
# clients (docker CLI 28 and 20.10 disagree, for one).
#
# Knobs (environment): DOCKERD_PIDFILE, DOCKERD_LOG, DEBIAN_MIRROR, DEBIAN_IMAGE,
# NODE_BASE_IMAGE, TAKOPI_IMAGE, SKIP_TAKOPI_IMAGE=1 (skip step 5),
# PREVIOUS_RELEASE_IMAGE (default takopi:<tag>), SKIP_PREVIOUS_RELEASE=1 (skip step 6).
set -euo pipefail
cd "$(dirname "$0")/.."
# dockerd and debootstrap live in sbin, which a non-login PATH may leave out.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

DOCKERD_PIDFILE=${DOCKERD_PIDFILE:-/var/run/dockerd-ci.pid}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd-ci.log}
DEBIAN_IMAGE=${DEBIAN_IMAGE:-local/debian:bookworm}
NODE_BASE_IMAGE=${NODE_BASE_IMAGE:-local/node:24-bookworm-slim}
TAKOPI_IMAGE=${TAKOPI_IMAGE:-takopi:ci}
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

log() { printf 'setup-docker: %s\n' "$*"; }
die() { printf 'setup-docker: ERROR: %s\n' "$*" >&2; exit 1; }
started=$(date +%s)

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages, starts dockerd and runs debootstrap)"

# --- 1. packages -------------------------------------------------------------
missing=()
for pkg in docker.io docker-compose debootstrap; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then missing+=("$pkg"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} with apt"
  apt-get update -qq || die "apt-get update failed"
  # Without systemd the postinst's "policy-rc.d denied execution of start" is expected: dockerd is started below.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
fi
command -v dockerd >/dev/null || die "dockerd is not on PATH after installing docker.io"
command -v docker-compose >/dev/null || die "docker-compose is not on PATH after installing docker-compose"

# --- 2. dockerd --------------------------------------------------------------
if docker version >/dev/null 2>&1; then
  log "docker engine already running ($(docker version --format '{{.Server.Version}}'))"
else
  log "starting dockerd (log: $DOCKERD_LOG)"
  # setsid: dockerd must outlive this script and the CI step that ran it.
  setsid nohup dockerd --pidfile "$DOCKERD_PIDFILE" >"$DOCKERD_LOG" 2>&1 < /dev/null &
  dockerd_pid=$!
  for _ in $(seq 1 120); do
    docker version >/dev/null 2>&1 && break
    if ! kill -0 "$dockerd_pid" 2>/dev/null; then
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      die "dockerd exited during start-up (log above, full log in $DOCKERD_LOG)"
    fi
    sleep 0.5
  done
  if ! docker version >/dev/null 2>&1; then
    tail -n 30 "$DOCKERD_LOG" >&2 || true
    die "dockerd did not answer within 60 s (log above, full log in $DOCKERD_LOG)"
  fi
  log "dockerd $(docker version --format '{{.Server.Version}}') is up (pid $dockerd_pid)"
fi

# --- 3. local/debian:bookworm --------------------------------------------------
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

if docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
  log "$DEBIAN_IMAGE already imported"
else
  mirror=$(debian_mirror)
  rootfs=$(mktemp -d /var/tmp/takopi-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrapping bookworm (minbase) from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -n 30 "$rootfs.log" >&2; die "debootstrap failed (log above)"; }
  rm -f "$rootfs.log"
  # The image's apt uses the same sources as this machine (mirror, updates, security).
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/debian.sources"
    rm -f "$rootfs/etc/apt/sources.list"
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' -c 'ENV LANG=C.UTF-8' - "$DEBIAN_IMAGE" >/dev/null \
    || die "docker import of the bookworm rootfs failed"
  rm -rf "$rootfs"
  trap - EXIT
  log "imported $DEBIAN_IMAGE"
fi

# --- 4. local/node:24-bookworm-slim ---------------------------------------------
node_bin=$(command -v node) || die "node is not on PATH (run this after .ci/run put Node 24 there)"
node_bin=$(readlink -f "$node_bin")
node_version=$("$node_bin" --version)
[ "${node_version%%.*}" = "v24" ] || die "node on PATH is $node_version; the image needs Node 24 (put it first on PATH)"
npm_cli=$(readlink -f "$(command -v npm)") || die "npm is not on PATH"
npm_dir=$(dirname "$(dirname "$npm_cli")")
[ -f "$npm_dir/package.json" ] || die "cannot find npm's package directory from $npm_cli"
npm_version=$("$node_bin" -p "require('$npm_dir/package.json').version")
[ -r "$CA_BUNDLE" ] || die "$CA_BUNDLE is missing (apt-get install ca-certificates)"
fingerprint="node $node_version npm $npm_version ca $(sha256sum "$CA_BUNDLE" | cut -c1-16) base $(docker image inspect -f '{{.Id}}' "$DEBIAN_IMAGE" | cut -c8-19)"

current=$(docker image inspect -f '{{ index .Config.Labels "org.takopi.base" }}' "$NODE_BASE_IMAGE" 2>/dev/null || true)
if [ "$current" = "$fingerprint" ]; then
  log "$NODE_BASE_IMAGE is current ($fingerprint)"
else
  log "building $NODE_BASE_IMAGE ($fingerprint)"
  ctx=$(mktemp -d /var/tmp/takopi-node-image.XXXXXX)
  trap 'rm -rf "$ctx"' EXIT
  cp "$node_bin" "$ctx/node"
  cp -r "$npm_dir" "$ctx/npm"
  cp "$CA_BUNDLE" "$ctx/ca-certificates.crt"
  # Shaped like Docker Hub's node:24-bookworm-slim: node and npm in /usr/local,
  # a `node` user with uid/gid 1000, and a CA bundle Node is told about (the
  # machine may reach the npm registry through its own CA).
  cat >"$ctx/Dockerfile" <<EOF
FROM $DEBIAN_IMAGE
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL org.takopi.base="$fingerprint"
CMD ["node"]
EOF
  DOCKER_BUILDKIT=0 docker build -q --force-rm -t "$NODE_BASE_IMAGE" "$ctx" >/dev/null || die "building $NODE_BASE_IMAGE failed"
  rm -rf "$ctx"
  trap - EXIT
  log "built $NODE_BASE_IMAGE"
fi

# --- 5. the takopi image (warms the layer cache the tests build from) ----------
if [ "${SKIP_TAKOPI_IMAGE:-}" = "1" ]; then
  log "SKIP_TAKOPI_IMAGE=1: not building $TAKOPI_IMAGE"
else
  log "building $TAKOPI_IMAGE from $PWD (first build fetches npm packages and apt packages; later ones hit the cache)"
  build_log=$(mktemp /var/tmp/takopi-build.XXXXXX.log)
  if ! DOCKER_BUILDKIT=0 docker build --force-rm --build-arg "NODE_IMAGE=$NODE_BASE_IMAGE" -t "$TAKOPI_IMAGE" . >"$build_log" 2>&1; then
    tail -n 40 "$build_log" >&2
    die "building $TAKOPI_IMAGE failed (log above, full log in $build_log)"
  fi
  rm -f "$build_log"
  log "built $TAKOPI_IMAGE ($(docker image inspect -f '{{.Size}}' "$TAKOPI_IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
fi

# --- 6. the previous release (warms the cache the upgrade test builds it from) ----
# Rebuilt only when its label no longer names this commit on this base image:
# a new release, or a new local/node image (whose layers the cache is keyed on).
# After pruning Docker's build cache, `docker rmi` this image to build it again.
release_file=test/upgrade/previous-release
if [ "${SKIP_PREVIOUS_RELEASE:-}" = "1" ]; then
  log "SKIP_PREVIOUS_RELEASE=1: not building the previous release"
else
  read -r release_tag release_hash < <(grep -v '^#' "$release_file" | grep -v '^[[:space:]]*$' | head -n 1) \
    || die "$release_file names no release (expected a line '<tag> <commit>')"
  release_commit=$(git rev-parse --verify -q "$release_tag^{commit}" 2>/dev/null \
    || git rev-parse --verify -q "$release_hash^{commit}" 2>/dev/null || true)
  previous_image=${PREVIOUS_RELEASE_IMAGE:-takopi:$release_tag}
  if [ -z "$release_commit" ]; then
    # Not fatal here: the upgrade test fails with the same advice, the other tests can still run.
    log "WARNING: neither tag $release_tag nor commit $release_hash is in this clone (a shallow one?);" \
      "not building $previous_image. Fetch full history: git fetch --unshallow --tags"
  else
    release_label="$release_commit base $(docker image inspect -f '{{.Id}}' "$NODE_BASE_IMAGE" | cut -c8-19)"
    current=$(docker image inspect -f '{{ index .Config.Labels "org.takopi.release" }}' "$previous_image" 2>/dev/null || true)
    if [ "$current" = "$release_label" ]; then
      log "$previous_image is current ($release_tag, $release_label)"
    else
      log "building $previous_image from $release_tag ($release_commit) with the network"
      ctx=$(mktemp -d /var/tmp/takopi-previous-release.XXXXXX)
      trap 'rm -rf "$ctx"' EXIT
      # Exactly how the test lays out the tree: the COPY steps' cache keys cover the files' headers.
      git archive "$release_commit" | tar -x -C "$ctx" || die "git archive $release_commit failed"
      build_log=$(mktemp /var/tmp/takopi-previous-build.XXXXXX.log)
      if ! DOCKER_BUILDKIT=0 docker build --force-rm --build-arg "NODE_IMAGE=$NODE_BASE_IMAGE" \
          --label "org.takopi.release=$release_label" -t "$previous_image" "$ctx" >"$build_log" 2>&1; then
        tail -n 40 "$build_log" >&2
        die "building $previous_image failed (log above, full log in $build_log)"
      fi
      rm -f "$build_log"
      rm -rf "$ctx"
      trap - EXIT
      log "built $previous_image"
    fi
  fi
fi

log "done in $(( $(date +%s) - started )) s"
