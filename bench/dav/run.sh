#!/bin/sh
# CalDAV side by side: infostore (build-release), Cyrus IMAP 3.6 and
# Radicale 3.1 on loopback, the same client (bench_dav.py), one server at a
# time, a fresh server for every run, quiet.py before every run. Prints
# the table of bench/dav/README.md.
#
#   bench/dav/run.sh                         10,000 events, 3 runs each
#   EVENTS=1000 RUNS=1 bench/dav/run.sh      a quick check
#   RADICALE_RUNS=1 bench/dav/run.sh         Radicale's PUTs grow with the
#                                            calendar (75 min a run
#                                            at 10,000): fewer runs for it
#   SERVERS="infostore cyrus" bench/dav/run.sh
#
# Results in bench/results/dav-DATE/ (git-ignored). Needs root (setup.sh).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
events=${EVENTS:-10000}
runs=${RUNS:-3}
servers=${SERVERS:-infostore cyrus radicale}
out=${OUT:-$top/bench/results/dav-$(date -u +%Y%m%dT%H%M%SZ)}
setup=$here/setup.sh

mkdir -p "$out"
echo "run.sh: $events events, $runs run(s) each; results in $out"
"$setup" prepare > "$out/setup.txt" 2>&1 || { cat "$out/setup.txt"; exit 1; }
uptime > "$out/load-before.txt"
trap '"$setup" stop all' EXIT INT TERM

jsons=""
for s in $servers; do
	n=$runs
	[ "$s" = radicale ] && n=${RADICALE_RUNS:-$runs}
	# shellcheck disable=SC2046
	set -- $("$setup" env | grep "^$s ")
	echo "== $s: $2 ($n run(s))"
	if python3 "$here/bench_dav.py" --server "$s" --url "$2" --user "$3" --password "$4" \
		--pidfile "$5" --events "$events" --runs "$n" --quiet \
		--before-run "'$setup' fresh $s" --json "$out/$s.json" \
		--max-seconds "${MAX_SECONDS:-10800}" > "$out/$s.txt" 2>&1; then
		grep "^SUMMARY" "$out/$s.txt"
	else
		echo "   failed; see $out/$s.txt"
		tail -3 "$out/$s.txt"
	fi
	"$setup" stop "$s"
	[ -s "$out/$s.json" ] && jsons="$jsons $out/$s.json"
done
uptime > "$out/load-after.txt"
echo
# shellcheck disable=SC2086
python3 "$here/table.py" $jsons | tee "$out/table.md"
