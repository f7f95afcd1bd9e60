#!/usr/bin/env bash
# Does the cost of a build grow linearly with the number of files? Times `build --no-index` on
# the many corpus (19,998 files) and on one five times larger (99,999 files), in one run.
# Goal (speed issue): the larger at most 5.5× the smaller.
#
#   bench/linear.sh [WORKDIR]     (default: a new temporary folder, deleted at the end)
source "$(dirname "$0")/common.sh"
scan_corpus many
CORPUS_ARGS="--per-provider 11111" scan_corpus_as many many100k
mkdir -p "$work/out"
hyperfine --warmup 1 --runs "$runs" --export-json "$work/linear.json" \
  -n "build --no-index, 19,998 files" "$ap build $work/manifests-many/*.toml -o $work/out/a.zip --quiet --no-index --no-html" \
  -n "build --no-index, 99,999 files" "$ap build $work/manifests-many100k/*.toml -o $work/out/b.zip --quiet --no-index --no-html"
for n in many many100k; do
  /usr/bin/time -f "$n: peak RSS %M KB" "$ap" build "$work/manifests-$n"/*.toml -o "$work/out/p.zip" --quiet --no-index --no-html
done
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
python3 "$here/table.py" "$work/linear.json"
