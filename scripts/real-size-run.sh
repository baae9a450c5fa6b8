#!/usr/bin/env bash
# `npm run bench:real-size`: every figure of the README's "Real model sizes"
# table in one run, one log (out/real-size/run-<time>.log): the real-size
# models (written when missing or stale), the encoder in Node and in Chromium
# (WASM 1 / N threads, WebGPU when an adapter exists) against transformers.js,
# the reopen of 10,000 real-size passages from IndexedDB against MiniSearch,
# and what a static site's first hybrid query downloads at 1024 dimensions.
# Takes 16 min on 2 quiet cores, about an hour when other jobs share them;
# never run by npm test or CI.
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/real-size
mkdir -p "$out"
log="$out/run-$(date -u +%Y%m%dT%H%M%SZ).log"
step() { printf '\n=== %s — %s — load %s\n' "$1" "$(date -u +%H:%M:%S)" "$(cut -d' ' -f1-3 /proc/loadavg)"; }
{
  step 'models (npm run model:shape)'
  npm run --silent model:shape -- --no-check
  step 'encoder, Node and Chromium (npm run bench -- --sections real-size,real-size-browser)'
  npm run --silent bench -- --sections real-size,real-size-browser --json "$out/bench.json"
  step 'reopen, 10,000 real-size passages (bench/browser-reopen.ts --dim 1024 --rows 16)'
  npx tsx bench/browser-reopen.ts --n 10000 --dim 1024 --rows 16 --profile
  step 'first hybrid query bytes at 1024 dimensions (npm run site:bits)'
  npm run --silent site:bits
  step done
} 2>&1 | tee "$log"
echo "wrote $log"
