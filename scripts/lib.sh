# Shared by up.sh, test.sh and key.sh. Idempotent steps that bring a fresh Debian/Ubuntu machine
# to what Flowsmith needs, and say what they did.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PUPPETEER_SKIP_DOWNLOAD=1 NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
log() { printf '\033[1;34m›\033[0m %s\n' "$*" >&2; }

# System packages that are missing, from apt. Quiet when everything is there.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || { log "missing system packages: ${missing[*]} (install them; no apt-get here)"; return 1; }
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# npm packages, when node_modules is missing or was installed from another lockfile.
# `npm install`, not `npm ci`: the lockfile can only list the platform packages (SWC, Nx, ...) that
# the registry here serves, and `npm ci` refuses a lockfile without every platform's; `npm install`
# installs exactly the locked versions and skips the optional ones it cannot fetch.
ensure_npm() {
  local stamp; stamp=$(cat package.json package-lock.json | sha256sum | cut -c1-16)
  if [ ! -d node_modules ] || [ "$(cat node_modules/.flowsmith-install 2>/dev/null)" != "$stamp" ]; then
    log "installing npm packages"
    npm install --no-audit --no-fund --loglevel=error >&2
    echo "$stamp" > node_modules/.flowsmith-install
  fi
}

load_env() {
  [ -f .env ] || { cp .env.example .env; log "created .env from .env.example"; }
  set -a; # shellcheck disable=SC1091
  . ./.env; set +a
}

# Postgres and Redis: reach them as DATABASE_URL and REDIS_URL say; if they do not answer, install
# (when missing) and start the local ones. A remote database is used as it is.
ensure_services() {
  if ! node scripts/check-services.mjs postgres >/dev/null 2>&1; then
    command -v pg_ctlcluster >/dev/null || ensure_apt postgresql
    if [ -d /etc/postgresql ]; then
      log "starting PostgreSQL"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >&2 || true
    fi
  fi
  ensure_redis
  node scripts/check-services.mjs postgres redis --wait 30 >&2
}

# Redis as REDIS_URL says. One that already answers is used as it is (never restarted: someone else
# may own it), with a warning when it would lose queued jobs (scripts/redis-durability.mjs). Else,
# when REDIS_URL is local, start one with deploy/redis.conf (append-only file fsynced every second,
# noeviction) keeping its data in REDIS_DATA_DIR, so a restart replays every accepted job.
ensure_redis() {
  if node scripts/check-services.mjs redis >/dev/null 2>&1; then
    node scripts/redis-durability.mjs --quiet
    return 0
  fi
  local host port password
  { read -r host; read -r port; read -r password; } < <(node -e '
    const u = new URL(process.env.REDIS_URL || "redis://127.0.0.1:6379");
    console.log(u.hostname.replace(/^\[(.*)\]$/, "$1")); console.log(u.port || 6379); console.log(decodeURIComponent(u.password))')
  case "$host" in
    127.0.0.1|localhost|::1) ;;
    *) log "Redis at $host:$port does not answer; start it (npm run up starts only a local Redis)"; return 1 ;;
  esac
  command -v redis-server >/dev/null || ensure_apt redis-server
  local dir="${REDIS_DATA_DIR:-$ROOT/.run/redis}"
  mkdir -p "$dir"
  local auth=(); [ -z "$password" ] || auth=(--requirepass "$password")
  log "starting Redis on port $port (append-only file in $dir, fsync every second, noeviction)"
  redis-server "$ROOT/deploy/redis.conf" --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" "${auth[@]}" >&2
}

# The same steps as `npm run build` (one definition, in package.json): Prisma client, SWC, CLI bundle.
build() {
  log "building"
  npm run --silent build >/dev/null
}
