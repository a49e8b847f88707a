#!/usr/bin/env bash
# npm test: install what is missing, then run every check and test suite against the machine's real
# Postgres and Redis (each run in its own schema and Redis prefix).
source "$(dirname "$0")/lib.sh"
ensure_npm
[ -f .env ] || cp .env.example .env
load_env
ensure_services
build
log "typecheck"
npx tsc -p tsconfig.json
log "lint (with Nx module boundaries)"
npx nx run-many -t lint --outputStyle=static >&2
log "tests"
npx jest --ci "$@"
