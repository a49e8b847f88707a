#!/usr/bin/env bash
# npm run test:unit: the fast tier (Jest project `unit`, jest.config.js): pure logic only, no
# database, Redis or browser. Installs npm packages if missing and generates the Prisma client's
# types (imported by some units), then runs in seconds. `npm test` runs it too, with everything else.
source "$(dirname "$0")/lib.sh"
ensure_npm
load_env
npx prisma generate >/dev/null
npx jest --selectProjects unit "$@"
