#!/bin/sh
# Big-mailbox timings for infostore, to compare with the Dovecot anchor
# (../shared/bench/ANCHOR-RESULTS.md section 5): load an mbox into one
# user's INBOX, then run ../shared/bench/bench_imap_bigbox.py against it.
#
#   INFOSTORE_BIN=build-imap-rel/src/cli/infostore MBOX=/var/tmp/bench-anchor/bench10k.mbox \
#       COPIES=1 bench/imap/run_bigbox.sh
#
# Everything lives in $DIR (default /var/tmp/infostore-bench-imap), outside
# the repository; the server listens on loopback only and is stopped at the
# end. Plain IMAP is allowed from 127.0.0.1 so that the figures compare with
# the anchor's plaintext runs.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=${BENCH:-$HERE/../../../shared/bench}
BIN=${INFOSTORE_BIN:?set INFOSTORE_BIN to a release build of infostore}
MBOX=${MBOX:?set MBOX to the mbox to load}
COPIES=${COPIES:-1}
PASSES=${PASSES:-4}
CLIENT=${CLIENT:-raw}
DIR=${DIR:-/var/tmp/infostore-bench-imap}
PORT=${PORT:-11143}
TLS_PORT=${TLS_PORT:-11993}
USER=bench42@example.test

rm -rf "$DIR"
mkdir -p "$DIR"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
    -keyout "$DIR/key.pem" -out "$DIR/cert.pem" >/dev/null 2>&1
cat > "$DIR/infostore.conf" <<CONF
[server]
hostname = localhost
data_dir = $DIR/data
tls_cert = $DIR/cert.pem
tls_key = $DIR/key.pem
plaintext_auth_from = 127.0.0.1/32
log_level = warning
[limits]
max_connections = 20000
max_connections_per_ip = 20000
[imap]
listen = 127.0.0.1:$PORT
tls_listen = 127.0.0.1:$TLS_PORT
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
echo benchpass | "$BIN" -c "$DIR/infostore.conf" user add "$USER"
"$BIN" -c "$DIR/infostore.conf" serve 2> "$DIR/server.log" &
PID=$!
echo "$PID" > "$DIR/server.pid"
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT INT TERM
for i in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null && break
    sleep 0.1
done
python3 "$HERE/load_mbox.py" --port "$PORT" --user "$USER" --password benchpass \
    --copies "$COPIES" "$MBOX"
python3 "$BENCH/bench_imap_bigbox.py" --port "$PORT" --user "$USER" --password benchpass \
    --passes "$PASSES" --client "$CLIENT"
