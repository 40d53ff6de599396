#!/usr/bin/env python3
"""Print the Markdown table of bench/dav from bench_dav.py --json files.

    bench/dav/table.py infostore.json cyrus.json radicale.json

Each cell is the median of the runs with (min–max); the ratio columns say
how many times better infostore's median is than the peer's (> 1: infostore
better; for times and memory that is peer / infostore, for PUT/s it is
infostore / peer). Stdlib only.
"""
import json
import sys

ROWS = (  # key in summary, label, higher is better, format
    ("put_events_per_s", "1. PUT new events (If-None-Match: *), events/s", True, "%.0f"),
    ("sync_full_ms", "2. sync-collection, empty token, getetag, ms", False, "%.0f"),
    ("propfind_depth1_ms", "2. PROPFIND Depth: 1, getetag, ms", False, "%.0f"),
    ("put_10_changes_ms", "3. 10 PUTs of changed events (If-Match), ms in all", False, "%.1f"),
    ("sync_incremental_ms", "3. sync-collection with the token (10 changes), ms", False, "%.1f"),
    ("calendar_query_month_ms", "4. calendar-query, one month, expand, calendar-data, ms", False, "%.0f"),
    ("server_vmrss_mib", "5. server VmRSS after the run, MiB", False, "%.1f"),
    ("server_pss_mib", "5. server PSS after the run, MiB", False, "%.1f"),
)


def num(v, fmt):
    if fmt == "%.0f" and abs(v) < 10:
        fmt = "%.1f"
    return "{:,}".format(float(fmt % v)).rstrip("0").rstrip(".") if fmt == "%.0f" else fmt % v


def cell(m, fmt):
    if not m:
        return "–"
    lo, med, hi = m
    if lo == hi:
        return num(med, fmt)
    return "**%s** (%s–%s)" % (num(med, fmt), num(lo, fmt), num(hi, fmt))


def main(paths):
    res = []
    for p in paths:
        with open(p) as f:
            res.append(json.load(f))
    base = next((r for r in res if r["server"] == "infostore"), res[0])
    peers = [r for r in res if r is not base]
    head = ["", *("%s (%d run%s)" % (r["server"], len(r.get("runs", [])),
                                     "" if len(r.get("runs", [])) == 1 else "s") for r in res)]
    head += ["%s vs %s" % (base["server"], p["server"]) for p in peers]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for key, label, higher, fmt in ROWS:
        row = [label]
        for r in res:
            row.append(cell(r.get("summary", {}).get(key), fmt))
        b = base.get("summary", {}).get(key)
        for p in peers:
            m = p.get("summary", {}).get(key)
            if not b or not m or not b[1] or not m[1]:
                row.append("–")
                continue
            ratio = b[1] / m[1] if higher else m[1] / b[1]
            row.append("%.1fx" % ratio if ratio >= 1.95 else "%.2fx" % ratio)
        print("| " + " | ".join(row) + " |")
    notes = []
    for r in res:
        runs = r.get("runs", [])
        if r.get("error"):
            notes.append("%s: FAILED: %s" % (r["server"], r["error"]))
        if runs:
            x = runs[-1]
            notes.append("%s: month query returned %d events, %d VEVENTs (%s; %d instances expected), "
                         "%d RRULEs; %d connection(s) opened in the last run; %d process(es)%s" % (
                             r["server"], x["query_events"], x["query_vevents"],
                             "expanded" if x["query_expanded"] else "NOT expanded",
                             x["query_expected_instances"], x["query_rrules"], x["connections"],
                             x.get("nproc", 0),
                             "; NOISY run(s)" if any(y.get("noisy") for y in runs) else ""))
    if notes:
        print()
    for n in notes:
        print("- " + n)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
