#!/usr/bin/env bash
# Benchmark `assetpack check` beside its peers on the same files in one run.
#
#   bench/check.sh [WORKDIR]      (default: a new temporary folder, deleted at the end)
#
# Needs: hyperfine, rhash, python3 with bagit (pip install bagit). Makes the `national`
# (1 GiB, 369 files) and `many` (20,000 small files) corpora with the workspace's generator (assetpack-corpus),
# scans each into nine manifests, then times, page cache warm:
#   assetpack check (hashing, 2 threads) | bagit.py --validate --processes 2 |
#   rhash --sha256 -r | sha256sum -c | a 2-process Python hashlib pool
source "$(dirname "$0")/common.sh"

for profile in national many; do
  scan_corpus "$profile"
  c="$work/$profile"; m="$work/manifests-$profile"
  bag="$work/bag-$profile"
  # A bag is whole once bagit.txt is written; an earlier run stopped half way starts again.
  if [ ! -f "$bag/bagit.txt" ]; then
    rm -rf "$bag"
    cp -al "$c" "$bag"
    bagit.py --quiet --processes 2 "$bag" 2>/dev/null
  fi
  sums="$work/sums-$profile"
  [ -f "$sums" ] || (cd "$c" && find . -type f -print0 | sort -z | xargs -0 sha256sum >"$sums")
  # Warm the page cache for every copy of the data.
  find "$c" "$bag" -type f -print0 | xargs -0 cat >/dev/null

  hyperfine --warmup 1 --runs "$runs" --ignore-failure --export-json "$work/check-$profile.json" \
    -n "assetpack check" "$ap check $m --quiet > /dev/null" \
    -n "bagit.py --validate --processes 2" "bagit.py --quiet --validate --processes 2 $bag" \
    -n "rhash --sha256 -r" "rhash --sha256 -r $c > /dev/null" \
    -n "sha256sum -c" "cd $c && sha256sum -c --quiet $sums" \
    -n "python hashlib pool (2)" "python3 $here/hashpool.py $c 2 > /dev/null"
done

echo
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
python3 "$here/table.py" "$work/check-national.json" "$work/check-many.json"
