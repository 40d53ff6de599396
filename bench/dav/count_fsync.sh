#!/bin/sh
# How durable is each server's PUT? Count the fsync-like system calls
# (strace -f -c) that 100 PUTs of new events cost on a fresh server.
#
#   bench/dav/count_fsync.sh [infostore|cyrus|radicale ...]
#
# Uses setup.sh (fresh server) and bench_dav.py's events and client.
# Not a timing: strace slows everything down.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
setup=$here/setup.sh
base=${BENCH_DAV_DIR:-/var/tmp/bench-dav}
n=${PUTS:-100}
command -v strace >/dev/null || apt-get install -y -qq --no-install-recommends strace

for s in ${*:-infostore cyrus radicale}; do
	"$setup" fresh "$s" 2>/dev/null
	# shellcheck disable=SC2046
	set -- $("$setup" env | grep "^$s ")
	url=$2
	root=$(cat "$5")
	pids=$(python3 -c "
import sys; sys.path.insert(0, '${BENCH:-$here/../../../shared/bench}')
import benchlib; print(' '.join('-p %d' % p for p in benchlib.server_pids(pids='$root')))")
	# shellcheck disable=SC2086
	strace -f -c -o "$base/strace-$s.txt" \
		-e trace=fsync,fdatasync,sync_file_range,syncfs,msync $pids &
	st=$!
	sleep 1
	python3 - "$url" "$n" "$here" <<'PY'
import datetime as dt, sys, urllib.parse
sys.path.insert(0, sys.argv[3])
import bench_dav
url, n = sys.argv[1], int(sys.argv[2])
c = bench_dav.Client(url, "bench@example.test", "benchpass", 120)
path = urllib.parse.urlsplit(url).path
st, _, _ = c.request("PROPFIND", path, bench_dav.PROPFIND_ETAG, {"Depth": "0"})
if st == 404:
    c.request("MKCALENDAR", path)
for e in bench_dav.make_events(n, 7):
    st, _, d = c.request("PUT", path + e.href, e.body(dt.datetime(2026, 12, 1)),
                         {"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
    assert st in (201, 204), (st, d[:200])
c.close()
PY
	sleep 1
	kill -INT $st
	wait $st || true
	echo "== $s: $n PUTs"
	awk -v n="$n" '$NF ~ /^(fsync|fdatasync|sync_file_range|syncfs|msync)$/ {
		printf "   %-16s %6d calls  %.1f per PUT\n", $NF, $4, $4 / n }' "$base/strace-$s.txt"
	"$setup" stop "$s"
done
