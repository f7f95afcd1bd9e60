#!/usr/bin/env bash
# Benchmark reading a bucket that is far away: moto behind bench/lag.py, which waits LAG
# seconds (default 0.03) before each request, as a store across a network does. Times, on
# one provider folder of the tiny corpus in the bucket: `scan s3://…`, `check` of its
# manifest and `build` from it to a local pack, without and with its views (PDF index and
# catalogue). BASELINE=<another assetpack binary> times it beside this one in the same run.
#
#   bench/s3-far.sh [WORKDIR]   (default: a new temporary folder, deleted at the end)
#
# Needs: hyperfine, moto's S3 server and the aws command
# (python3 -m pip install 'moto[server]' awscli).
source "$(dirname "$0")/common.sh"

for tool in moto_server aws hyperfine; do
  command -v "$tool" >/dev/null || { echo "needs $tool (see the top of $0)"; exit 2; }
done

"$corpus" "$work/tiny" --profile tiny >/dev/null
provider=$(ls "$work/tiny" | head -1)
start_moto
aws s3 mb s3://art >/dev/null
aws s3 sync --only-show-errors "$work/tiny/$provider" "s3://art/$provider"
near=$AWS_ENDPOINT_URL
lag_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 "$here/lag.py" "$lag_port" "${near##*:}" "${LAG:-0.03}" &
lag=$!
trap "kill $lag 2>/dev/null; $(trap -p EXIT | sed "s/^trap -- '\(.*\)' EXIT\$/\1/")" EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$lag_port
"$ap" scan "s3://art/$provider" --provider "$provider" -o "$work/m.toml" --quiet

args=()
for bin in "$ap" ${BASELINE:-}; do
  label=$([ "$bin" = "$ap" ] && echo assetpack || echo baseline)
  args+=(-n "$label scan" "$bin scan s3://art/$provider --provider $provider --quiet"
         -n "$label check" "$bin check $work/m.toml --quiet"
         -n "$label build" "$bin build $work/m.toml -o $work/out.zip --no-index --no-html --quiet"
         -n "$label build with the views" "$bin build $work/m.toml -o $work/out.zip --quiet")
done
hyperfine --warmup 1 --runs "$runs" --export-json "$work/s3-far.json" "${args[@]}"
echo
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), lag ${LAG:-0.03} s per request"
python3 "$here/table.py" "$work/s3-far.json"
