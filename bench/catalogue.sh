#!/usr/bin/env bash
# The HTML catalogue: what it adds to a build, in one hyperfine run per corpus: the plain pack
# (--no-index --no-html), the catalogue alone (--no-index), the PDF index alone (--no-html) and
# both (the default; the thumbnails are made once, so the catalogue's own cost is "both" minus
# "PDF alone"); its size; and how long the page takes to load and each filter to paint in
# headless Chromium (the many corpus: 19,998 assets).
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
    -n "$profile: build --no-index (index.html)" "$ap build $m/*.toml -o $work/out/html.zip --quiet --no-index" \
    -n "$profile: build --no-html (index.pdf)" "$ap build $m/*.toml -o $work/out/pdf.zip --quiet --no-html" \
    -n "$profile: build (index.pdf and index.html)" "$ap build $m/*.toml -o $work/out/both.zip --quiet"
  /usr/bin/time -f "$profile: build --no-html (index.pdf) peak RSS %M KB" \
    "$ap" build "$m"/*.toml -o "$work/out/pdf.zip" --quiet --no-html
  /usr/bin/time -f "$profile: build (index.pdf and index.html) peak RSS %M KB" \
    "$ap" build "$m"/*.toml -o "$work/out/both.zip" --quiet
  /usr/bin/time -f "$profile: build --no-index (index.html) peak RSS %M KB" \
    "$ap" build "$m"/*.toml -o "$work/out/html.zip" --quiet --no-index
  rm -f "$work/out/plain.zip" "$work/out/pdf.zip" "$work/out/both.zip"
  rm -rf "$work/out/x" && mkdir "$work/out/x"
  "$ap" verify "$work/out/html.zip" --extract "$work/out/x" --quiet
  page=$(ls -d "$work/out/x"/*/)index.html
  echo "$profile: index.html $(stat -c %s "$page") bytes, thumbs/ $(du -sb "$(dirname "$page")/thumbs" 2>/dev/null | cut -f1 || echo 0) bytes"
  (cd "$repo" && node bench/catalogue-filter.mjs "$page")
  rm -rf "$work/out/x" "$work/out/html.zip"
done
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
