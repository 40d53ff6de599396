"""The HTTP/1.1 framing under the web access and DAV (src/lib-http,
src/web/web-http.c), over raw sockets: methods outside GET/POST reach the
handlers, keep-alive and pipelining, Expect: 100-continue, chunked
bodies, and the limits (413, 431, 400 for a smuggling attempt)."""
import socket
import ssl
import unittest

from infostore_harness import SharedServerTest, client_tls_context


def read_response(f):
    """(status, headers dict, body) of one response from a file object."""
    line = f.readline()
    if not line:
        return None, {}, b""
    status = int(line.split()[1])
    headers = {}
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    body = b""
    if "content-length" in headers:
        body = f.read(int(headers["content-length"]))
    return status, headers, body


class HttpFramingTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("https",)}

    def connect(self):
        raw = socket.create_connection(("127.0.0.1", self.srv.ports["https"]), timeout=30)
        s = client_tls_context().wrap_socket(raw, server_hostname="localhost")
        self.addCleanup(s.close)
        return s, s.makefile("rb")

    def test_dav_methods_reach_the_server(self):
        s, f = self.connect()
        for method in ("PROPFIND", "REPORT", "MKCALENDAR", "PROPPATCH"):
            s.sendall(("%s /dav/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                       % method).encode())
            status, headers, _ = read_response(f)
            # DAV answers (no credentials) instead of the framing refusing
            self.assertEqual(status, 401, method)
            self.assertIn("basic", headers.get("www-authenticate", "").lower())

    def test_pipelined_keep_alive(self):
        s, f = self.connect()
        s.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"OPTIONS /login HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"HEAD /login HTTP/1.1\r\nHost: x\r\n\r\n")
        st1, h1, b1 = read_response(f)
        st2, h2, _ = read_response(f)
        self.assertEqual(st1, 200)
        self.assertIn(b"password", b1)
        self.assertEqual(st2, 405)
        self.assertEqual(h2.get("allow"), "GET, HEAD, POST")
        # HEAD: the GET's length, no body (the next read is the next answer)
        line = f.readline()
        self.assertIn(b" 200 ", line)
        headers = {}
        while True:
            h = f.readline()
            if h == b"\r\n":
                break
            k, _, v = h.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        self.assertEqual(int(headers["content-length"]), len(b1))
        s.sendall(b"GET /favicon.svg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, headers, _ = read_response(f)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("connection"), "close")
        self.assertEqual(f.read(), b"")

    def test_expect_continue_and_chunked(self):
        s, f = self.connect()
        body = b"username=a%40b&password=" + b"x" * 2000
        s.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body))
        self.assertIn(b" 100 ", f.readline())
        self.assertEqual(f.readline(), b"\r\n")
        s.sendall(body)
        status, _, _ = read_response(f)
        self.assertIn(status, (403, 400))  # a refused login, answered
        chunks = b"5\r\nuser=\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n"
        s.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" + chunks)
        status, _, _ = read_response(f)
        self.assertEqual(status, 400)  # read whole: no username/password given

    def test_limits(self):
        s, f = self.connect()
        s.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
        status, headers, _ = read_response(f)
        self.assertEqual(status, 413)
        s, f = self.connect()
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        self.assertEqual(read_response(f)[0], 431)
        s, f = self.connect()
        s.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        self.assertEqual(read_response(f)[0], 400)  # RFC 9112 6.3: no smuggling
        s, f = self.connect()
        s.sendall(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n")
        self.assertEqual(read_response(f)[0], 505)


if __name__ == "__main__":
    unittest.main()
