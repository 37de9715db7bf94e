#!/usr/bin/env bash
# Builds the image test/integration/refresh-systemd.test.ts boots as a stand-in
# for a stock Debian 12 host: systemd 252 as PID 1, dbus-daemon and polkitd
# (test/support/systemd-host/Dockerfile, FROM local/debian:bookworm). Its apt
# step is the only one that reaches the network, so it runs here, at CI setup
# time; the test only runs the cached image and fails, naming this script,
# when it is missing or older than the Dockerfile.
#
# Run after .ci/setup-docker.sh (the engine and local/debian:bookworm).
# Idempotent: the image carries the Dockerfile's hash and the base image's id
# in a label and is rebuilt only when either changed. Needs access to the
# Docker engine (root in CI).
#
# Knobs (environment): DEBIAN_IMAGE, SYSTEMD_HOST_IMAGE.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_IMAGE=${DEBIAN_IMAGE:-local/debian:bookworm}
SYSTEMD_HOST_IMAGE=${SYSTEMD_HOST_IMAGE:-local/systemd-host:bookworm}
CONTEXT=test/support/systemd-host

log() { printf 'setup-systemd: %s\n' "$*"; }
die() { printf 'setup-systemd: ERROR: %s\n' "$*" >&2; exit 1; }
started=$(date +%s)

docker version >/dev/null 2>&1 || die "no Docker engine answers; run .ci/setup-docker.sh first"
base_id=$(docker image inspect -f '{{.Id}}' "$DEBIAN_IMAGE" 2>/dev/null) \
  || die "$DEBIAN_IMAGE is missing; run .ci/setup-docker.sh first"
# The same fingerprint the test computes (test/support/systemd-host/host.ts).
fingerprint="dockerfile $(sha256sum "$CONTEXT/Dockerfile" | cut -c1-16) base $(printf '%s' "$base_id" | cut -c8-19)"

current=$(docker image inspect -f '{{ index .Config.Labels "org.takopi.systemd-host" }}' "$SYSTEMD_HOST_IMAGE" 2>/dev/null || true)
if [ "$current" = "$fingerprint" ]; then
  log "$SYSTEMD_HOST_IMAGE is current ($fingerprint)"
  exit 0
fi

log "building $SYSTEMD_HOST_IMAGE ($fingerprint; apt-get installs systemd, dbus, polkitd)"
build_log=$(mktemp /var/tmp/takopi-systemd-host.XXXXXX.log)
if ! DOCKER_BUILDKIT=0 docker build --force-rm --build-arg "BASE_IMAGE=$DEBIAN_IMAGE" \
    --label "org.takopi.systemd-host=$fingerprint" -t "$SYSTEMD_HOST_IMAGE" "$CONTEXT" >"$build_log" 2>&1; then
  tail -n 30 "$build_log" >&2
  die "building $SYSTEMD_HOST_IMAGE failed (log above, full log in $build_log)"
fi
rm -f "$build_log"
log "built $SYSTEMD_HOST_IMAGE ($(docker image inspect -f '{{.Size}}' "$SYSTEMD_HOST_IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')) in $(( $(date +%s) - started )) s"
