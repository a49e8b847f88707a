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
# Redis is left running, like Postgres: its append-only file keeps the queued jobs either way.
redis_pid=${REDIS_DATA_DIR:-.run/redis}/redis.pid
if [ -f "$redis_pid" ] && kill -0 "$(cat "$redis_pid")" 2>/dev/null; then
  echo "Redis (started by npm run up, pid $(cat "$redis_pid"), data in ${REDIS_DATA_DIR:-.run/redis}) keeps running; 'redis-cli shutdown' stops it without losing queued jobs."
fi
echo "Flowsmith is down."
