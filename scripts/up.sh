#!/usr/bin/env bash
# npm run up: install what is missing, reach or start Postgres and Redis, migrate, build, and start
# the gateway and both workers in the background. Running it again while the system is up changes
# nothing and says so.
source "$(dirname "$0")/lib.sh"
RUN=.run; mkdir -p "$RUN/logs"
APPS=(gateway render-worker generation-worker)

alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

all_alive=true
for app in "${APPS[@]}"; do alive "$app" || all_alive=false; done
if $all_alive; then
  load_env
  echo "Flowsmith is already up (gateway pid $(cat $RUN/gateway.pid), http://localhost:${PORT:-3000}); nothing changed. 'npm run down' stops it."
  exit 0
fi

ensure_apt postgresql redis-server
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
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >&2 && echo >&2 || { log "the gateway is not ready; see $RUN/logs/"; exit 1; }

if [ "$(node scripts/count-keys.mjs)" = "0" ]; then
  secret=$(node dist/apps/gateway/src/key-command.js create --name "first key" | tail -1)
  cat <<MSG

Flowsmith is up at http://localhost:$PORT. Your first API key (shown once, keep it):

  $secret

Try it:

  curl -s -H "Authorization: Bearer $secret" -H 'Content-Type: application/json' \\
       -d '{"name":"Hello","source":"flowchart TD\\n  A[Start] --> B[Done]"}' http://localhost:$PORT/api/v1/diagrams

More keys: npm run --silent key -- create --help. Stop: npm run down.
MSG
else
  echo "Flowsmith is up at http://localhost:$PORT. Create a key with: npm run --silent key -- create"
fi
