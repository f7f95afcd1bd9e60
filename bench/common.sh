# Shared by the bench/ scripts: sourced, not run. Sets `here`, `repo`, `work` (the first
# argument, else a temporary folder removed at exit), `runs`, builds the release binary as `ap`,
# and the workspace's corpus generator as `corpus`, and defines `scan_corpus PROFILE`, which
# makes $work/PROFILE with the generator (CORPUS_ARGS adds arguments, e.g. --per-provider) and
# scans each provider folder into $work/manifests-PROFILE.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
work=${1:-}
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
runs=${RUNS:-5}

cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p assetpack-cli -p assetpack-corpus
ap="$repo/target/release/assetpack"
corpus="$repo/target/release/assetpack-corpus"

scan_corpus() {
  scan_corpus_as "$1" "$1"
}

# scan_corpus_as PROFILE NAME: the corpus of PROFILE (with CORPUS_ARGS) in $work/NAME.
scan_corpus_as() {
  local profile=$1 c="$work/$2" m="$work/manifests-$2"
  [ -d "$c" ] || "$corpus" "$c" --profile "$profile" ${CORPUS_ARGS:-} >/dev/null
  if [ ! -d "$m" ]; then
    mkdir -p "$m"
    for p in "$c"/*/; do
      "$ap" scan "$p" --provider "$(basename "$p")" -o "$m/$(basename "$p").toml" --quiet 2>/dev/null
    done
  fi
}

# start_moto: moto's S3 server on a free loopback port, stopped at exit (then the clean-up
# above runs as before), with the AWS_* variables pointing the aws command and assetpack at it.
start_moto() {
  local port cleanup
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
  moto=$!
  cleanup=$(trap -p EXIT | sed "s/^trap -- '\(.*\)' EXIT\$/\1/")
  trap "kill $moto 2>/dev/null; $cleanup" EXIT
  export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
         AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_PAGER=
  for _ in $(seq 50); do aws s3 ls >/dev/null 2>&1 && break; sleep 0.2; done
}
