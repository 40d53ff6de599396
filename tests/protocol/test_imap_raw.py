"""(No tests here.) A minimal IMAP client for tests that need to see the exact bytes:
pipelining, literals, untagged responses in order, STARTTLS injection.

    r = RawImap(srv, tls=True, login="alice@example.test")
    untagged, tagged = r.cmd("FETCH 1 (FLAGS)")
"""
import re
import socket
import time

from infostore_harness import client_tls_context

LITERAL_RE = re.compile(rb"\{(\d+)\+?\}\r\n$")


class RawImap:
    def __init__(self, srv, tls=True, login=None, password=None, timeout=30):
        port = srv.ports["imaps" if tls else "imap"]
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            sock = client_tls_context().wrap_socket(sock)
        self.srv = srv
        self.sock = sock
        self.buf = b""
        self.tagno = 0
        self.greeting = self.readline()
        if login:
            _, tagged = self.cmd('LOGIN "%s" "%s"' % (login, password or srv.users[login]))
            assert b" OK " in tagged, tagged

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed; buffered: %r" % self.buf[:200])
        self.buf += chunk

    def readline(self):
        """One response line with CRLF, literals included in place."""
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            line, self.buf = self.buf.split(b"\r\n", 1)
            line += b"\r\n"
            out += line
            m = LITERAL_RE.search(line)
            if not m:
                return out
            n = int(m.group(1))
            while len(self.buf) < n:
                self._fill()
            out += self.buf[:n]
            self.buf = self.buf[n:]

    def read_until_tagged(self, tag):
        untagged = []
        while True:
            line = self.readline()
            if line.startswith(tag.encode() + b" "):
                return untagged, line
            untagged.append(line)

    def next_tag(self):
        self.tagno += 1
        return "t%d" % self.tagno

    def cmd(self, command, tag=None):
        tag = tag or self.next_tag()
        self.send("%s %s\r\n" % (tag, command))
        return self.read_until_tagged(tag)

    def wait_for(self, pattern, timeout=5.0):
        """Read lines until one matches pattern (bytes regex); return it."""
        deadline = time.time() + timeout
        self.sock.settimeout(0.2)
        try:
            while time.time() < deadline:
                try:
                    line = self.readline()
                except socket.timeout:
                    continue
                if re.search(pattern, line):
                    return line
        finally:
            self.sock.settimeout(30)
        raise AssertionError("no line matching %r within %.1fs" % (pattern, timeout))

    def append_many(self, mailbox, messages, flags=None):
        """Pipelined APPENDs with LITERAL+; returns the tagged lines."""
        tags = []
        out = []
        for msg in messages:
            tag = self.next_tag()
            tags.append(tag)
            opt = (" (%s)" % flags) if flags else ""
            out.append(b"%s APPEND %s%s {%d+}\r\n%s\r\n" % (
                tag.encode(), mailbox.encode(), opt.encode(), len(msg), msg))
            if len(out) >= 50:
                self.send(b"".join(out))
                out = []
        if out:
            self.send(b"".join(out))
        results = []
        for tag in tags:
            _, tagged = self.read_until_tagged(tag)
            results.append(tagged)
        return results

    def append_multi(self, mailbox, messages):
        """One MULTIAPPEND (RFC 3502) command: one index commit for all."""
        tag = self.next_tag()
        parts = [b"%s APPEND %s" % (tag.encode(), mailbox.encode())]
        for msg in messages:
            parts.append(b" {%d+}\r\n%s" % (len(msg), msg))
        parts.append(b"\r\n")
        self.send(b"".join(parts))
        return self.read_until_tagged(tag)[1]
