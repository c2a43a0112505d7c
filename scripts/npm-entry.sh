#!/usr/bin/env bash
# What the npm scripts run. Each makes sure set-up is done (quick when it is), then runs with a
# Node >= 22.22, so `npm test` works as written on a fresh machine whose Node is older.
#   test        unit tests and every scenario variant (vitest)
#   scenarios   the scenario suite through the CLI: netrepro run scenarios/
#   cli         netrepro with the given arguments
#   bench       the benchmark (bench/run.ts)
#   typecheck   tsc --noEmit
#   schema      regenerate the JSON Schema and the format reference
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/lib.sh"
what="${1:?usage: npm-entry.sh test|scenarios|cli|bench|typecheck|schema [args...]}"; shift
cd "$ROOT"
case "$what" in
  typecheck|schema) bash "$ROOT/scripts/setup.sh" --quiet --no-images ;;
  *) bash "$ROOT/scripts/setup.sh" --quiet ;;
esac
NODE="$(find_node)"
export PATH="$(dirname "$NODE"):$PATH"
case "$what" in
  test)      exec "$NODE" node_modules/vitest/vitest.mjs run "$@" ;;
  scenarios) exec "$NODE" harness/cli.ts run --jobs "${NETREPRO_JOBS:-3}" "$@" ;;
  cli)       exec "$NODE" harness/cli.ts "$@" ;;
  bench)     exec "$NODE" bench/run.ts "$@" ;;
  typecheck) exec "$NODE" node_modules/typescript/bin/tsc -p tsconfig.json "$@" ;;
  schema)    exec "$NODE" harness/cli.ts schema --write ;;
  *) echo "npm-entry.sh: unknown target $what" >&2; exit 2 ;;
esac
