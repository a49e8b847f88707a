#!/usr/bin/env bash
# npm run down: stops what `npm run up` started (SIGTERM: in-flight work finishes first).
cd "$(dirname "$0")/.."
for app in gateway render-worker generation-worker; do
  pidfile=.run/$app.pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")" && echo "stopping $app"
    for _ in $(seq 1 40); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$pidfile"
done
echo "Flowsmith is down."
