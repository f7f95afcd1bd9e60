#!/usr/bin/env bash
# The HTML catalogue: what it adds to a build on the national corpus (build --no-index, i.e.
# with index.html and thumbs/, beside build --no-index --no-html, in one hyperfine run), its
# size, and on the many corpus (19,998 assets) how long the page takes to load and each filter
# to paint in headless Chromium.
#
#   bench/catalogue.sh [WORKDIR]      (default: a new temporary folder, deleted at the end)
#
# Needs: hyperfine, GNU time, Chromium and tests/browser's npm packages (npm ci --prefix
# tests/browser).
source "$(dirname "$0")/common.sh"
mkdir -p "$work/out"
for profile in national many; do
  scan_corpus "$profile"
  m="$work/manifests-$profile"
  find "$work/$profile" -type f -print0 | xargs -0 cat >/dev/null
  hyperfine --warmup 1 --runs "$runs" \
    -n "$profile: build --no-index --no-html" "$ap build $m/*.toml -o $work/out/plain.zip --quiet --no-index --no-html" \
    -n "$profile: build --no-index (index.html)" "$ap build $m/*.toml -o $work/out/html.zip --quiet --no-index"
  /usr/bin/time -f "$profile: build --no-index (index.html) peak RSS %M KB" \
    "$ap" build "$m"/*.toml -o "$work/out/html.zip" --quiet --no-index
  rm -rf "$work/out/x" && mkdir "$work/out/x"
  "$ap" verify "$work/out/html.zip" --extract "$work/out/x" --quiet
  page=$(ls -d "$work/out/x"/*/)index.html
  echo "$profile: index.html $(stat -c %s "$page") bytes, thumbs/ $(du -sb "$(dirname "$page")/thumbs" 2>/dev/null | cut -f1 || echo 0) bytes"
  (cd "$repo" && node bench/catalogue-filter.mjs "$page")
done
