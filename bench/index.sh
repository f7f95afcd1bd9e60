#!/usr/bin/env bash
# Time and size of `assetpack index` on the national corpus (369 assets, 1 GiB), with peak
# memory from GNU time.
#
#   bench/index.sh [WORKDIR]      (default: a new temporary folder, deleted at the end)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
work=${1:-}
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p assetpack-cli
ap="$repo/target/release/assetpack"
c="$work/national"; m="$work/manifests-national"
[ -d "$c" ] || python3 "$repo/../shared/tools/make-corpus.py" "$c" --profile national >/dev/null
if [ ! -d "$m" ]; then
  mkdir -p "$m"
  for p in "$c"/*/; do
    "$ap" scan "$p" --provider "$(basename "$p")" -o "$m/$(basename "$p").toml" --quiet 2>/dev/null
  done
fi
find "$c" -type f -print0 | xargs -0 cat >/dev/null
hyperfine --warmup 1 --runs "${RUNS:-5}" "$ap index $m/*.toml -o $work/index.pdf 2>/dev/null"
/usr/bin/time -f "peak RSS %M KB" "$ap" index "$m"/*.toml -o "$work/index.pdf" 2>&1 | tail -1
echo "size $(stat -c %s "$work/index.pdf") bytes, $(pdfinfo "$work/index.pdf" | awk '/^Pages/ {print $2}') pages"
qpdf --check "$work/index.pdf" | tail -1
