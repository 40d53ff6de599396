#!/usr/bin/env python3
"""The markdown table of a bench/fair run: for each measurement the median
and the min–max spread of each side's runs, and infostore's ratio against
each Dovecot configuration (> 1: infostore better, whether the figure is
a rate or a time or memory).

    table.py RESULTS_DIR > table.md
"""
import json
import os
import statistics
import sys

LABELS = {
    "dovecot": "Dovecot tuned",
    "dovecot-always": "Dovecot tuned, mail_fsync=always",
    "dovecot-fts": "Dovecot tuned + fts-xapian",
    "dovecot-hibernate": "Dovecot tuned + imap_hibernate",
    "infostore-b0": "infostore before the key process",
    "infostore": "infostore",
}
ORDER = ["dovecot", "dovecot-always", "dovecot-fts", "dovecot-hibernate", "infostore-b0"]


def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    if float(v).is_integer() and a < 100000:
        return format(int(v), ",")
    if a >= 100:
        return format(round(v), ",")
    if a >= 10:
        return "%.1f" % v
    return "%.2f" % v


def cell(vals, noisy):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "—"
    med = statistics.median(vals)
    s = fmt(med)
    if len(vals) > 1:
        s += " (%s–%s)" % (fmt(min(vals)), fmt(max(vals)))
    return s + (" †" if noisy else "")


def main():
    d = sys.argv[1]
    recs = [json.loads(x) for x in open(os.path.join(d, "results.jsonl"))] \
        if os.path.exists(os.path.join(d, "results.jsonl")) else []
    rows = [json.loads(x) for x in open(os.path.join(d, "rows.jsonl"))] \
        if os.path.exists(os.path.join(d, "rows.jsonl")) else []
    meta = json.load(open(os.path.join(d, "meta.json"))) \
        if os.path.exists(os.path.join(d, "meta.json")) else {}
    metrics = []
    by = {}
    for r in recs:
        if r["metric"] not in metrics:
            metrics.append(r["metric"])
        by.setdefault((r["metric"], r["side"]), []).append(r)

    print("Run %s; %s; %s runs per side, median (min–max); ratio > 1: infostore better; "
          "† a run started on a machine that was not quiet." % (
              os.path.basename(d.rstrip("/")), meta.get("dovecot", "Dovecot"), meta.get("runs", 3)))
    print()
    print("| measurement | against | Dovecot / other | infostore | ratio |")
    print("|---|---|---:|---:|---:|")
    notes = []
    for m in metrics:
        ist = by.get((m, "infostore"), [])
        better = (ist or next(v for k, v in by.items() if k[0] == m))[0]["better"]
        ivals = [r["value"] for r in ist]
        inoisy = any(not r.get("quiet", True) for r in ist)
        for side in ORDER:
            other = by.get((m, side))
            if not other:
                continue
            ovals = [r["value"] for r in other]
            onoisy = any(not r.get("quiet", True) for r in other)
            ratio = ""
            if better != "none" and ivals and ovals and None not in ivals + ovals:
                im, om = statistics.median(ivals), statistics.median(ovals)
                if im and om:
                    ratio = "%.2fx" % (im / om if better == "higher" else om / im)
            if better == "none":
                ocell = ", ".join(fmt(v) for v in ovals)
                icell = ", ".join(fmt(v) for v in ivals) or "—"
            else:
                ocell, icell = cell(ovals, onoisy), cell(ivals, inoisy) if ivals else "—"
            print("| %s | %s | %s | %s | %s |" % (m, LABELS.get(side, side), ocell, icell, ratio))
            for r in other + ist:
                if r.get("detail"):
                    notes.append("%s, %s: %s" % (m, LABELS.get(r["side"], r["side"]), ", ".join(
                        "%s %s" % (k, v) for k, v in sorted(r["detail"].items()))))
                if r.get("hits") is not None and r["run"] == 1 and "SEARCH" in m:
                    notes.append("%s, %s: %s hits of %s messages" % (
                        m, LABELS.get(r["side"], r["side"]), r["hits"], r.get("exists")))
                if r.get("opened") is not None and "PSS" in m:
                    notes.append("%s, %s, run %s: %s opened, %s alive after the hold, "
                                 "%s server processes, MemAvailable drop %s KiB per session" % (
                                     m.split(", PSS")[0], LABELS.get(r["side"], r["side"]), r["run"],
                                     fmt(r["opened"]), fmt(r["alive"]), fmt(r.get("procs")),
                                     fmt(r.get("memavail_kib"))))
        if not any(by.get((m, s)) for s in ORDER) and ist:
            print("| %s | — | — | %s | |" % (m, cell(ivals, inoisy)))
    seen = set()
    if notes:
        print()
        for n in notes:
            if n not in seen:
                seen.add(n)
                print("- " + n)
    if rows:
        print()
        print("| row | status | seconds | uptime before | uptime after |")
        print("|---|---|---:|---|---|")
        for r in rows:
            print("| %s | %s | %s | %s | %s |" % (
                r["row"], r["status"], r.get("secs", ""),
                r.get("uptime_before", "").split("load average:")[-1].strip(),
                r.get("uptime_after", "").split("load average:")[-1].strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
