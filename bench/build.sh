#!/usr/bin/env bash
# Benchmark `assetpack build` and `verify` beside ZIP writers on the same files in one run.
#
#   bench/build.sh [WORKDIR]      (default: a new temporary folder, deleted at the end)
#   HUGE=1 bench/build.sh DIR     also measures peak memory on the huge corpus (4.8 GB video)
#   BASELINE=path/to/assetpack bench/build.sh
#                                 also times another assetpack binary (an older commit's) on the
#                                 same data in the same run, to show what a change did
#
# Needs: hyperfine, p7zip-full (7z), libarchive-tools (bsdtar), zip, openssl, GNU time.
# Makes the `national` and `many` corpora with the workspace's generator (assetpack-corpus),
# scans each into nine manifests, then times, page cache warm, every tool writing a new file in
# the same folder:
#   assetpack build (SHA-256 of every file, checked against the manifests) |
#   7z a -tzip -mx0 -mmt2 | bsdtar --format zip (store) | zip -r -0 | cat of the files into one
#   | openssl's SHA-256 of every file, one process per core (the hashing floor) | on `many`,
#   7z -mx1 and bsdtar deflating (as a default build deflates the SVGs)
# and `assetpack build --cache DIR`, whose thumbnails the warm-up run made (what a user who
# rebuilds with the same --cache sees from the second build on), and `assetpack verify`
# beside `assetpack check` on the same content; then runs each command
# once more under GNU time for its peak memory, and says which of the speed issue's goals the
# run meets (bench/goals.py).
source "$(dirname "$0")/common.sh"
mkdir -p "$work/out"
out="$work/out"

# Times the commands named in `names`/`cmds` with hyperfine into $work/$1.json (cleaning the
# outputs before each run), then measures each one's peak RSS into $work/$1.peak.
time_all() {
  local label=$1 args=() i
  for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
  hyperfine --warmup 1 --runs "$runs" --export-json "$work/$label.json" \
    --prepare "rm -f $out/*.zip $out/cat.out" "${args[@]}"
  : >"$work/$label.peak"
  for i in "${!names[@]}"; do
    rm -f "$out"/*.zip "$out/cat.out"
    /usr/bin/time -f "%M" -o "$work/peak.kb" sh -c "${cmds[$i]}" >/dev/null 2>&1
    printf '%s\t%s\n' "${names[$i]}" "$(cat "$work/peak.kb")" >>"$work/$label.peak"
  done
}

for profile in national many; do
  scan_corpus "$profile"
  c="$work/$profile"; m="$work/manifests-$profile"
  find "$c" -type f -print0 | xargs -0 cat >/dev/null
  names=("assetpack build --no-index --no-html" "assetpack build --no-index (index.html)"
    "assetpack build --no-html (index.pdf)" "assetpack build (index.pdf and index.html)"
    "assetpack build --cache DIR (thumbnails kept by the run before)"
    "assetpack build --no-index --no-html --compression store" "7z a -tzip -mx0 -mmt2"
    "bsdtar --format zip (store)" "zip -r -0" "cat into one file")
  cmds=("$ap build $m/*.toml -o $out/ap.zip --quiet --no-index --no-html"
    "$ap build $m/*.toml -o $out/ap.zip --quiet --no-index"
    "$ap build $m/*.toml -o $out/ap.zip --quiet --no-html"
    "$ap build $m/*.toml -o $out/ap.zip --quiet"
    "$ap build $m/*.toml -o $out/ap.zip --quiet --cache $work/kept-$profile"
    "$ap build $m/*.toml -o $out/ap.zip --quiet --no-index --no-html --compression store"
    "cd $c && 7z a -tzip -mx0 -mmt2 $out/7z.zip . > /dev/null"
    "cd $c && bsdtar --format zip --options zip:compression=store -cf $out/bsdtar.zip ."
    "cd $c && zip -q -r -0 $out/zip.zip ."
    "cd $c && find . -type f -print0 | xargs -0 cat > $out/cat.out")
  # Not a peer but the floor: hashing every byte, one openssl (SHA-NI) per core, which a build
  # must do besides what cat or bsdtar do (goals.py adds their CPU times up). As many files
  # to each openssl as gives one per core, so that starting processes costs next to nothing.
  per_core=$(( $(find "$c" -type f | wc -l) / $(nproc) + 1 ))
  names+=("SHA-256 of every file, one openssl per core")
  cmds+=("cd $c && find . -type f -print0 | xargs -0 -P$(nproc) -n $per_core openssl dgst -sha256 > /dev/null")
  if [ "$profile" = many ]; then
    # Peers that deflate, as a default build deflates the corpus's SVGs (on national they would
    # deflate a gigabyte of PNG, JPEG and MP4 that a build stores, for minutes).
    names+=("7z a -tzip -mx1 -mmt2 (deflate)" "bsdtar --format zip (deflate)")
    cmds+=("cd $c && 7z a -tzip -mx1 -mmt2 $out/7z.zip . > /dev/null"
      "cd $c && bsdtar --format zip -cf $out/bsdtar.zip .")
  fi
  if [ -n "${BASELINE:-}" ]; then
    names+=("baseline build --no-index")
    cmds+=("$BASELINE build $m/*.toml -o $out/ap.zip --quiet --no-index")
  fi
  time_all "build-$profile"
  "$ap" build "$m"/*.toml -o "$work/verify-$profile.zip" --quiet
  names=("assetpack verify" "assetpack check")
  cmds=("$ap verify $work/verify-$profile.zip --quiet > /dev/null" "$ap check $m --quiet > /dev/null")
  if [ -n "${BASELINE:-}" ]; then
    names+=("baseline verify" "baseline check")
    cmds+=("$BASELINE verify $work/verify-$profile.zip --quiet > /dev/null" "$BASELINE check $m --quiet > /dev/null")
  fi
  time_all "verify-$profile"
  rm -f "$out"/*.zip "$out/cat.out" "$work/verify-$profile.zip"
done

echo
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
python3 "$here/table.py" "$work"/build-national.json "$work"/build-many.json "$work"/verify-national.json "$work"/verify-many.json
python3 "$here/goals.py" "$work"

if [ "${HUGE:-0}" = 1 ]; then
  scan_corpus huge
  /usr/bin/time -v "$ap" build "$work/manifests-huge"/*.toml -o "$out/huge.zip" --quiet 2>"$work/huge-build.txt"
  /usr/bin/time -v "$ap" verify "$out/huge.zip" --quiet >/dev/null 2>"$work/huge-verify.txt"
  echo
  echo "huge: build peak RSS $(grep 'Maximum resident' "$work/huge-build.txt" | awk '{print $NF}') KB," \
       "verify peak RSS $(grep 'Maximum resident' "$work/huge-verify.txt" | awk '{print $NF}') KB," \
       "pack $(stat -c %s "$out/huge.zip") bytes"
  python3 -c "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); print('zipfile reads', len(z.namelist()), 'entries; largest', max(i.file_size for i in z.infolist()))" "$out/huge.zip"
  rm -f "$out/huge.zip"
fi
