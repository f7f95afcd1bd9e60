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
