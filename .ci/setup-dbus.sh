#!/usr/bin/env bash
# Installs what test/integration/refresh-dbus.test.ts needs: dbus-daemon (a
# private bus per test run) and python3-dbusmock (systemd's stand-in). Safe to
# run again: it installs only what is missing, and runs `apt-get update` only
# when the package lists do not have it. Fails loudly when it cannot install.
#
# Debian's python3-dbusmock is for Debian's /usr/bin/python3; a pyenv or venv
# `python3` earlier on PATH does not see it, so that is the interpreter checked.
set -euo pipefail

PYTHON=/usr/bin/python3

have_daemon() { command -v dbus-daemon >/dev/null 2>&1; }
have_dbusmock() { [ -x "$PYTHON" ] && "$PYTHON" -c 'import dbusmock' >/dev/null 2>&1; }

if have_daemon && have_dbusmock; then
  echo "setup-dbus: dbus-daemon and python3-dbusmock already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-dbus: dbus-daemon or python3-dbusmock is missing and there is no apt-get to install them" >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup-dbus: installing packages needs root (or sudo)" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

packages=()
have_daemon || packages+=(dbus)
have_dbusmock || packages+=(python3-dbusmock)

# A fresh machine may have no package lists yet: update only when apt does not know a package.
for package in "${packages[@]}"; do
  if ! apt-cache show "$package" >/dev/null 2>&1; then
    echo "setup-dbus: apt does not know $package yet; running apt-get update"
    "${SUDO[@]}" apt-get update
    break
  fi
done

echo "setup-dbus: installing ${packages[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"

if ! have_daemon; then
  echo "setup-dbus: dbus-daemon is still not on PATH after installing dbus" >&2
  exit 1
fi
if ! have_dbusmock; then
  echo "setup-dbus: $PYTHON still cannot import dbusmock after installing python3-dbusmock" >&2
  exit 1
fi
echo "setup-dbus: $(dbus-daemon --version | head -1), dbusmock $("$PYTHON" -c 'import dbusmock; print(dbusmock.__version__)')"
