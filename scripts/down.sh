#!/usr/bin/env bash
# npm run down: stops what `npm run up` started (SIGTERM: in-flight work finishes first).
cd "$(dirname "$0")/.."
for app in gateway render-worker generation-worker webhook-worker; do
  pidfile=.run/$app.pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")" && echo "stopping $app"
    for _ in $(seq 1 40); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$pidfile"
done
# Redis is left running, like Postgres: its append-only file keeps the queued jobs either way.
# REDIS_DATA_DIR may come from .env, as it did for up.sh (lib.sh's load_env).
redis_dir=$( [ -f .env ] && { set -a; . ./.env; set +a; }; echo "${REDIS_DATA_DIR:-.run/redis}" )
redis_pid=$redis_dir/redis.pid
if [ -f "$redis_pid" ] && kill -0 "$(cat "$redis_pid")" 2>/dev/null; then
  echo "Redis (started by npm run up, pid $(cat "$redis_pid"), data in $redis_dir) keeps running; 'kill $(cat "$redis_pid")' (a clean shutdown) stops it without losing queued jobs."
fi
echo "Flowsmith is down."
