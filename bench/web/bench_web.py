#!/usr/bin/env python3
"""Web access benchmark: requests per second and median latency of the
item page (a meeting request), of message list pages (50 rows of a
10,000-message INBOX) and of the calendar's views over a calendar of
5,000 events (a year of them, about 14 a day), over HTTPS with keep-alive,
logged in, with wrk.

    python3 bench/web/bench_web.py [--bin build-release/src/cli/infostore]
                                   [--duration 10] [--connections 8] [--threads 2]

Starts its own server on loopback with a temporary store; prints a
Markdown table row per page. Bounded: each wrk run lasts --duration s.
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "protocol"))


def add_calendar_year(srv, user, count):
    """count one-hour events over the year from now, straight into the
    store in one transaction (as add_cal_item() does one)."""
    import sqlite3
    now = int(time.time())
    user_id = srv.sql("SELECT id FROM users WHERE address = ?", (user,))[0][0]
    rows = []
    for i in range(count):
        start = now - 86400 * 30 + i * (86400 * 365 // count)
        uid = "bench-%d@example.test" % i
        ical = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"
                "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20261124T090000Z\r\n"
                "DTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Event %d\r\n"
                "ORGANIZER:mailto:bob@example.test\r\n"
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:%s\r\nEND:VEVENT\r\n"
                "END:VCALENDAR\r\n") % (
                    uid, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start)),
                    time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start + 3600)), i, user)
        rows.append((user_id, uid, start, start + 3600, "Event %d" % i,
                     "bob@example.test", ical, os.urandom(24).hex(), now, now))
    db = sqlite3.connect(os.path.join(srv.data_dir, "index.db"), timeout=30)
    with db:
        db.executemany(
            "INSERT INTO cal_items (user_id, uid, sequence, dtstart, dtend, all_day,"
            " summary, location, organizer, status, partstat, ical, token, source,"
            " created, updated) VALUES (?, ?, 0, ?, ?, 0, ?, 'Room 1', ?, 'CONFIRMED',"
            " 'ACCEPTED', ?, ?, 'bench', ?, ?)", rows)
    db.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build-release", "src", "cli", "infostore"))
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    os.environ["INFOSTORE_BIN"] = os.path.abspath(args.bin)

    import infostore_harness  # noqa: E402  (reads INFOSTORE_BIN)
    infostore_harness.BIN = os.environ["INFOSTORE_BIN"]
    from test_web import ALICE, ALICE_PW, WebClient, add_cal_item  # noqa: E402
    from test_web_mail import WebBigFolderTest  # noqa: E402

    WebBigFolderTest.setUpClass()   # 10,000 messages in alice's INBOX, server started
    srv = WebBigFolderTest.srv
    try:
        token = add_cal_item(srv, ALICE, summary="Benchmark meeting")
        add_calendar_year(srv, ALICE, 5000)
        c = WebClient(srv.ports["https"])
        assert c.login(ALICE, ALICE_PW).status == 303
        cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items())
        base = "https://127.0.0.1:%d" % srv.ports["https"]
        pages = [("item page /item/TOKEN", "/item/" + token),
                 ("message list, newest 50 of 10,000", "/mail/%d" % WebBigFolderTest.mb),
                 ("message list, page at UID 5,000", "/mail/%d?before=5000" % WebBigFolderTest.mb),
                 ("calendar agenda, 5,000 events", "/calendar"),
                 ("calendar day view", "/calendar/day"),
                 ("calendar week view", "/calendar/week"),
                 ("calendar month view", "/calendar/month")]
        for _, path in pages:
            r = c.get(path)
            assert r.status == 200, (path, r.status)
        c.close()
        print("| page | requests/s | median latency | 99th percentile |")
        print("|---|---|---|---|")
        for name, path in pages:
            out = subprocess.run(
                ["wrk", "-t%d" % args.threads, "-c%d" % args.connections,
                 "-d%ds" % args.duration, "--latency", "-H", "Cookie: " + cookie,
                 base + path], capture_output=True, text=True, timeout=args.duration + 60).stdout
            rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
            p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
            p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            if errors:
                print("wrk: %s non-2xx responses on %s" % (errors.group(1), path), file=sys.stderr)
            print("| %s | %s | %s | %s |" % (name, rps, p50, p99), flush=True)
    finally:
        WebBigFolderTest.tearDownClass()


if __name__ == "__main__":
    main()
