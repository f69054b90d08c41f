#!/usr/bin/env bash
# Runs tools/browser/explain.test.js and training.test.js: the pages
# `cargo run --release --example explain` and `--example moons` wrote, in a real Chromium
# driven by playwright-core. Installs Chromium (Debian's) and
# playwright-core (npm) when they are missing and it can; without a browser or Node it
# says SKIPPED, loudly, and never passes silently.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
root="$(cd ../.. && pwd)"

browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]] && command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
  echo "installing Chromium (apt-get install chromium)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } \
    || true
  browser="$(command -v chromium || true)"
fi
if [[ -z "$browser" ]] || ! command -v npm >/dev/null; then
  echo "SKIPPED: the browser tests of the explain and training pages need Chromium and Node (npm); found browser='${browser}', npm='$(command -v npm || true)'"
  exit 0
fi
if [[ ! -d node_modules/playwright-core ]]; then
  npm install --no-audit --no-fund --silent
fi
for page in explain.html:explain explain-exp.html:explain explain-second.html:explain explain-batch.html:explain moons-training.html:moons; do
  [[ -f "$root/target/${page%%:*}" ]] \
    || { echo "missing target/${page%%:*}: run cargo run --release --example ${page##*:} first"; exit 1; }
done
node explain.test.js "$browser" "$root/target/explain.html" "$root/target/explain-exp.html" "$root/target" \
  "$root/target/explain-second.html" "$root/target/explain-batch.html"
node training.test.js "$browser" "$root/target/moons-training.html" "$root/target"
echo "browser tests passed; screenshots: target/explain.png, target/explain-sum.png, target/explain-second.png, target/explain-batch.png, target/moons-training.png"
