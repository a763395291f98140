#!/bin/sh
# Installs, upgrades or removes Hearth on a Raspberry Pi (or any 64-bit Debian-like systemd machine).
#
#   sudo ./install.sh [--binary PATH] [--no-start]     install or upgrade (idempotent)
#   sudo ./install.sh --uninstall [--purge]            remove; data and config stay unless --purge
#   ./install.sh --root DIR ...                        dry run: write files under DIR, print the
#                                                      user/systemctl commands instead of running them
#
# Install puts the binary in /usr/local/bin/hearth, the unit in /etc/systemd/system/hearth.service,
# a default /etc/hearth/hearth.json (never overwritten), creates the `hearth` system user in the
# `dialout` and `gpio` groups, then enables and (re)starts the service. Upgrading is the same command
# with a newer binary: the file is replaced atomically and the service restarted; the new version
# migrates the database on start (and refuses a database from a newer version, keeping it intact).
set -eu

ROOT=""
BINARY=""
MODE=install
PURGE=0
START=1

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=${2:?--root needs a folder}; shift 2 ;;
    --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
    --uninstall) MODE=uninstall; shift ;;
    --purge) PURGE=1; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
BIN_PATH="$ROOT/usr/local/bin/hearth"
UNIT_PATH="$ROOT/etc/systemd/system/hearth.service"
CONF_DIR="$ROOT/etc/hearth"
STATE_DIR="$ROOT/var/lib/hearth"

say() { printf 'install.sh: %s\n' "$*"; }

# Commands that change the system itself: printed, not run, in a --root dry run.
run() {
  if [ -n "$ROOT" ]; then
    printf 'would run: %s\n' "$*"
  else
    "$@"
  fi
}

need_root() {
  if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (sudo), or use --root DIR for a dry run" >&2
    exit 1
  fi
}

arch_suffix() {
  case "$(uname -m)" in
    aarch64|arm64) echo arm64 ;;
    x86_64|amd64) echo x64 ;;
    armv6l|armv7l|armhf)
      echo "install.sh: this is a 32-bit system ($(uname -m)); Hearth (Bun) needs a 64-bit OS (Raspberry Pi OS 64-bit, Pi 3 or newer)" >&2
      exit 1 ;;
    *) echo "install.sh: unsupported machine $(uname -m)" >&2; exit 1 ;;
  esac
}

find_binary() {
  if [ -n "$BINARY" ]; then echo "$BINARY"; return; fi
  suffix=$(arch_suffix)
  for candidate in "$SCRIPT_DIR/hearth-linux-$suffix" "$SCRIPT_DIR/../dist/hearth-linux-$suffix" "./hearth-linux-$suffix"; do
    if [ -f "$candidate" ]; then echo "$candidate"; return; fi
  done
  echo "install.sh: no hearth-linux-$suffix next to this script or in dist/; pass --binary PATH" >&2
  exit 1
}

verify_checksum() {
  bin=$1
  sums="$(dirname "$bin")/SHA256SUMS"
  [ -f "$sums" ] || return 0
  name=$(basename "$bin")
  expected=$(awk -v n="$name" '$2 == n { print $1 }' "$sums")
  [ -n "$expected" ] || return 0
  actual=$(sha256sum "$bin" | awk '{ print $1 }')
  if [ "$expected" != "$actual" ]; then
    echo "install.sh: $bin does not match SHA256SUMS (expected $expected, got $actual)" >&2
    exit 1
  fi
  say "checksum ok ($name)"
}

install_hearth() {
  need_root
  src=$(find_binary)
  [ -x "$src" ] || chmod +x "$src" 2>/dev/null || true
  verify_checksum "$src"
  "$src" version >/dev/null 2>&1 || [ -n "$ROOT" ] || {
    echo "install.sh: $src does not run on this machine" >&2
    exit 1
  }

  mkdir -p "$(dirname "$BIN_PATH")" "$(dirname "$UNIT_PATH")" "$CONF_DIR"
  # Replace atomically: a running service keeps the old file until it restarts.
  cp "$src" "$BIN_PATH.new"
  chmod 0755 "$BIN_PATH.new"
  mv -f "$BIN_PATH.new" "$BIN_PATH"
  say "binary: $BIN_PATH"

  cp "$SCRIPT_DIR/../systemd/hearth.service" "$UNIT_PATH" 2>/dev/null || cp "$SCRIPT_DIR/hearth.service" "$UNIT_PATH"
  chmod 0644 "$UNIT_PATH"
  say "unit: $UNIT_PATH"

  if [ ! -f "$CONF_DIR/hearth.json" ]; then
    cat > "$CONF_DIR/hearth.json" <<'JSON'
{
  "http": { "host": "0.0.0.0", "port": 8420 },
  "logLevel": "info",
  "plugins": { "demo": { "enabled": false } }
}
JSON
    chmod 0644 "$CONF_DIR/hearth.json"
    say "config: $CONF_DIR/hearth.json (default)"
  else
    say "config: $CONF_DIR/hearth.json kept"
  fi

  if [ -z "$ROOT" ]; then
    getent group gpio >/dev/null || groupadd --system gpio
    if id hearth >/dev/null 2>&1; then
      usermod -a -G dialout,gpio hearth
    else
      useradd --system --home-dir /var/lib/hearth --no-create-home --shell /usr/sbin/nologin \
        --groups dialout,gpio hearth
    fi
  else
    run groupadd --system gpio "(if missing)"
    run useradd --system --home-dir /var/lib/hearth --no-create-home --shell /usr/sbin/nologin --groups dialout,gpio hearth "(if missing)"
  fi

  run systemctl daemon-reload
  run systemctl enable hearth.service
  if [ "$START" -eq 1 ]; then
    # restart covers both a first install and an upgrade.
    run systemctl restart hearth.service
    say "started; the bootstrap admin token is in /var/lib/hearth/admin.token"
  fi
}

uninstall_hearth() {
  need_root
  run systemctl disable --now hearth.service
  rm -f "$UNIT_PATH" "$BIN_PATH"
  run systemctl daemon-reload
  say "removed binary and unit"
  if [ "$PURGE" -eq 1 ]; then
    rm -rf "$STATE_DIR" "$CONF_DIR"
    run userdel hearth
    say "purged data ($STATE_DIR) and config ($CONF_DIR)"
  else
    say "kept data ($STATE_DIR) and config ($CONF_DIR); --purge removes them"
  fi
}

case "$MODE" in
  install) install_hearth ;;
  uninstall) uninstall_hearth ;;
esac
