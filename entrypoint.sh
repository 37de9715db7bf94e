#!/bin/sh
# The container's entrypoint. Checks what only the person deploying can
# provide (the bot token, the projects mount, directories the bridge's uid can
# write), writes the config from the projects directory (`takopi discover`,
# at every start: Docker's restart after `/reload` picks up new projects),
# then runs the command, `takopi run` by default.
#
# Any other command runs after the same steps, which makes the generated
# config easy to inspect:  docker compose run --rm takopi cat /state/takopi.toml
# (discovery's report goes to stderr so the command's stdout stays its own).
#
# Exit status 78 (EX_CONFIG) for anything the deployment has to fix.
#
# With TAKOPI_LOG_FORMAT=json every line this script prints is a JSON object
# shaped like takopi's log lines (level, time, fields, msg), as everything else
# the container prints then is, for log shippers.
set -eu

projects=${TAKOPI_PROJECTS_DIR:-/projects}
config=${TAKOPI_CONFIG:-/state/takopi.toml}
base=${TAKOPI_BASE_CONFIG:-}
health=${TAKOPI_HEALTH_FILE:-}
uid=$(id -u)
gid=$(id -g)

log_json=false
case $(printf '%s' "${TAKOPI_LOG_FORMAT:-}" | tr -d ' ' | tr '[:upper:]' '[:lower:]') in
  json) log_json=true ;;
esac

# json_string TEXT: TEXT as a JSON string (line breaks and tabs become spaces, other control characters go).
json_string() {
  printf '"%s"' "$(printf '%s' "$1" | tr '\t\n\r' '   ' | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# json_line LEVEL MSG [KEY VALUE]...: one line as pino writes it (level number, time in epoch milliseconds).
json_line() {
  level=$1
  msg=$2
  shift 2
  now=$(date +%s%3N 2>/dev/null || true)
  case $now in '' | *[!0-9]*) now="$(date +%s)000" ;; esac
  fields=''
  while [ "$#" -ge 2 ]; do
    fields="$fields,\"$1\":$(json_string "$2")"
    shift 2
  done
  printf '{"level":%s,"time":%s%s,"msg":%s}\n' "$level" "$now" "$fields" "$(json_string "$msg")"
}

# fail SUMMARY [HOW-TO-FIX-LINE...]
fail() {
  summary=$1
  shift
  if [ "$log_json" = true ]; then
    if [ "$#" -gt 0 ]; then json_line 60 "$summary" event entrypoint.failed fix "$*" >&2; else json_line 60 "$summary" event entrypoint.failed >&2; fi
    exit 78
  fi
  printf 'takopi: %s\n' "$summary" >&2
  for line in "$@"; do printf '  %s\n' "$line" >&2; done
  exit 78
}

[ "$#" -gt 0 ] || set -- takopi run

if [ -z "${TELEGRAM_BOT_TOKEN:-}" ]; then
  fail "TELEGRAM_BOT_TOKEN is not set." \
    "Copy .env.example to .env (next to compose.yaml), set TELEGRAM_BOT_TOKEN to the token @BotFather gave you," \
    "then start again: docker compose up -d"
fi

if [ ! -d "$projects" ]; then
  fail "the projects directory $projects is not mounted." \
    "Set TAKOPI_PROJECTS in .env to the host directory that holds your repositories (one subdirectory per project);" \
    "compose.yaml mounts it at $projects. With plain docker run: -v /path/to/projects:$projects"
fi
if [ ! -w "$projects" ]; then
  owner=$(stat -c %u:%g "$projects")
  if [ "$owner" = 0:0 ]; then
    # Typically Docker's doing: it creates a bind mount's missing host directory as root.
    fail "the projects directory $projects belongs to root, so the container's user $uid:$gid cannot write it." \
      "If the host directory (TAKOPI_PROJECTS in .env) did not exist, Docker created it owned by root. Give it to" \
      "that user on the host: sudo chown $uid:$gid <TAKOPI_PROJECTS>, or rebuild with TAKOPI_UID/TAKOPI_GID of its owner."
  fi
  fail "the projects directory $projects is not writable by the container's user $uid:$gid (the host directory belongs to $owner)." \
    "Set TAKOPI_UID and TAKOPI_GID in .env to the owner's ids (\`id -u\` and \`id -g\` on the host), then rebuild: docker compose up -d --build"
fi

state=$(dirname "$config")
mkdir -p "$state" 2>/dev/null || true
if [ ! -w "$state" ]; then
  fail "the state directory $state is not writable by the container's user $uid:$gid (it belongs to $(stat -c %u:%g "$state" 2>/dev/null || echo nobody))." \
    "The state volume was created for another uid; hand it over once with:" \
    "docker compose run --rm --user root --entrypoint chown takopi -R $uid:$gid $state"
fi

if [ -n "$base" ] && [ -e "$base" ] && [ ! -f "$base" ]; then
  fail "TAKOPI_BASE_CONFIG $base is not a file." \
    "The host file mounted there does not exist, so Docker created a directory in its place: create the file on the host (or remove the mount)."
fi

# A health file from before this start would make a bridge that never polls look healthy.
if [ -n "$health" ]; then rm -f "$health"; fi

is_default_run() {
  [ "$1" = takopi ] && { [ "$#" -eq 1 ] || { [ "$#" -eq 2 ] && [ "$2" = run ]; }; }
}
if [ -z "${TELEGRAM_CHAT_ID:-}" ] && is_default_run "$@"; then
  if [ "$log_json" = true ]; then
    json_line 40 "TELEGRAM_CHAT_ID is not set, so the bridge does not start yet." event entrypoint.onboarding \
      fix "Send your bot a private message: it answers with the chat id. Put it into .env as TELEGRAM_CHAT_ID, then: docker compose up -d" >&2
  else
    printf '%s\n' \
      "takopi: TELEGRAM_CHAT_ID is not set, so the bridge does not start yet." \
      "  Send your bot a private message: it answers with the chat id. Put it into .env as TELEGRAM_CHAT_ID," \
      "  then: docker compose up -d" >&2
  fi
  exec takopi chat-id
fi

discover() {
  if [ -n "$base" ] && [ -f "$base" ]; then
    takopi discover --projects-dir "$projects" --base "$base" --out "$config"
  else
    takopi discover --projects-dir "$projects" --out "$config"
  fi
}
if ! discover >&2; then
  fail "could not write $config from the projects in $projects (the reason is above)."
fi

exec "$@"
