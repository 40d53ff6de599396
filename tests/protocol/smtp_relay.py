"""A fake SMTP relay for tests of the outbound queue: it listens on
loopback, records every session (EHLO name, STARTTLS, MAIL, RCPTs with the
reply given, DATA) and answers as told per sender and per recipient."""
import re
import socket
import ssl
import threading
import time

from infostore_harness import cert_files


class Relay:
    """An SMTP relay on loopback that records every session.

    rcpt_replies: address -> replies for successive attempts (the last one
    repeats); data_replies: the same for the reply to the end of DATA,
    chosen by the session's first accepted recipient ("HOLD": no reply
    until release is set, then the connection closes); mail_replies:
    sender -> reply to MAIL FROM. Everything else is accepted. STARTTLS
    is offered when tls is set."""

    def __init__(self, tls=True, rcpt_replies=None, mail_replies=None, data_replies=None):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.rcpt_replies = {k: list(v) for k, v in (rcpt_replies or {}).items()}
        self.data_replies = {k: list(v) for k, v in (data_replies or {}).items()}
        self.mail_replies = dict(mail_replies or {})
        self.tls = None
        if tls:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(*cert_files())
        self.release = threading.Event()
        self.sessions = []
        self.cond = threading.Condition()
        threading.Thread(target=self.serve, daemon=True).start()

    def close(self):
        self.sock.close()

    @property
    def messages(self):
        """(sender, [recipients], data) of every message received so far."""
        with self.cond:
            return [(s["mail"], [r for r, code in s["rcpts"] if code < 300], s["data"])
                    for s in self.sessions if s.get("data") is not None]

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    @staticmethod
    def next_reply(table, key, default):
        replies = table.get(key)
        if not replies:
            return default
        return replies.pop(0) if len(replies) > 1 else replies[0]

    def rcpt_reply(self, address):
        return self.next_reply(self.rcpt_replies, address, "250 2.1.5 Ok")

    def session(self, conn):
        s = {"tls": False, "helo": None, "mail": None, "rcpts": [], "data": None,
             "data_reply": None}
        with self.cond:
            self.sessions.append(s)
        conn.settimeout(30)
        f = conn.makefile("rwb")

        def reply(text):
            f.write(text.encode() + b"\r\n")
            f.flush()

        try:
            reply("220 relay.test ESMTP fake")
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.rstrip(b"\r\n").decode("utf-8", "replace")
                verb = cmd[:4].upper()
                if verb == "EHLO":
                    s["helo"] = cmd[5:]
                    caps = ["relay.test", "PIPELINING", "SIZE 10240000", "8BITMIME"]
                    if self.tls and not s["tls"]:
                        caps.append("STARTTLS")
                    reply("\r\n".join("250-" + c for c in caps[:-1]) + "\r\n250 " + caps[-1])
                elif cmd.upper() == "STARTTLS" and self.tls and not s["tls"]:
                    reply("220 2.0.0 Ready to start TLS")
                    conn = self.tls.wrap_socket(conn, server_side=True)
                    f = conn.makefile("rwb")
                    s["tls"] = True
                elif verb == "MAIL":
                    s["mail"] = re.search(r"<([^>]*)>", cmd).group(1)
                    reply(self.mail_replies.get(s["mail"], "250 2.1.0 Ok"))
                elif verb == "RCPT":
                    addr = re.search(r"<([^>]*)>", cmd).group(1)
                    r = self.rcpt_reply(addr)
                    s["rcpts"].append((addr, int(r[:3])))
                    reply(r)
                elif verb == "DATA":
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    data = b""
                    while True:
                        l = f.readline()
                        if l == b".\r\n" or not l:
                            break
                        data += l[1:] if l.startswith(b".") else l
                    accepted = [r for r, code in s["rcpts"] if code < 300]
                    with self.cond:
                        r = self.next_reply(self.data_replies, accepted[0] if accepted
                                            else None, "250 2.0.0 Ok: queued as FAKE")
                        s["data"] = data
                        s["data_reply"] = None if r == "HOLD" else int(r[:3])
                        self.cond.notify_all()
                    if r == "HOLD":
                        self.release.wait(120)
                        return
                    reply(r)
                elif verb == "QUIT":
                    reply("221 2.0.0 Bye")
                    return
                else:
                    reply("250 2.0.0 Ok")
        except (OSError, ssl.SSLError):
            return
        finally:
            with self.cond:
                s["closed"] = True
                self.cond.notify_all()
            conn.close()

    def wait(self, predicate, timeout=30):
        """Wait until predicate(sessions) holds; return the sessions."""
        deadline = time.time() + timeout
        with self.cond:
            while not predicate(self.sessions):
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("relay: condition not met; sessions: %r" % (
                        self.sessions,))
                self.cond.wait(left)
            return list(self.sessions)
