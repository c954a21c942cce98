#!/bin/sh
# Runs the peer benchmarks one after another, each only once the 1-minute
# load average is at most MAX_LOAD (waiting SLEEP seconds between checks, at
# most TRIES checks; after that it runs anyway and the JSON line's loadavg_1m
# shows it). JSON lines go to stdout, progress to stderr.
#   MAX_LOAD=1.5 TRIES=10 SLEEP=30 PEERS="pytorch tfjs" CPU=0 bench/measure.sh
# CPU=1 adds the TF.js plain-JS 'cpu' backend (minutes per model).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
MAX_LOAD=${MAX_LOAD:-1.5}
TRIES=${TRIES:-10}
SLEEP=${SLEEP:-30}
PEERS=${PEERS:-pytorch tfjs}
CPU=${CPU:-0}

wait_quiet() {
	i=0
	while [ "$i" -lt "$TRIES" ]; do
		load=$(cut -d' ' -f1 /proc/loadavg)
		if awk -v l="$load" -v m="$MAX_LOAD" 'BEGIN{exit !(l<=m)}'; then return 0; fi
		echo "measure: load $load > $MAX_LOAD, waiting ${SLEEP}s ($((i + 1))/$TRIES)" >&2
		sleep "$SLEEP"
		i=$((i + 1))
	done
	echo "measure: load still $(cut -d' ' -f1 /proc/loadavg), measuring anyway" >&2
}

run() {
	wait_quiet
	echo "measure: $*" >&2
	"$@"
}

for peer in $PEERS; do
	case $peer in
	pytorch)
		for t in 1 2; do
			for m in dae cnn; do
				run /usr/bin/python3 "$here/pytorch/bench.py" --model $m --threads $t --steps 20 --warmup 5 --reps 5
			done
		done ;;
	tfjs)
		for m in dae cnn; do
			run node "$here/tfjs/bench.mjs" --backend wasm --model $m --threads 1 --steps 10 --warmup 3 --reps 5 2>/dev/null
		done
		if [ "$CPU" = 1 ]; then
			for m in dae cnn; do
				run node "$here/tfjs/bench.mjs" --backend cpu --model $m --steps 1 --warmup 1 --reps 1 2>/dev/null
			done
		fi ;;
	*) echo "measure: unknown peer $peer" >&2; exit 2 ;;
	esac
done
