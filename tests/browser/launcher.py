#!/usr/bin/env python3
"""Server launcher for the browser tests: reuses the integration tests'
harness (tests/protocol/infostore_harness.py) and takes commands as JSON
lines on stdin, answering one JSON line each on stdout.

  {"cmd": "start", "listeners": [...], "conf": {...}}   -> ports
      conf values may name ports as {https}, {http}, {redirect}, {imaps}
  {"cmd": "deliver", "rcpt": ..., "message": ..., "sender": ...}
  {"cmd": "organizer_item", "user": ..., "password": ..., "ics": ...}
      the organizer's own item, by CalDAV (SCHEDULE-AGENT=CLIENT: the
      test delivers the request itself)
  {"cmd": "imap_link", "user": ..., "timeout": 30}  -> the /item/ link of
      the newest meeting request in INBOX, fetched over IMAPS
  {"cmd": "inbox_subjects", "user": ...}  -> subjects in INBOX (CLI fetch)
  {"cmd": "cli", "args": [...]}          -> rc, stdout, stderr
  {"cmd": "stop"}
"""
import email
import email.header
import email.policy
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "protocol"))

from infostore_harness import InfostoreServer  # noqa: E402
from test_imip_util import organizer_item_by_dav  # noqa: E402

LINK_RE = re.compile(rb"(https?://[A-Za-z0-9.\-:\[\]]+/item/[A-Za-z0-9_\-]{16,})")

srv = None


def decode_subject(raw):
    parts = email.header.decode_header(raw)
    return "".join(p.decode(c or "utf-8", "replace") if isinstance(p, bytes) else p
                   for p, c in parts)


def imap_link(user, timeout):
    """Poll INBOX over IMAPS until a message carries an item link."""
    deadline = time.time() + timeout
    last_error = "no message with a link"
    while time.time() < deadline:
        try:
            c = srv.imap(tls=True, login=user)
            try:
                typ, data = c.select("INBOX")
                typ, data = c.search(None, "ALL")
                nums = data[0].split()
                for num in reversed(nums):
                    typ, msg = c.fetch(num, "(BODY.PEEK[])")
                    raw = msg[0][1]
                    # the link may be folded by quoted-printable: decode parts
                    parsed = email.message_from_bytes(raw, policy=email.policy.default)
                    texts = [raw]
                    for part in parsed.walk():
                        if part.get_content_maintype() == "text":
                            payload = part.get_payload(decode=True)
                            if payload:
                                texts.append(payload)
                    for t in texts:
                        m = LINK_RE.search(t)
                        if m:
                            return m.group(1).decode()
            finally:
                try:
                    c.logout()
                except Exception:
                    pass
        except Exception as e:  # IMAP not up yet, or no message yet
            last_error = repr(e)
        time.sleep(0.2)
    raise RuntimeError("no meeting-request link over IMAPS for %s: %s" % (user, last_error))


def inbox_subjects(user):
    proc = srv.cli("mailbox", "list", user, check=True)
    uidnext = None
    for line in proc.stdout.decode().splitlines():
        cols = line.split("\t")
        if cols[0] == "INBOX":
            uidnext = int(cols[4])
    subjects = []
    for uid in range(1, (uidnext or 1)):
        p = srv.cli("fetch", user, "INBOX", str(uid))
        if p.returncode != 0:
            continue
        msg = email.message_from_bytes(p.stdout)
        subjects.append(decode_subject(msg.get("Subject", "")))
    return subjects


def fill_ports(value):
    if isinstance(value, dict):
        return {k: fill_ports(v) for k, v in value.items()}
    if isinstance(value, str):
        for name, port in srv.ports.items():
            value = value.replace("{%s}" % name, str(port))
    return value


def handle(req):
    global srv
    cmd = req["cmd"]
    if cmd == "start":
        srv = InfostoreServer(listeners=req["listeners"])
        srv.extra_conf = fill_ports(req.get("conf") or {})
        srv.write_conf()
        srv.start()
        return {"ports": srv.ports, "dir": srv.dir}
    if cmd == "deliver":
        srv.deliver(req["rcpt"], req["message"], sender=req.get("sender"))
        return {}
    if cmd == "organizer_item":
        organizer_item_by_dav(srv, req["user"], req["password"], req["ics"])
        return {}
    if cmd == "imap_link":
        return {"link": imap_link(req["user"], req.get("timeout", 30))}
    if cmd == "inbox_subjects":
        return {"subjects": inbox_subjects(req["user"])}
    if cmd == "cli":
        p = srv.cli(*req["args"])
        return {"rc": p.returncode, "stdout": p.stdout.decode(errors="replace"),
                "stderr": p.stderr.decode(errors="replace")}
    if cmd == "log":
        return {"log": srv.read_log()}
    if cmd == "stop":
        if srv is not None:
            try:
                srv.stop()
            finally:
                srv.cleanup()
                srv = None
        return {}
    raise ValueError("unknown command " + cmd)


def main():
    for line in sys.stdin:
        req = json.loads(line)
        try:
            reply = {"ok": True}
            reply.update(handle(req))
        except Exception as e:  # reported to the test, which fails
            reply = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    if srv is not None:
        srv.cleanup()


if __name__ == "__main__":
    main()
