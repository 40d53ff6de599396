#!/usr/bin/env python3
"""CalDAV benchmark: one client (Python's http.client, keep-alive, stdlib
only) for any CalDAV server on loopback; run against infostore, Cyrus IMAP
3.6 and Radicale 3.1 by bench/dav/run.sh.

    bench/dav/bench_dav.py --server NAME --url CALENDAR_URL --user U --password P
        [--events 10000] [--runs 3] [--repeat 3] [--before-run CMD]
        [--pidfile FILE] [--quiet] [--json OUT] [--max-seconds 5400]

Each run, on an empty calendar (CALENDAR_URL; made with MKCALENDAR when it
does not exist; --before-run CMD, e.g. `setup.sh fresh infostore`, gives
every run a fresh server):

  1. put        PUT of --events new events, If-None-Match: *, one at a time
                (90% single events spread over 2027, 10% weekly recurring:
                half with COUNT=52, half without end), deterministic
  2. sync_full  REPORT sync-collection, empty token, getetag
     propfind   PROPFIND Depth: 1, getetag (what Evolution does)
  3. put10      PUT of 10 modified events (If-Match: the ETag just synced)
     sync_incr  REPORT sync-collection with the token from step 2
  4. query      REPORT calendar-query, time-range over March 2027, getetag +
                calendar-data with <C:expand> (recurring events expanded
                by the server)
  5. memory     VmRSS and PSS of the server's processes (--pidfile and its
                descendants) after the run

The read requests (2, sync_incr, 4) are made --repeat times per run and the
run's figure is their median. Every answer is checked: the number of
hrefs (10,000; 10 changed; the events of March computed here) and, for
the query, how many VEVENTs come back (expanded instances or not).

Loopback only; every loop is bounded by a count and by --max-seconds.
Prints `name: value unit` lines and one SUMMARY line; --json writes every
figure for run.sh.
"""
import argparse
import base64
import datetime as dt
import http.client
import json
import os
import random
import socket
import ssl
import statistics
import subprocess
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("BENCH", os.path.normpath(os.path.join(ROOT, "..", "shared", "bench")))
sys.path.insert(0, SHARED)
import benchlib  # noqa: E402  (loopback guard, /proc memory, report lines)

DAV = "{DAV:}"
CAL = "{urn:ietf:params:xml:ns:caldav}"
YEAR = 2027
MONTH_START = dt.datetime(YEAR, 3, 1, tzinfo=dt.timezone.utc)
MONTH_END = dt.datetime(YEAR, 4, 1, tzinfo=dt.timezone.utc)
WORDS = ("review planning sync standup lunch budget roadmap design retro demo "
         "interview training workshop call offsite onboarding hiring audit").split()


# ---------------------------------------------------------------- events
def ical_time(t):
    return t.strftime("%Y%m%dT%H%M%SZ")


class Event:
    def __init__(self, i, rng):
        self.uid = "bench-%05d-%08x@example.test" % (i, rng.getrandbits(32))
        self.href = self.uid.replace("@", "-") + ".ics"
        day = rng.randrange(365)
        minute = rng.randrange(8 * 4, 18 * 4) * 15
        self.start = (dt.datetime(YEAR, 1, 1, tzinfo=dt.timezone.utc)
                      + dt.timedelta(days=day, minutes=minute))
        self.length = dt.timedelta(minutes=rng.choice((30, 60, 60, 90)))
        self.recurring = (i % 10 == 9)              # 10%
        self.count = 52 if (i % 20 == 9) else None   # half of them end
        self.summary = "%s %s %d" % (rng.choice(WORDS).title(), rng.choice(WORDS), i)
        self.location = "Room %d" % rng.randrange(1, 40)
        self.description = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 30)))
        self.sequence = 0

    def body(self, stamp):
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//infostore//bench_dav//EN",
                 "CALSCALE:GREGORIAN", "BEGIN:VEVENT",
                 "UID:" + self.uid, "DTSTAMP:" + ical_time(stamp),
                 "DTSTART:" + ical_time(self.start),
                 "DTEND:" + ical_time(self.start + self.length),
                 "SUMMARY:" + self.summary, "LOCATION:" + self.location,
                 "DESCRIPTION:" + self.description, "SEQUENCE:%d" % self.sequence,
                 "TRANSP:OPAQUE"]
        if self.recurring:
            lines.append("RRULE:FREQ=WEEKLY" + (";COUNT=%d" % self.count if self.count else ""))
        lines += ["END:VEVENT", "END:VCALENDAR", ""]
        # fold lines longer than 75 octets (DESCRIPTION can be)
        out = []
        for line in lines:
            b = line.encode()
            while len(b) > 75:
                cut = 75
                out.append(b[:cut])
                b = b" " + b[cut:]
            out.append(b)
        return b"\r\n".join(out)

    def instances_in(self, lo, hi):
        """Instances overlapping [lo, hi)."""
        n = 0
        k_max = self.count if self.recurring and self.count else (10**6 if self.recurring else 1)
        k = 0
        if self.recurring and self.start + self.length <= lo:
            k = max(0, (lo - self.start - self.length).days // 7)
        while k < k_max:
            s = self.start + dt.timedelta(weeks=k)
            if s >= hi:
                break
            if s + self.length > lo:
                n += 1
            k += 1
        return n


def make_events(n, seed):
    rng = random.Random(seed)
    return [Event(i, rng) for i in range(n)]


# ---------------------------------------------------------------- client
class Client:
    """One keep-alive connection (http.client reconnects by itself if the
    server closes; connections counts how many were opened)."""

    def __init__(self, url, user, password, timeout):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https"):
            sys.exit("--url must be http: or https:")
        benchlib.require_loopback(u.hostname)
        self.host, self.port, self.scheme = u.hostname, u.port or (443 if u.scheme == "https" else 80), u.scheme
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.timeout = timeout
        self.connections = 0
        self.bytes_in = 0
        self.conn = None
        self.ctx = ssl._create_unverified_context() if u.scheme == "https" else None

    def _new_conn(self):
        client = self

        if self.scheme == "https":
            base = http.client.HTTPSConnection
        else:
            base = http.client.HTTPConnection

        class Counted(base):
            def connect(self):
                client.connections += 1
                super().connect()
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        if self.scheme == "https":
            return Counted(self.host, self.port, timeout=self.timeout, context=self.ctx)
        return Counted(self.host, self.port, timeout=self.timeout)

    def request(self, method, path, body=None, headers=None):
        h = {"Authorization": self.auth}
        if headers:
            h.update(headers)
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = self._new_conn()
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the server closed an idle keep-alive connection: once more
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        self.bytes_in += len(data)
        if r.will_close:
            self.conn.close()
            self.conn = None
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


def xml_body(s):
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + s).encode()


PROPFIND_ETAG = xml_body('<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>')


def sync_body(token):
    tok = "<D:sync-token>%s</D:sync-token>" % token if token else "<D:sync-token/>"
    return xml_body('<D:sync-collection xmlns:D="DAV:">%s<D:sync-level>1</D:sync-level>'
                    '<D:prop><D:getetag/></D:prop></D:sync-collection>' % tok)


def query_body(lo, hi):
    a, b = ical_time(lo), ical_time(hi)
    return xml_body(
        '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        '<D:prop><D:getetag/><C:calendar-data><C:expand start="%s" end="%s"/></C:calendar-data></D:prop>'
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        '<C:time-range start="%s" end="%s"/></C:comp-filter></C:comp-filter></C:filter>'
        '</C:calendar-query>' % (a, b, a, b))


def href_key(href):
    return urllib.parse.unquote(href.rstrip("/").rsplit("/", 1)[-1])


def parse_multistatus(data):
    """-> (items {name: (status, etag, calendar-data)}, sync-token)"""
    root = ET.fromstring(data)
    items = {}
    for resp in root.iter(DAV + "response"):
        href = resp.findtext(DAV + "href") or ""
        status = resp.findtext(DAV + "status")
        etag = cdata = None
        for ps in resp.findall(DAV + "propstat"):
            st = ps.findtext(DAV + "status") or ""
            if " 200 " not in st:
                continue
            status = status or st
            prop = ps.find(DAV + "prop")
            if prop is None:
                continue
            etag = prop.findtext(DAV + "getetag") or etag
            cd = prop.find(CAL + "calendar-data")
            if cd is not None:
                cdata = cd.text or ""
        items[href_key(href)] = (status or "", etag, cdata)
    return items, root.findtext(DAV + "sync-token")


class Failed(Exception):
    pass


def expect(status, ok, what, data=b""):
    if status not in ok:
        raise Failed("%s: HTTP %d %s" % (what, status, data[:300].decode(errors="replace")))


# ---------------------------------------------------------------- one run
def one_run(a, events, rep, run_no, deadline):
    c = Client(a.url, a.user, a.password, timeout=a.request_timeout)
    path = urllib.parse.urlsplit(a.url).path
    if not path.endswith("/"):
        path += "/"
    res = {"run": run_no}

    # the calendar: empty, or made now
    st, _, data = c.request("PROPFIND", path, PROPFIND_ETAG,
                            {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    if st == 404:
        st, _, data = c.request("MKCALENDAR", path, xml_body(
            '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
            '<D:displayname>bench</D:displayname></D:prop></D:set></C:mkcalendar>'),
            {"Content-Type": "application/xml; charset=utf-8"})
        expect(st, (201,), "MKCALENDAR " + path, data)
    else:
        expect(st, (207,), "PROPFIND " + path, data)
        items, _ = parse_multistatus(data)
        n = sum(1 for k in items if k.endswith(".ics"))
        if n:
            raise Failed("%s is not empty (%d items): give every run a fresh server "
                         "(--before-run) or an empty calendar" % (path, n))

    # 1. PUT
    stamp = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    bodies = [e.body(stamp) for e in events]
    lat = []
    t0 = time.perf_counter()
    for e, b in zip(events, bodies):
        if deadline.expired():
            raise Failed("--max-seconds reached during the PUTs (%d done)" % len(lat))
        t = time.perf_counter()
        st, _, data = c.request("PUT", path + e.href, b,
                                {"Content-Type": "text/calendar; charset=utf-8",
                                 "If-None-Match": "*"})
        lat.append(time.perf_counter() - t)
        expect(st, (201, 204), "PUT " + e.href, data)
    put_s = time.perf_counter() - t0
    res.update(put_s=put_s, put_per_s=len(events) / put_s,
               put_p50_ms=1000 * benchlib.pct(lat, 50), put_p99_ms=1000 * benchlib.pct(lat, 99),
               put_first1000_per_s=min(1000, len(lat)) / sum(lat[:1000]),
               put_last1000_per_s=min(1000, len(lat)) / sum(lat[-1000:]),
               put_bytes=sum(len(b) for b in bodies))
    rep.put("run%d_put_events_per_s" % run_no, round(res["put_per_s"], 1), "/s")
    rep.put("run%d_put_total" % run_no, round(put_s, 2), "s")
    rep.put("run%d_put_p50" % run_no, round(res["put_p50_ms"], 2), "ms")
    rep.put("run%d_put_p99" % run_no, round(res["put_p99_ms"], 2), "ms")
    rep.put("run%d_put_first_1000_per_s" % run_no, round(res["put_first1000_per_s"], 1), "/s")
    rep.put("run%d_put_last_1000_per_s" % run_no, round(res["put_last1000_per_s"], 1), "/s")

    def timed(method, body, headers, check):
        times, out = [], None
        for _ in range(a.repeat):
            if deadline.expired():
                raise Failed("--max-seconds reached")
            t = time.perf_counter()
            st, hdrs, data = c.request(method, path, body, headers)
            times.append(time.perf_counter() - t)
            expect(st, (207,), method + " " + path, data)
            out = check(data)
        return statistics.median(times), times, out, len(data)

    n = len(events)
    names = {e.href for e in events}

    # 2. full sync, PROPFIND
    def check_full(data):
        items, token = parse_multistatus(data)
        got = {k: v for k, v in items.items() if k in names}
        if len(got) != n or any(v[1] is None for v in got.values()):
            raise Failed("sync-collection: %d of %d events with an ETag" % (
                sum(1 for v in got.values() if v[1]), n))
        if not token:
            raise Failed("sync-collection: no sync-token")
        return got, token
    hdr_xml = {"Content-Type": "application/xml; charset=utf-8"}
    res["sync_full_s"], res["sync_full_all"], (etags, token), res["sync_full_bytes"] = timed(
        "REPORT", sync_body(None), dict(hdr_xml, Depth="0"), check_full)
    rep.put("run%d_sync_full" % run_no, round(res["sync_full_s"] * 1000, 1), "ms")

    def check_propfind(data):
        items, _ = parse_multistatus(data)
        got = sum(1 for k, v in items.items() if k in names and v[1])
        if got != n:
            raise Failed("PROPFIND Depth 1: %d of %d events with an ETag" % (got, n))
        return got
    res["propfind_s"], res["propfind_all"], _, res["propfind_bytes"] = timed(
        "PROPFIND", PROPFIND_ETAG, dict(hdr_xml, Depth="1"), check_propfind)
    rep.put("run%d_propfind_depth1" % run_no, round(res["propfind_s"] * 1000, 1), "ms")

    # 3. 10 changes, then the incremental sync
    changed = events[:: max(1, n // 10)][:10]
    lat = []
    for e in changed:
        e.sequence += 1
        e.summary += " (moved)"
        t = time.perf_counter()
        st, _, data = c.request("PUT", path + e.href, e.body(stamp + dt.timedelta(days=1)),
                                {"Content-Type": "text/calendar; charset=utf-8",
                                 "If-Match": etags[e.href][1]})
        lat.append(time.perf_counter() - t)
        expect(st, (200, 201, 204), "PUT (If-Match) " + e.href, data)
    res["put10_ms"] = 1000 * sum(lat)
    rep.put("run%d_put_10_changes" % run_no, round(res["put10_ms"], 1), "ms")
    want = {e.href for e in changed}

    def check_incr(data):
        items, tok = parse_multistatus(data)
        got = {k for k in items if k in names}
        if got != want:
            raise Failed("incremental sync: %d hrefs, %d of the 10 changed" % (
                len(got), len(got & want)))
        return len(got)
    res["sync_incr_s"], res["sync_incr_all"], _, res["sync_incr_bytes"] = timed(
        "REPORT", sync_body(token), dict(hdr_xml, Depth="0"), check_incr)
    rep.put("run%d_sync_incremental" % run_no, round(res["sync_incr_s"] * 1000, 2), "ms")

    # 4. calendar-query over a month, expanded
    exp_hrefs = {e.href for e in events if e.instances_in(MONTH_START, MONTH_END)}
    exp_inst = sum(e.instances_in(MONTH_START, MONTH_END) for e in events)

    def check_query(data):
        items, _ = parse_multistatus(data)
        got = {k for k, v in items.items() if k in names and v[2] is not None}
        if got != exp_hrefs:
            raise Failed("calendar-query: %d events, %d expected (%d missing, %d extra)" % (
                len(got), len(exp_hrefs), len(exp_hrefs - got), len(got - exp_hrefs)))
        vevents = sum(v[2].count("BEGIN:VEVENT") for k, v in items.items() if k in got)
        rrules = sum(v[2].count("RRULE:") for k, v in items.items() if k in got)
        return len(got), vevents, rrules
    res["query_s"], res["query_all"], (qn, qv, qr), res["query_bytes"] = timed(
        "REPORT", query_body(MONTH_START, MONTH_END), dict(hdr_xml, Depth="1"), check_query)
    res.update(query_events=qn, query_vevents=qv, query_rrules=qr,
               query_expected_instances=exp_inst,
               query_expanded=(qv == exp_inst and qr == 0))
    rep.put("run%d_calendar_query_month" % run_no, round(res["query_s"] * 1000, 1), "ms")
    rep.put("run%d_calendar_query_events" % run_no, qn, "events")
    rep.put("run%d_calendar_query_vevents" % run_no, qv,
            "VEVENTs (%d instances expected expanded; %d RRULEs returned)" % (exp_inst, qr))

    res["connections"] = c.connections
    res["bytes_in"] = c.bytes_in
    rep.put("run%d_connections_opened" % run_no, c.connections, "")
    c.close()

    # 5. memory of the server's processes
    if a.pidfile:
        pids = benchlib.server_pids(pidfile=a.pidfile)
        rss, pss, nproc = benchlib.mem_of(pids)
        res.update(rss_kb=rss, pss_kb=pss, nproc=nproc)
        rep.put("run%d_server_vmrss" % run_no, round(rss / 1024, 1), "MiB (%d processes)" % nproc)
        rep.put("run%d_server_pss" % run_no, round(pss / 1024, 1), "MiB")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="a name for the report (infostore, cyrus, radicale)")
    ap.add_argument("--url", required=True, help="the calendar collection, http(s)://127.0.0.1:PORT/...")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3, help="read requests per run (median taken)")
    ap.add_argument("--seed", type=int, default=20270301)
    ap.add_argument("--before-run", metavar="CMD", help="shell command run before each run (fresh server)")
    ap.add_argument("--pidfile", help="server pid file; memory = that process and its descendants")
    ap.add_argument("--quiet", action="store_true", help="wait for an idle machine (quiet.py) before each run")
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--request-timeout", type=float, default=600)
    ap.add_argument("--max-seconds", type=float, default=5400, help="bound of the whole invocation")
    a = ap.parse_args()
    if not (1 <= a.events <= 100000 and 1 <= a.runs <= 10 and 1 <= a.repeat <= 20):
        sys.exit("--events 1..100000, --runs 1..10, --repeat 1..20")
    benchlib.require_loopback(urllib.parse.urlsplit(a.url).hostname)
    deadline = benchlib.Deadline(min(a.max_seconds, 4 * 3600))
    rep = benchlib.Report("bench_dav", a.server)
    rep.put("events", a.events, "")
    rep.put("runs", a.runs, "")
    runs = []
    for r in range(1, a.runs + 1):
        if deadline.expired():
            print("bench_dav: --max-seconds reached before run %d" % r, file=sys.stderr)
            break
        if a.before_run:
            subprocess.run(a.before_run, shell=True, check=True, timeout=300)
        noisy = False
        if a.quiet:
            q = subprocess.run([sys.executable, os.path.join(SHARED, "quiet.py"), "--max-wait", "300"],
                               capture_output=True, text=True, timeout=400)
            print(q.stdout.strip(), flush=True)
            noisy = q.returncode != 0
        events = make_events(a.events, a.seed)
        t = time.time()
        try:
            res = one_run(a, events, rep, r, deadline)
        except Failed as e:
            print("bench_dav: %s run %d failed: %s" % (a.server, r, e), file=sys.stderr)
            rep.summary("%s FAILED in run %d: %s" % (a.server, r, e))
            if a.json:
                with open(a.json, "w") as f:
                    json.dump({"server": a.server, "events": a.events, "runs": runs,
                               "error": str(e)}, f, indent=1)
            return 1
        res["noisy"] = noisy
        res["started"] = t
        res["loadavg"] = open("/proc/loadavg").read().split()[:3]
        runs.append(res)

    def agg(key, scale=1.0):
        v = [x[key] * scale for x in runs if key in x]
        return (min(v), statistics.median(v), max(v)) if v else None
    summary = {}
    for key, name, scale, unit in (("put_per_s", "put_events_per_s", 1, "/s"),
                                   ("sync_full_s", "sync_full_ms", 1000, "ms"),
                                   ("propfind_s", "propfind_depth1_ms", 1000, "ms"),
                                   ("put10_ms", "put_10_changes_ms", 1, "ms"),
                                   ("sync_incr_s", "sync_incremental_ms", 1000, "ms"),
                                   ("query_s", "calendar_query_month_ms", 1000, "ms"),
                                   ("rss_kb", "server_vmrss_mib", 1 / 1024, "MiB"),
                                   ("pss_kb", "server_pss_mib", 1 / 1024, "MiB")):
        m = agg(key, scale)
        if m:
            summary[name] = m
            rep.put(name + "_min_median_max", "%.4g / %.4g / %.4g" % m, unit)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"server": a.server, "url": a.url, "events": a.events, "runs": runs,
                       "summary": summary}, f, indent=1)
    if runs:
        r0 = runs[-1]
        rep.summary("%s, %d events x %d runs (median): PUT %.0f/s, full sync %.0f ms, "
                    "PROPFIND %.0f ms, incremental sync %.1f ms, month query %.0f ms "
                    "(%d events, %s), PSS %.1f MiB" % (
                        a.server, a.events, len(runs), summary["put_events_per_s"][1],
                        summary["sync_full_ms"][1], summary["propfind_depth1_ms"][1],
                        summary["sync_incremental_ms"][1], summary["calendar_query_month_ms"][1],
                        r0["query_events"], "expanded" if r0["query_expanded"] else "NOT expanded",
                        summary.get("server_pss_mib", (0, 0, 0))[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
