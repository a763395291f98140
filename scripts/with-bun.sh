#!/bin/sh
# Runs `bun <args>` with the pinned Bun, installing Bun from npm and the project's dependencies when
# they are missing. This is what `npm start` and `npm test` call, so a machine with only Node and npm
# can run Hearth with one command.
set -e
cd "$(dirname "$0")/.."
BUN_VERSION=$(node -p "require('./package.json').engines.bun")

if ! command -v bun >/dev/null 2>&1; then
  echo "with-bun: installing bun@$BUN_VERSION from npm" >&2
  if ! npm install -g "bun@$BUN_VERSION" >&2; then
    # No permission for a global install (system Node without sudo): install for this user instead.
    prefix="${XDG_CACHE_HOME:-$HOME/.cache}/hearth/bun-$BUN_VERSION"
    npm install --prefix "$prefix" "bun@$BUN_VERSION" >&2
    PATH="$prefix/node_modules/.bin:$PATH"
    export PATH
  fi
fi
have=$(bun --version)
if [ "$have" != "$BUN_VERSION" ]; then
  echo "with-bun: warning: bun $have is installed; Hearth pins $BUN_VERSION (builds for the Pi need the exact version)" >&2
fi
[ -d node_modules ] || bun install --frozen-lockfile >&2
exec bun "$@"
