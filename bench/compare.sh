#!/usr/bin/env bash
# bench/compare.sh: the sweep figures of issue 4, on this machine.
#   1. the default comparison (built-in library × 3 presets × 100 seeds):
#      wall time and peak RSS (GNU time);
#   2. cost per run flat in the request rate: one scenario at 10 and at
#      100,000 rps, 100 seeds, 1 worker;
#   3. scaling from 1 to 2 workers on the default comparison.
# Writes a summary to stdout; raw outputs go to bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/canarysim}
OUT=bench/out
mkdir -p "$OUT"
[[ -x "$BIN" ]] || go build -o "$BIN" ./cmd/canarysim
TIME=/usr/bin/time
[[ -x $TIME ]] || { echo "GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 1; }

# timed LABEL ARGS...: runs canarysim, prints wall seconds and peak RSS (MB).
timed() {
	local label=$1; shift
	$TIME -f '%e %M' -o "$OUT/$label.time" "$BIN" "$@" > "$OUT/$label.out"
	read -r wall rss < "$OUT/$label.time"
	printf '%-28s %8.2f s %8.1f MB\n' "$label" "$wall" "$(echo "$rss / 1024" | bc -l)"
	echo "$wall" > "$OUT/$label.wall"
}

echo "machine: $(nproc) cores, $(go version | cut -d' ' -f3)"
timed default-2-workers compare --workers 2
timed default-1-worker compare --workers 1

# rate flatness: the steady scenario at 10 and 100,000 rps
lib=scenarios/library
for rps in 10 100000; do
	sed "s/traffic: {rps: 100}/traffic: {rps: $rps}/; s/name: healthy-steady/name: steady-$rps/" "$lib/healthy-steady.yaml" > "$OUT/steady-$rps.yaml"
	cp "$lib/canary.yaml" "$OUT/canary.yaml"
	timed "rps-$rps" compare -f "$OUT/steady-$rps.yaml" --policy balanced --seeds 100 --workers 1
done

runs=$(( $(ls $lib/*.yaml | grep -vc canary.yaml) * 3 * 100 ))
w1=$(cat "$OUT/default-1-worker.wall"); w2=$(cat "$OUT/default-2-workers.wall")
r10=$(cat "$OUT/rps-10.wall"); r100k=$(cat "$OUT/rps-100000.wall")
echo
printf 'default comparison: %d runs in %s s with 2 workers (%.0f runs/s)\n' "$runs" "$w2" "$(echo "$runs / $w2" | bc -l)"
printf 'cost at 100000 rps / cost at 10 rps: %.2fx\n' "$(echo "$r100k / $r10" | bc -l)"
printf 'speed-up from 1 to 2 workers: %.2fx\n' "$(echo "$w1 / $w2" | bc -l)"
