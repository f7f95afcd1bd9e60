#!/usr/bin/env bash
# Time and size of `assetpack index` on the national corpus (369 assets, 1 GiB), with peak
# memory from GNU time.
#
#   bench/index.sh [WORKDIR]      (default: a new temporary folder, deleted at the end)
source "$(dirname "$0")/common.sh"
scan_corpus national
c="$work/national"; m="$work/manifests-national"
find "$c" -type f -print0 | xargs -0 cat >/dev/null
hyperfine --warmup 1 --runs "$runs" "$ap index $m/*.toml -o $work/index.pdf 2>/dev/null"
/usr/bin/time -f "peak RSS %M KB" "$ap" index "$m"/*.toml -o "$work/index.pdf" 2>&1 | tail -1
echo "size $(stat -c %s "$work/index.pdf") bytes, $(pdfinfo "$work/index.pdf" | awk '/^Pages/ {print $2}') pages"
qpdf --check "$work/index.pdf" | tail -1
