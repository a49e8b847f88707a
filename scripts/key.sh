#!/usr/bin/env bash
# npm run --silent key -- create ...: everything it prints but the result goes to stderr, so the
# secret is alone on the last line of stdout.
source "$(dirname "$0")/lib.sh"
ensure_npm
load_env
[ -f dist/apps/gateway/src/key-command.js ] && [ -d libs/database/src/generated ] || build
exec node dist/apps/gateway/src/key-command.js "$@"
