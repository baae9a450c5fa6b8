#!/usr/bin/env bash
# The scoped, time-bounded mutation run of CI (.ci/run): the mutable source
# files this branch changed since main (at most 4), or else a fixed seed
# subset, with a wall-clock limit. Fails when the score is below the minimum;
# a run cut off by the limit is reported, not failed (the full run is
# `npm run mutation`, see stryker.config.mjs).
set -uo pipefail
cd "$(dirname "$0")/.."

LIMIT=${M3S_MUTATION_SECONDS:-360}
MIN=${M3S_MUTATION_MIN:-85}
SEED='src/model/heads.ts,src/site/snippet.ts'
MUTABLE='^src/(core/[^/]+|engine/[^/]+|model/(heads|sparse-pruning|noise)|site/(query|search|shards|keyword-shards|front-code|snippet|vectors))\.ts$'

base=$(git merge-base HEAD origin/main 2>/dev/null || git merge-base HEAD main 2>/dev/null || true)
changed=""
if [ -n "$base" ] && [ "$(git rev-parse HEAD)" != "$base" ]; then
  changed=$(git diff --name-only --diff-filter=AM "$base" HEAD -- src | grep -E "$MUTABLE" | grep -v -e 'src/core/wasm-asm.ts' -e 'src/core/index.ts' | head -4 | paste -sd, -)
fi
scope=${changed:-$SEED}
echo "mutation (CI): ${scope} (limit ${LIMIT}s, minimum score ${MIN}%)"

rm -f coverage/mutation/mutation.json
# No TypeScript checker here: it is most of the time per mutant (heads.ts: 28 s without it, over 6 min with it);
# the full `npm run mutation` keeps it.
timeout "$LIMIT" npx stryker run stryker.config.mjs --mutate "$scope" --checkers "" --concurrency 2 --reporters json,clear-text
rc=$?
if [ $rc -eq 124 ]; then
  echo "mutation (CI): stopped after ${LIMIT}s; no score this time"
  exit 0
fi
[ $rc -eq 0 ] || exit $rc
node scripts/mutation-score.mjs coverage/mutation/mutation.json --list --min "$MIN"
