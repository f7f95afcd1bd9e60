#!/usr/bin/env bash
# Benchmark a pack per region from a bucket to a bucket in one run (`build --out-dir s3://`):
# assetpack with its cache and three packs side by side, assetpack one pack after another
# with no cache (each pack reads every asset from the bucket), and the staged route with a
# standard S3 client (aws s3 sync down, build --out-dir a folder, aws s3 sync up), on the
# same server in one run.
#
#   bench/s3-regions.sh [WORKDIR]   (default: a new temporary folder, deleted at the end)
#
# Needs: hyperfine, GNU time, moto's S3 server and the aws command
# (python3 -m pip install 'moto[server]' awscli). Makes the `national` corpus (1 GiB) with the
# workspace's generator, scans it, puts it in a bucket on moto (loopback), and writes three
# bundle specs: region k takes every provider but the k-th, so the packs share most of their
# assets and each has some of its own. RUNS sets the runs (default 3 here: each run moves
# about 2.5 GB through moto).
RUNS=${RUNS:-3}
source "$(dirname "$0")/common.sh"

for tool in moto_server aws hyperfine; do
  command -v "$tool" >/dev/null || { echo "needs $tool (see the top of $0)"; exit 2; }
done

scan_corpus national
m="$work/manifests-national"
start_moto
aws s3 mb s3://art >/dev/null
aws s3 mb s3://packs >/dev/null
aws s3 sync --only-show-errors "$work/national" s3://art/national

# Manifests pointing at the bucket, and (for the staged route) at the folder it goes to.
mkdir -p "$work/manifests-s3" "$work/manifests-dl" "$work/specs-s3" "$work/specs-dl"
providers=()
for f in "$m"/*.toml; do
  p=$(basename "$f" .toml)
  providers+=("$p")
  sed "s|^base = .*|base = \"s3://art/national/$p\"|" "$f" >"$work/manifests-s3/$p.toml"
  sed "s|^base = .*|base = \"$work/dl/$p\"|" "$f" >"$work/manifests-dl/$p.toml"
done
for k in 0 1 2; do
  for kind in s3 dl; do
    spec="$work/specs-$kind/region-$k.toml"
    printf '[bundle]\nname = "region-%s"\ntitle = "Region %s"\nregion = "Region %s"\ncontact = "Bench <bench@example.org>"\ndate = 2027-03-01\nmanifests = ["../manifests-%s/*.toml"]\n' \
      "$k" "$k" "$k" "$kind" >"$spec"
    for i in "${!providers[@]}"; do
      [ "$i" -eq "$k" ] || printf '\n[[select]]\nprovider = "%s"\n' "${providers[$i]}" >>"$spec"
    done
  done
done

plain="--no-index --no-html --quiet"
# The packs of the run before are removed first: moto keeps every object in memory.
hyperfine --warmup 1 --runs "$runs" --export-json "$work/s3-regions.json" \
  --prepare "aws s3 rm --quiet --recursive s3://packs/" \
  -n "assetpack, cache + 3 at once" "$ap build $work/specs-s3/*.toml --out-dir s3://packs/a/ $plain" \
  -n "assetpack, 1 at a time, no cache" "$ap build $work/specs-s3/*.toml --out-dir s3://packs/b/ --packs-at-once 1 --cache-size 0 $plain" \
  -n "aws s3 sync + assetpack --out-dir + aws s3 sync" "rm -rf $work/dl $work/out && aws s3 sync --only-show-errors s3://art/national $work/dl && $ap build $work/specs-dl/*.toml --out-dir $work/out $plain && aws s3 sync --only-show-errors $work/out s3://packs/c/"

/usr/bin/time -f "%M" -o "$work/rss" $ap build $work/specs-s3/*.toml --out-dir s3://packs/a/ $plain
printf '%s\t%s\n' "assetpack, cache + 3 at once" "$(tail -1 "$work/rss")" >"$work/s3-regions.peak"
/usr/bin/time -f "%M" -o "$work/rss" $ap build $work/specs-s3/*.toml --out-dir s3://packs/b/ --packs-at-once 1 --cache-size 0 $plain
printf '%s\t%s\n' "assetpack, 1 at a time, no cache" "$(tail -1 "$work/rss")" >>"$work/s3-regions.peak"
echo
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
python3 "$here/table.py" "$work/s3-regions.json"
