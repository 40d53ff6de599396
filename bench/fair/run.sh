#!/bin/sh
# infostore against tuned Dovecot 2.3, like with like (issue #15): every
# row three times per side, alternating, each run gated by quiet.py; then
# the markdown table. See fair.py for the rows and bench/README.md,
# "Fair comparison (issue #15)", for the configurations.
#
#   bench/fair/run.sh prepare            # once: imaptest, the 100,000-message
#                                        # maildirs and their FTS index, POP3 data
#   bench/fair/run.sh [ROW ...]          # lmtp pop3 tls bigbox idle imaptest ftsindex
#
# INFOSTORE_BIN (build-release), INFOSTORE_OLD_BIN (the commit before the
# TLS key process, for the tls row), OUT (bench/results/fair-DATE, which
# git ignores), FAIR_DATA (/var/tmp/bench-fair), STOP_AT (HH:MM UTC: no
# row starts after it), RUNS (3) and the sizes in fair.py's environment.
# Needs root (Dovecot runs as the vmail user; strace; sysctl).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
export INFOSTORE_BIN=${INFOSTORE_BIN:-$top/build-release/src/cli/infostore}
export INFOSTORE_OLD_BIN=${INFOSTORE_OLD_BIN:-}
out=${OUT:-$top/bench/results/fair-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
ulimit -n 65536 2>/dev/null || true
rc=0
python3 "$top/bench/fair/fair.py" --out "$out" "$@" || rc=$?
if [ -s "$out/results.jsonl" ]; then
	python3 "$top/bench/fair/table.py" "$out" > "$out/table.md"
	cat "$out/table.md"
fi
echo "results in $out"
exit $rc
