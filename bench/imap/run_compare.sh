#!/usr/bin/env bash
# infostore against Dovecot 2.3 (the tuned anchor configuration), side by
# side on loopback in one run: imaptest's stress mix (plain and TLS, 10 and
# 50 clients), the big-mailbox timings and idle IMAPS memory.
#
#   INFOSTORE_BIN=build-imap-rel/src/cli/infostore \
#   IMAPTEST=/var/tmp/bench-anchor/bin/imaptest \
#   MBOX=/var/tmp/bench-anchor/bench10k.mbox  bench/imap/run_compare.sh [stress|bigbox|idle|all]
#
# BIGBOX_COPIES=10 loads the mbox ten times for the 100,000-message
# mailbox; IDLE_CONNS (default 2000) sets the idle test's connections.
#
# Both servers run from $DIR (default /var/tmp/infostore-bench-compare),
# outside the repository, on their own ports (infostore 13143/13993,
# Dovecot 12143/12993/12024) so that the shared anchor in
# /var/tmp/bench-anchor is left alone. Dovecot runs as the vmail user
# created by ../shared/bench/dovecot_anchor.sh setup. Each measurement
# waits for a quiet machine first (quiet.py). Output: "name: value unit"
# lines, then a summary per part.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=${BENCH:-$HERE/../../../shared/bench}
BIN=${INFOSTORE_BIN:?set INFOSTORE_BIN to a release build of infostore}
IMAPTEST=${IMAPTEST:?set IMAPTEST to a built imaptest}
MBOX=${MBOX:?set MBOX to the benchmark mbox (gen_mbox.py)}
DIR=${DIR:-/var/tmp/infostore-bench-compare}
SECS=${SECS:-30}
CLIENTS=${CLIENTS:-"10 50"}
IDLE_CONNS=${IDLE_CONNS:-2000}
WHAT=${1:-all}
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-/usr/lib/dovecot}

I_PORT=13143 I_TLS=13993
D_PORT=12143 D_TLS=12993 D_LMTP=12024

quiet() { python3 "$BENCH/quiet.py" --max-wait 180 >/dev/null || echo "note: machine not quiet" >&2; }

setup_infostore() {
  rm -rf "$DIR/infostore"
  mkdir -p "$DIR/infostore"
  local d=$DIR/infostore
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
      -keyout "$d/key.pem" -out "$d/cert.pem" >/dev/null 2>&1
  cat > "$d/infostore.conf" <<CONF
[server]
hostname = localhost
data_dir = $d/data
tls_cert = $d/cert.pem
tls_key = $d/key.pem
plaintext_auth_from = 127.0.0.1/32
log_level = warning
[limits]
max_connections = 20000
max_connections_per_ip = 20000
[imap]
listen = 127.0.0.1:$I_PORT
tls_listen = 127.0.0.1:$I_TLS
[pop3]
listen =
tls_listen =
[lmtp]
listen =
[submission]
listen =
tls_listen =
[web]
tls_listen =
[outbound]
relay =
CONF
  for i in $(seq 1 50); do
    echo benchpass | "$BIN" -c "$d/infostore.conf" user add "bench$i@example.test"
  done
}

start_infostore() {
  "$BIN" -c "$DIR/infostore/infostore.conf" serve 2>> "$DIR/infostore/server.log" &
  echo $! > "$DIR/infostore/server.pid"
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $I_PORT), 1)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "infostore did not start" >&2; exit 1
}

stop_infostore() {
  [ -s "$DIR/infostore/server.pid" ] || return 0
  local pid; pid=$(cat "$DIR/infostore/server.pid")
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$DIR/infostore/server.pid"
}

setup_dovecot() {
  local d=$DIR/dovecot
  rm -rf "$d"
  mkdir -p "$d"/{mail,run,log,ssl,state}
  cp "$BENCH/dovecot-anchor.conf" "$BENCH/dovecot-anchor-tuned.conf" "$d/"
  sed -i -e "s|/var/tmp/bench-anchor|$d|g" -e "s/10143/$D_PORT/; s/10993/$D_TLS/" \
      -e "s/10110/12110/; s/10995/12995/; s/10024/$D_LMTP/" \
      -e "s/^instance_name = .*/instance_name = dovecot-compare/" "$d/dovecot-anchor.conf"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
      -keyout "$d/ssl/key.pem" -out "$d/ssl/cert.pem" >/dev/null 2>&1
  : > "$d/users.passwd"
  for i in $(seq 1 50); do echo "bench$i:{PLAIN}benchpass::::::" >> "$d/users.passwd"; done
  chown -R vmail:vmail "$d/mail"
}

start_dovecot() {
  ulimit -n 20000 2>/dev/null || true
  dovecot -c "$DIR/dovecot/dovecot-anchor-tuned.conf"
  sleep 1
}

stop_dovecot() {
  local pidf=$DIR/dovecot/run/master.pid
  [ -s "$pidf" ] || return 0
  local pid; pid=$(cat "$pidf")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
}

cleanup() { stop_infostore; stop_dovecot; }
trap cleanup EXIT INT TERM

# imaptest's totals row divided by the run's seconds
stress_rate() {
  awk -v secs="$SECS" '/^Totals:/ {t=1; next} t && /^ *[0-9]/ && !/%/ {s=0; for (i=1;i<=NF;i++) s+=$i; printf "%.0f", s/secs; exit}' "$1"
}

# One LOGIN per user first: infostore hashes passwords with Argon2id (slow
# on purpose) and caches a successful login; Dovecot's anchor keeps them in
# plain text. Without this the first seconds measure password hashing.
warm_logins() {
  python3 - "$@" <<'PY'
import socket, sys
port, fmt = int(sys.argv[1]), sys.argv[2]
for i in range(1, 51):
    s = socket.create_connection(("127.0.0.1", port), 30)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"a LOGIN %s benchpass\r\nb LOGOUT\r\n" % (fmt % i).encode())
    while not f.readline().startswith(b"b "):
        pass
    s.close()
PY
}

run_stress() {
  warm_logins "$I_PORT" "bench%d@example.test"
  warm_logins "$D_PORT" "bench%d"
  for c in $CLIENTS; do
    for mode in plain tls; do
      for server in dovecot infostore; do
        local port user ssl=""
        if [ "$server" = dovecot ]; then
          user="bench%d"; port=$D_PORT; [ $mode = tls ] && port=$D_TLS
        else
          user="bench%d@example.test"; port=$I_PORT; [ $mode = tls ] && port=$I_TLS
        fi
        [ $mode = tls ] && ssl="ssl=any-cert"
        quiet
        local out="$DIR/stress-$server-$mode-c$c.txt"
        timeout --signal=INT --kill-after=10 $((SECS + 60)) "$IMAPTEST" host=127.0.0.1 \
            port="$port" $ssl user="$user" users=1-40 pass=benchpass mbox="$MBOX" \
            clients="$c" secs="$SECS" seed=42 > "$out" 2>&1 || true
        echo "stress_${server}_${mode}_c${c}: $(stress_rate "$out") cmd/s" \
             "($(grep -c '^Error' "$out" || true) imaptest errors)"
      done
    done
  done
}

run_bigbox() {
  # the same mbox into one user on each server, BIGBOX_COPIES times
  # (10 makes the 100,000-message mailbox): LMTP for Dovecot, so that its
  # index is built at delivery; MULTIAPPEND for infostore
  local copies=${BIGBOX_COPIES:-1}
  python3 "$BENCH/bench_lmtp.py" --port "$D_LMTP" --user bench42 --mbox "$MBOX" \
      --count $((10000 * copies)) --senders 4 --max-seconds 3000 | tail -1
  python3 "$HERE/load_mbox.py" --port "$I_PORT" --user bench42@example.test \
      --password benchpass --copies "$copies" "$MBOX" | tail -1
  quiet
  python3 "$BENCH/bench_imap_bigbox.py" --port "$D_PORT" --user bench42 \
      --password benchpass --passes 4 --client raw --label dovecot | tail -1
  quiet
  python3 "$BENCH/bench_imap_bigbox.py" --port "$I_PORT" --user bench42@example.test \
      --password benchpass --passes 4 --client raw --label infostore | tail -1
}

run_idle() {
  quiet
  # Dovecot may not hold them all (it did not at 5,000 in its tuned
  # setup): report what it did and go on to infostore
  python3 "$BENCH/bench_idle_mem.py" --port "$D_TLS" --tls --user-template "bench%d" \
      --users 1-40 --password benchpass --connections "$IDLE_CONNS" --workers 8 \
      --hold 10 --pidfile "$DIR/dovecot/run/master.pid" --label dovecot | tail -1 || true
  quiet
  python3 "$BENCH/bench_idle_mem.py" --port "$I_TLS" --tls \
      --user-template "bench%d@example.test" --users 1-40 --password benchpass \
      --connections "$IDLE_CONNS" --workers 8 --hold 10 \
      --pids "$(cat "$DIR/infostore/server.pid")" --label infostore | tail -1
}

mkdir -p "$DIR"
setup_infostore
setup_dovecot
start_dovecot
start_infostore
case "$WHAT" in
  stress) run_stress ;;
  bigbox) run_bigbox ;;
  idle) run_idle ;;
  all) run_stress; run_bigbox; run_idle ;;
  *) echo "usage: $0 [stress|bigbox|idle|all]" >&2; exit 2 ;;
esac
