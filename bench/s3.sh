#!/usr/bin/env bash
# Benchmark packs into and out of an S3 bucket: assetpack streaming against the staged route
# with a standard S3 client, on the same server in one run.
#
#   bench/s3.sh [WORKDIR]      (default: a new temporary folder, deleted at the end)
#
# Needs: hyperfine, GNU time, moto's S3 server and the aws command
# (python3 -m pip install 'moto[server]' awscli). Makes the `national` corpus (1 GiB) with the
# workspace's generator, scans it, starts moto on loopback, then times, page cache warm:
#   upload:  assetpack build -o s3://…  |  assetpack build -o local.zip && aws s3 cp local.zip s3://…
#   bucket to bucket (the corpus's files in a bucket, manifests with base = "s3://…"):
#            assetpack build -o s3://…  |  aws s3 sync s3://… dl/ && assetpack build -o local.zip
#                                          && aws s3 cp local.zip s3://…
#   verify (tiny corpus):  assetpack verify s3://…  |  aws s3 cp s3://… local.zip && assetpack verify local.zip
# and the peak memory of each assetpack run. moto is no S3 for speed: it keeps objects in
# memory (about four times the object while it assembles one: the huge corpus does not fit)
# and answers every ranged GET by copying the whole object, so the verify, which asks for
# each entry's local header by range, is timed on the tiny corpus only.
source "$(dirname "$0")/common.sh"

for tool in moto_server aws hyperfine; do
  command -v "$tool" >/dev/null || { echo "needs $tool (see the top of $0)"; exit 2; }
done

scan_corpus national
scan_corpus tiny
m="$work/manifests-national"
start_moto
aws s3 mb s3://bench >/dev/null
find "$work/national" -type f -print0 | xargs -0 cat >/dev/null

plain="--no-index --no-html --quiet"
staged="$work/staged.zip"
hyperfine --warmup 1 --runs "$runs" --export-json "$work/s3-upload.json" \
  -n "assetpack build -o s3://" "$ap build $m/*.toml -o s3://bench/national.zip $plain" \
  -n "assetpack build + aws s3 cp" "$ap build $m/*.toml -o $staged $plain && aws s3 cp --only-show-errors $staged s3://bench/staged.zip"

# The same corpus in a bucket: manifests pointing at it, and for the staged route at the
# folder it is downloaded to.
aws s3 mb s3://art >/dev/null
aws s3 sync --only-show-errors "$work/national" s3://art/national
mkdir -p "$work/manifests-s3" "$work/manifests-dl"
for f in "$m"/*.toml; do
  p=$(basename "$f" .toml)
  sed "s|^base = .*|base = \"s3://art/national/$p\"|" "$f" >"$work/manifests-s3/$p.toml"
  sed "s|^base = .*|base = \"$work/dl/$p\"|" "$f" >"$work/manifests-dl/$p.toml"
done
hyperfine --warmup 1 --runs "$runs" --export-json "$work/s3-bucket-to-bucket.json" \
  -n "assetpack build, bucket to bucket" "$ap build $work/manifests-s3/*.toml -o s3://bench/from-bucket.zip $plain" \
  -n "aws s3 sync + assetpack build + aws s3 cp" "rm -rf $work/dl && aws s3 sync --only-show-errors s3://art/national $work/dl && $ap build $work/manifests-dl/*.toml -o $staged $plain && aws s3 cp --only-show-errors $staged s3://bench/staged.zip"

$ap build "$work/manifests-tiny"/*.toml -o s3://bench/tiny.zip $plain
hyperfine --warmup 1 --runs "$runs" --export-json "$work/s3-verify.json" \
  -n "assetpack verify s3://" "$ap verify s3://bench/tiny.zip --quiet" \
  -n "aws s3 cp + assetpack verify" "aws s3 cp --only-show-errors s3://bench/tiny.zip $work/fetched.zip && $ap verify $work/fetched.zip --quiet"

# Peak memory of each assetpack run, beside the timings (table.py reads the .peak files).
peak() {
  local file=$1 name=$2; shift 2
  /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null
  printf '%s\t%s\n' "$name" "$(tail -1 "$work/rss")" >>"$file"
}
peak "$work/s3-upload.peak" "assetpack build -o s3://" $ap build $m/*.toml -o s3://bench/national.zip $plain
peak "$work/s3-verify.peak" "assetpack verify s3://" $ap verify s3://bench/tiny.zip --quiet
peak "$work/s3-bucket-to-bucket.peak" "assetpack build, bucket to bucket" $ap build $work/manifests-s3/*.toml -o s3://bench/from-bucket.zip $plain
echo
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
python3 "$here/table.py" "$work/s3-upload.json" "$work/s3-bucket-to-bucket.json" "$work/s3-verify.json"
