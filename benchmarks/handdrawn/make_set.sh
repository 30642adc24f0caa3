#!/bin/bash
# Fetch and render the hand-drawn set (benchmarks/handdrawn/build.py says what is in it):
#   bash benchmarks/handdrawn/make_set.sh OUT     (then: python -m benchmarks.real --folder OUT/set,
#   or OUT/set_lorelei)
# Needs apt-get (download only, no root), npm and node >= 18, rsvg-convert (librsvg2-bin) and
# a Python with numpy and opencv (PYTHON, default .venv/bin/python). Run from the repository.
set -euo pipefail
OUT=$(realpath -m "${1:?usage: make_set.sh OUT}")
PYTHON=${PYTHON:-.venv/bin/python}
HERE=$(dirname "$0")
mkdir -p "$OUT/debs" "$OUT/npm" "$OUT/src"
(cd "$OUT/debs" && apt-get download gcompris-qt-data pysiogame)
dpkg -x "$OUT"/debs/gcompris-qt-data_*.deb "$OUT/debs/gcompris-qt-data"
dpkg -x "$OUT"/debs/pysiogame_*.deb "$OUT/src/pysiogame"
"$PYTHON" -m benchmarks.handdrawn.rcc "$OUT"/debs/gcompris-qt-data/usr/share/gcompris-qt/rcc/lang.rcc \
    "$OUT/src/gcompris" gcompris/src/activities/lang/resource/words_sample
(cd "$OUT/npm" && npm pack --silent doodle-icons@1.1.0 @opeepsfun/open-peeps@1.0.6 \
    && for t in *.tgz; do mkdir -p "${t%.tgz}" && tar xzf "$t" -C "${t%.tgz}"; done)
node "$HERE/peeps.js" "$OUT/npm/opeepsfun-open-peeps-1.0.6/package/build" "$OUT/src/open-peeps"
node "$HERE/doodle.js" "$OUT/npm/doodle-icons-1.1.0/package/build/index.es.js" "$OUT/src/doodle-icons"
# DiceBear avatars (CC0 designs): Notionists to train the verifier on, Lorelei to measure on.
npm install --silent --no-save --no-package-lock --prefix "$OUT/npm/dicebear" \
    @dicebear/core@9.4.3 @dicebear/notionists@9.4.3 @dicebear/lorelei@9.4.3
node "$HERE/dicebear.mjs" "$OUT/npm/dicebear" notionists 400 "$OUT/src/notionists"
node "$HERE/dicebear.mjs" "$OUT/npm/dicebear" lorelei 24 "$OUT/src/lorelei"
"$PYTHON" -m benchmarks.handdrawn.build "$OUT/src" "$OUT/set"
"$PYTHON" -m benchmarks.handdrawn.build --lorelei "$OUT/src" "$OUT/set_lorelei"
