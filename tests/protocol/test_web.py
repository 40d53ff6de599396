"""The web access over HTTPS (and plain HTTP, and the redirect listener)
with Python's http.client and curl: login, sessions and their cookies,
CSRF, item links, the mail pages and HTML sanitising."""
import html
import http.client
import os
import re
import subprocess
import time
import unittest
import urllib.parse

from infostore_harness import InfostoreServer, client_tls_context, make_message

ALICE, ALICE_PW = "alice@example.test", "alice-secret"
BOB, BOB_PW = "bob@example.test", "bob-secret"


class Response:
    def __init__(self, resp):
        self.status = resp.status
        self.headers = resp.getheaders()
        self.body = resp.read()
        self.text = self.body.decode("utf-8", "replace")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


class WebClient:
    """A small browser: one keep-alive connection, a cookie jar, and the
    forms' CSRF token taken from the last page."""

    def __init__(self, port, https=True, host="127.0.0.1"):
        self.port = port
        self.https = https
        self.host = host
        self.cookies = {}
        self.conn = None

    def _connect(self):
        if self.https:
            self.conn = http.client.HTTPSConnection(self.host, self.port, timeout=30,
                                                    context=client_tls_context())
        else:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method, path, body=None, headers=None):
        hdrs = dict(headers or {})
        if self.cookies:
            hdrs["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        for attempt in range(2):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = Response(self.conn.getresponse())
                break
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if (resp.header("Connection") or "").lower() == "close":
            self.conn.close()
            self.conn = None
        for sc in resp.all("Set-Cookie"):
            name, _, rest = sc.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in sc:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return resp

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, fields, headers=None):
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
        hdrs.update(headers or {})
        return self.request("POST", path, urllib.parse.urlencode(fields), hdrs)

    def login(self, user, password, next_path=None):
        fields = {"username": user, "password": password}
        if next_path:
            fields["next"] = next_path
        return self.post("/login", fields)

    @staticmethod
    def csrf(resp):
        m = re.search(r'name="csrf" value="([^"]+)"', resp.text)
        return html.unescape(m.group(1)) if m else None

    def close(self):
        if self.conn is not None:
            self.conn.close()


def logged_in_client(test, port, user=ALICE, password=ALICE_PW):
    """A WebClient logged in as user, closed when test ends."""
    c = WebClient(port)
    test.addCleanup(c.close)
    r = c.login(user, password)
    test.assertEqual(r.status, 303, r.text)
    return c


def add_cal_item(srv, user, summary="Planning", token=None, start=None, status="CONFIRMED",
                 organizer="bob@example.test", uid=None):
    """A calendar item straight into the store (the meeting-request path is
    tested elsewhere): returns its link token."""
    token = token or os.urandom(24).hex()
    start = start or int(time.time()) + 86400
    uid = uid or "uid-%s" % token[:12]
    ical = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            "UID:%s\r\nDTSTAMP:20261124T090000Z\r\nDTSTART:%s\r\nDTEND:%s\r\n"
            "SUMMARY:%s\r\nORGANIZER:mailto:%s\r\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:%s\r\n"
            "STATUS:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n") % (
                uid, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start)),
                time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start + 3600)),
                summary, organizer, user, status)
    uid_row = srv.sql("SELECT id FROM users WHERE address = ?", (user,))[0]
    srv.sql("INSERT INTO cal_items (user_id, uid, sequence, dtstart, dtend, all_day,"
               " summary, location, organizer, status, partstat, ical, token, source,"
               " created, updated) VALUES (?, ?, 0, ?, ?, 0, ?, 'Room 1', ?, ?,"
               " 'NEEDS-ACTION', ?, ?, 'test', ?, ?)",
               (uid_row[0], uid, start, start + 3600, summary, organizer, status,
                ical, token, int(time.time()), int(time.time())))
    return token


def mailbox_id(srv, user, name="INBOX"):
    rows = srv.sql("SELECT m.id FROM mailboxes m JOIN users u ON u.id = m.user_id"
                   " WHERE u.address = ? AND m.name = ?", (user, name))
    return rows[0][0]


class WebTest(unittest.TestCase):
    """HTTPS only (the default: SSL-only web access)."""

    @classmethod
    def setUpClass(cls):
        cls.srv = InfostoreServer(listeners=("https",))
        cls.srv.start()
        cls.port = cls.srv.ports["https"]

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def client(self):
        c = WebClient(self.port)
        self.addCleanup(c.close)
        return c

    def logged_in(self, user=ALICE, password=ALICE_PW):
        c = self.client()
        r = c.login(user, password)
        self.assertEqual(r.status, 303, r.text)
        return c

    # --- login and sessions ---

    def test_login_form(self):
        c = self.client()
        r = c.get("/login")
        self.assertEqual(r.status, 200)
        self.assertIn('name="username"', r.text)
        self.assertIn('name="password"', r.text)
        self.assertIn('type="password"', r.text)
        self.assertIn("<label", r.text)
        csp = r.header("Content-Security-Policy")
        self.assertIn("default-src 'none'", csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertEqual(r.header("Referrer-Policy"), "same-origin")

    def test_login_sets_flagged_cookie(self):
        c = self.client()
        r = c.login(ALICE, ALICE_PW)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/mail")
        cookie = r.header("Set-Cookie")
        self.assertTrue(cookie.startswith("__Host-infostore="), cookie)
        attrs = [a.strip() for a in cookie.split(";")]
        self.assertIn("Secure", attrs)
        self.assertIn("HttpOnly", attrs)
        self.assertIn("SameSite=Lax", attrs)
        self.assertIn("Path=/", attrs)
        value = attrs[0].split("=", 1)[1]
        self.assertGreaterEqual(len(value), 22)  # >= 128 bits in base64url
        r = c.get("/mail")
        self.assertEqual(r.status, 200)
        self.assertIn(ALICE, r.text)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        # the session id is never logged
        self.assertNotIn(value, self.srv.read_log())

    def test_bad_login(self):
        c = self.client()
        start = time.monotonic()
        r = c.login(ALICE, "wrong")
        self.assertGreaterEqual(time.monotonic() - start, 0.09)  # auth_failure_delay
        self.assertEqual(r.status, 403)
        self.assertIsNone(r.header("Set-Cookie"))
        self.assertIn("do not match", r.text)
        self.assertIn('name="password"', r.text)
        r = c.login("nobody@example.test", "x")
        self.assertEqual(r.status, 403)
        self.assertNotIn("wrong", self.srv.read_log())
        r = c.get("/mail")
        self.assertIn('name="password"', r.text)

    def test_tampered_cookie_is_no_session(self):
        c = self.logged_in()
        name = "__Host-infostore"
        good = c.cookies[name]
        for bad in (good[:-1] + ("A" if good[-1] != "A" else "B"), good + "x", "",
                    "../../etc", good[:10]):
            c.cookies[name] = bad
            r = c.get("/mail")
            self.assertEqual(r.status, 200)
            self.assertIn('name="password"', r.text)
            self.assertNotIn(ALICE, r.text)
        c.cookies[name] = good
        self.assertIn(ALICE, c.get("/mail").text)

    def test_csrf_required(self):
        c = self.logged_in()
        page = c.get("/mail")
        token = c.csrf(page)
        self.assertTrue(token)
        r = c.post("/logout", {})
        self.assertEqual(r.status, 403)
        r = c.post("/logout", {"csrf": token + "x"})
        self.assertEqual(r.status, 403)
        self.assertIn(ALICE, c.get("/mail").text)  # still logged in
        # another site's Origin is refused even with the token
        r = c.post("/logout", {"csrf": token}, headers={"Origin": "https://evil.test"})
        self.assertEqual(r.status, 403)
        r = c.post("/logout", {"csrf": "x"}, headers={"Origin": "null"})
        self.assertEqual(r.status, 403)
        # the link base's origin is ours (a proxy may rewrite Host)
        r = c.post("/logout", {"csrf": token},
                   headers={"Origin": "https://mail.example.test:%d" % self.port})
        self.assertEqual(r.status, 303)
        self.assertIn('name="password"', c.get("/mail").text)

    def test_logout_kills_session_server_side(self):
        c = self.logged_in()
        cookie = dict(c.cookies)
        c.post("/logout", {"csrf": c.csrf(c.get("/mail"))})
        other = self.client()
        other.cookies = cookie
        self.assertIn('name="password"', other.get("/mail").text)

    def test_hsts_when_ssl_only(self):
        r = self.client().get("/login")
        self.assertEqual(r.header("Strict-Transport-Security"), "max-age=31536000")

    def test_unknown_page_404_and_methods(self):
        c = self.client()
        r = c.get("/nothing/here")
        self.assertEqual(r.status, 404)
        r = c.request("DELETE", "/login")
        self.assertIn(r.status, (405, 501))
        r = c.request("PUT", "/login", body="x")
        self.assertIn(r.status, (405, 501))
        r = c.get("/a/../login")
        self.assertEqual(r.status, 400)

    def test_static_assets(self):
        c = self.client()
        r = c.get("/static/style.css")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/css"))
        r = c.get("/static/app.js")
        self.assertEqual(r.status, 200)
        self.assertIn("infostore-tz", r.text)

    # --- item links ---

    def test_item_requires_login_and_returns(self):
        token = add_cal_item(self.srv, ALICE, summary="Budget review")
        c = self.client()
        r = c.get("/item/" + token)
        self.assertEqual(r.status, 200)
        self.assertIn('name="password"', r.text)
        self.assertIn('name="next" value="/item/%s"' % token, r.text)
        self.assertNotIn("Budget review", r.text)
        r = c.login(ALICE, ALICE_PW, next_path="/item/" + token)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/item/" + token)
        r = c.get("/item/" + token)
        self.assertEqual(r.status, 200)
        self.assertIn("Budget review", r.text)
        for label in (">Accept<", ">Tentative<", ">Decline<"):
            self.assertIn(label, r.text)
        self.assertIn('name="comment"', r.text)

    def test_login_next_must_be_local(self):
        c = self.client()
        for evil in ("https://evil.test/", "//evil.test/x", "/\\evil.test", "javascript:x"):
            r = c.login(ALICE, ALICE_PW, next_path=evil)
            self.assertEqual(r.status, 303)
            self.assertEqual(r.header("Location"), "/mail", evil)

    def test_other_users_token_is_404_like_unknown(self):
        token = add_cal_item(self.srv, ALICE, summary="Secret plans")
        bob = self.logged_in(BOB, BOB_PW)
        foreign = bob.get("/item/" + token)
        unknown = bob.get("/item/" + "A" * 32)
        self.assertEqual(foreign.status, 404)
        self.assertEqual(unknown.status, 404)
        self.assertEqual(foreign.body, unknown.body)
        self.assertNotIn("Secret plans", foreign.text)
        # answering is refused the same way
        r = bob.post("/item/" + token, {"csrf": bob.csrf(bob.get("/mail")),
                                        "answer": "accept"})
        self.assertEqual(r.status, 404)
        self.assertEqual(r.body, unknown.body)

    def test_item_post_without_csrf(self):
        token = add_cal_item(self.srv, ALICE)
        c = self.logged_in()
        r = c.post("/item/" + token, {"answer": "accept"})
        self.assertEqual(r.status, 403)

    def test_cancelled_item_cannot_be_accepted(self):
        token = add_cal_item(self.srv, ALICE, summary="Old meeting", status="CANCELLED")
        c = self.logged_in()
        r = c.get("/item/" + token)
        self.assertEqual(r.status, 200)
        self.assertIn("cancelled", r.text)
        self.assertNotIn(">Accept<", r.text)
        r = c.post("/item/" + token, {"csrf": c.csrf(r), "answer": "accept"})
        self.assertEqual(r.status, 409)
        self.assertIn("cancelled", r.text)

    # --- mail ---

    def test_html_mail_is_sanitised(self):
        body = ("<html><body><p onclick=\"steal()\">Hello <b>Alice</b></p>"
                "<script>alert(document.cookie)</script>"
                "<img src=\"x\" onerror=\"alert(1)\">"
                "<img src=\"https://tracker.example/pixel.gif\">"
                "<a href=\"javascript:alert(2)\">click</a></body></html>")
        msg = make_message(subject="HTML test", body=body,
                           extra_headers="MIME-Version: 1.0\r\n"
                           "Content-Type: text/html; charset=utf-8\r\n")
        self.srv.deliver(ALICE, msg)
        c = self.logged_in()
        mb = mailbox_id(self.srv, ALICE)
        r = c.get("/mail/%d" % mb)
        m = re.search(r'href="/mail/%d/(\d+)"[^>]*>(?:(?!</li>).)*HTML test' % mb, r.text, re.S)
        self.assertTrue(m, r.text)
        uid = int(m.group(1))
        page = c.get("/mail/%d/%d" % (mb, uid))
        self.assertEqual(page.status, 200)
        self.assertIn("Remote images", page.text)
        self.assertIn('sandbox="', page.text)
        frame = c.get("/mail/%d/%d/body" % (mb, uid))
        self.assertEqual(frame.status, 200)
        low = frame.text.lower()
        self.assertIn("hello <b>alice</b>", low)
        for bad in ("<script", "onerror", "onclick", "javascript:", "tracker.example"):
            self.assertNotIn(bad, low)
        csp = frame.header("Content-Security-Policy")
        self.assertIn("sandbox", csp)
        self.assertNotIn("script-src", csp)
        self.assertIn("default-src 'none'", csp)
        # asked for: remote images come back, scripts still do not
        frame = c.get("/mail/%d/%d/body?remote=1" % (mb, uid))
        self.assertIn("tracker.example", frame.text)
        self.assertNotIn("<script", frame.text.lower())

    def test_plain_text_escaped_and_marked_read(self):
        msg = make_message(subject="Text <b>x</b>", body="if a < b && c > d: <script>\r\n")
        self.srv.deliver(ALICE, msg)
        c = self.logged_in()
        mb = mailbox_id(self.srv, ALICE)
        r = c.get("/mail/%d" % mb)
        uid = int(re.findall(r'href="/mail/%d/(\d+)"' % mb, r.text)[0])
        self.assertIn("Text &lt;b&gt;x&lt;/b&gt;", r.text)
        page = c.get("/mail/%d/%d" % (mb, uid))
        self.assertIn("if a &lt; b &amp;&amp; c &gt; d: &lt;script&gt;", page.text)
        self.assertNotIn("<script>", page.text)
        flags = self.srv.sql("SELECT flags FROM messages WHERE mailbox_id = ? AND uid = ?",
                             (mb, uid))[0][0]
        self.assertTrue(flags & 1, "opening the message marks it \\Seen")
        r = c.post("/mail/%d/%d/unread" % (mb, uid), {"csrf": c.csrf(page)})
        self.assertEqual(r.status, 303)

    def test_attachment_download(self):
        payload = bytes(range(256)) * 4
        import base64
        b64 = base64.encodebytes(payload).decode().replace("\n", "\r\n")
        body = ("--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
                "--b1\r\nContent-Type: application/pdf; name=\"x.pdf\"\r\n"
                "Content-Disposition: attachment; filename=\"../../etc/re\\\"port;.pdf\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s--b1--\r\n") % b64
        msg = make_message(subject="With attachment", body=body,
                           extra_headers="MIME-Version: 1.0\r\n"
                           "Content-Type: multipart/mixed; boundary=\"b1\"\r\n")
        self.srv.deliver(ALICE, msg)
        c = self.logged_in()
        mb = mailbox_id(self.srv, ALICE)
        r = c.get("/mail/%d" % mb)
        m = re.search(r'href="/mail/%d/(\d+)"[^>]*>(?:(?!</li>).)*With attachment' % mb, r.text, re.S)
        uid = int(m.group(1))
        page = c.get("/mail/%d/%d" % (mb, uid))
        self.assertIn("See attached.", page.text)
        m = re.search(r'href="(/mail/%d/%d/part/[0-9.]+)"' % (mb, uid), page.text)
        self.assertTrue(m, page.text)
        r = c.get(m.group(1))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, payload)
        self.assertEqual(r.header("Content-Type"), "application/octet-stream")
        cd = r.header("Content-Disposition")
        self.assertTrue(cd.startswith("attachment; filename=\""), cd)
        fname = re.search(r'filename="([^"]*)"', cd).group(1)
        self.assertNotIn("/", fname)
        self.assertNotIn(";", fname)
        self.assertTrue(fname.endswith(".pdf"), fname)
        self.assertIn("filename*=UTF-8''", cd)
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        # bob cannot fetch alice's attachment
        bob = self.logged_in(BOB, BOB_PW)
        self.assertEqual(bob.get(m.group(1)).status, 404)

    def test_calendar_pages(self):
        add_cal_item(self.srv, ALICE, summary="Agenda item", start=int(time.time()) + 7200)
        c = self.logged_in()
        r = c.get("/calendar")
        self.assertEqual(r.status, 200)
        self.assertIn("Agenda item", r.text)
        r = c.get("/calendar/week")
        self.assertEqual(r.status, 200)
        # Wed 2030-12-04 09:00 UTC: in the week of Mon 2 Dec, on its Wednesday
        add_cal_item(self.srv, ALICE, summary="Week item", start=1922605200)
        r = c.get("/calendar/week?date=2030-12-06")
        self.assertIn("Week of Mon 2 Dec 2030", r.text)
        wed = r.text.index("Wed 4 Dec 2030")
        self.assertGreater(r.text.index("Week item"), wed)
        self.assertLess(r.text.index("Week item"), r.text.index("Thu 5 Dec 2030"))
        self.assertIn("09:00–10:00", r.text)
        self.assertEqual(c.get("/calendar/week?date=2030-02-30").status, 200)  # ignored
        r = c.get("/calendar/new")
        self.assertEqual(r.status, 200)
        for field in ("summary", "attendees", "date", "start", "end", "tz"):
            self.assertIn('name="%s"' % field, r.text)
        r = c.post("/calendar/new", {"summary": "x"})
        self.assertEqual(r.status, 403)
        r = c.post("/calendar/new", {"csrf": c.csrf(r) or c.csrf(c.get("/calendar/new")),
                                     "summary": "Bad", "attendees": "not an address",
                                     "date": "2026-12-01", "start": "10:00", "end": "11:00",
                                     "tz": "UTC"})
        self.assertEqual(r.status, 400)
        self.assertIn("is not an email address", r.text)


class WebCurlTest(unittest.TestCase):
    """The same login through curl, and the redirect and plain-HTTP setups."""

    def test_curl_login_and_redirect_listener(self):
        srv = InfostoreServer(listeners=("https", "redirect"))
        self.addCleanup(srv.cleanup)
        srv.start()
        jar = os.path.join(srv.dir, "cookies.txt")
        base = "https://127.0.0.1:%d" % srv.ports["https"]
        out = subprocess.run(["curl", "-sk", "-c", jar, "-o", "/dev/null", "-w", "%{http_code}",
                              "--data-urlencode", "username=" + ALICE,
                              "--data-urlencode", "password=" + ALICE_PW, base + "/login"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.stdout, "303")
        with open(jar) as f:
            jar_text = f.read()
        self.assertIn("#HttpOnly_127.0.0.1", jar_text)
        self.assertIn("__Host-infostore", jar_text)
        out = subprocess.run(["curl", "-sk", "-b", jar, base + "/mail"],
                             capture_output=True, text=True, timeout=60)
        self.assertIn(ALICE, out.stdout)
        # the redirect listener: 301 to the same path on https
        for path in ("/item/AAAAAAAAAAAAAAAAAAAAAAAA", "/mail?before=5", "/"):
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w",
                                  "%{http_code} %{redirect_url}",
                                  "http://127.0.0.1:%d%s" % (srv.ports["redirect"], path)],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.stdout, "301 https://mail.example.test:%d%s" % (
                srv.ports["https"], path))
        c = http.client.HTTPConnection("127.0.0.1", srv.ports["redirect"], timeout=30)
        c.request("POST", "/login", body="x=1")
        r = c.getresponse()
        self.assertEqual(r.status, 301)
        self.assertEqual(r.getheader("Location"),
                         "https://mail.example.test:%d/login" % srv.ports["https"])
        c.close()
        srv.stop()

    def test_http_link_login_moves_to_https(self):
        """An http: meeting link while the web access also has https: the
        plain listener takes no password from this network, so the link
        goes to the same page on https, whose login comes back to the item
        (the link opens). A password sent over plain HTTP is never read."""
        srv = InfostoreServer(listeners=("http", "https"),
                              conf={"web": {"url_protocol": "http:"}})
        self.addCleanup(srv.cleanup)
        srv.start()
        uid = "http-link-%d@example.test" % time.time_ns()
        ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REQUEST\r\n"
               "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20261124T090000Z\r\n"
               "DTSTART:20301203T090000Z\r\nDTEND:20301203T100000Z\r\nSUMMARY:Plain link\r\n"
               "ORGANIZER:mailto:bob@example.test\r\n"
               "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.test\r\n"
               "END:VEVENT\r\nEND:VCALENDAR\r\n") % uid
        msg = ("From: bob@example.test\r\nTo: alice@example.test\r\nSubject: Plain link\r\n"
               "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n%s"
               % (uid, ics))
        srv.deliver(ALICE, msg.encode(), sender="bob@example.test")
        stored = srv.cli("fetch", ALICE, "INBOX", "1", check=True).stdout.decode()
        m = re.search(r"http://[^/\s]+/item/([A-Za-z0-9_-]+)", stored)
        self.assertIsNotNone(m, stored)
        token = m.group(1)
        c = WebClient(srv.ports["http"], https=False)
        self.addCleanup(c.close)
        r = c.get("/item/" + token)
        self.assertEqual(r.status, 302)
        self.assertEqual(r.header("Location"),
                         "https://mail.example.test:%d/item/%s" % (srv.ports["https"], token))
        # a login posted over plain HTTP is sent on (307 keeps it a POST to
        # https) and never checked here
        r = c.request("POST", "/login", body="username=alice%40example.test&password=x",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 307)
        self.assertIsNone(r.header("Set-Cookie"))
        # over https the login form shows and comes back to the item
        s = WebClient(srv.ports["https"])
        self.addCleanup(s.close)
        page = s.get("/item/" + token)
        self.assertEqual(page.status, 200)
        self.assertIn("Log in to open the meeting request", page.text)
        r = s.login(ALICE, ALICE_PW, next_path="/item/" + token)
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/item/" + token)
        self.assertIn("Plain link", s.get("/item/" + token).text)
        srv.stop()
        self.assertNotIn("login failed", srv.read_log())

    def test_plain_http_setup(self):
        srv = InfostoreServer(listeners=("http", "https"),
                              conf={"server": {"plaintext_auth_from": "127.0.0.1/32"}})
        self.addCleanup(srv.cleanup)
        srv.start()
        c = WebClient(srv.ports["http"], https=False)
        self.addCleanup(c.close)
        r = c.get("/login")
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("Strict-Transport-Security"))
        r = c.login(ALICE, ALICE_PW)
        self.assertEqual(r.status, 303)
        cookie = r.header("Set-Cookie")
        self.assertTrue(cookie.startswith("infostore="), cookie)
        self.assertNotIn("Secure", cookie)
        self.assertIn("HttpOnly", cookie)
        self.assertIn(ALICE, c.get("/mail").text)
        # with a plain listener, HTTPS must not pin browsers to https
        s = WebClient(srv.ports["https"])
        self.addCleanup(s.close)
        self.assertIsNone(s.get("/login").header("Strict-Transport-Security"))
        srv.stop()


if __name__ == "__main__":
    unittest.main()


class WebLimitsTest(unittest.TestCase):
    """Connection accounting and shutdown of the HTTP listeners."""

    def test_connections_per_ip_limit(self):
        srv = InfostoreServer(listeners=("https",),
                              conf={"limits": {"max_connections_per_ip": "3"}})
        self.addCleanup(srv.cleanup)
        srv.start()
        clients = [WebClient(srv.ports["https"]) for _ in range(3)]
        for c in clients:
            self.addCleanup(c.close)
            self.assertEqual(c.get("/login").status, 200)
        extra = http.client.HTTPSConnection("127.0.0.1", srv.ports["https"], timeout=10,
                                            context=client_tls_context())
        refused = False
        try:
            extra.request("GET", "/login")
            r = extra.getresponse()
            refused = r.status == 503
        except (OSError, http.client.HTTPException):
            refused = True  # closed before answering
        finally:
            extra.close()
        self.assertTrue(refused, "a fourth connection from the same IP was served")
        self.assertIn("too many connections", srv.read_log())
        # one closes: room for another (the close is noticed on the loop)
        clients[0].close()
        clients[0].conn = None
        deadline = time.time() + 10
        while True:
            c = WebClient(srv.ports["https"])
            try:
                if c.get("/login").status == 200:
                    break
            except (OSError, http.client.HTTPException):
                pass
            finally:
                c.close()
            self.assertLess(time.time(), deadline, "no room after a close")
            time.sleep(0.1)
        srv.stop()

    def test_sigterm_closes_idle_keepalive(self):
        srv = InfostoreServer(listeners=("https",))
        self.addCleanup(srv.cleanup)
        srv.start()
        c = WebClient(srv.ports["https"])
        self.addCleanup(c.close)
        self.assertEqual(c.get("/login").status, 200)  # keep-alive, left open
        start = time.monotonic()
        srv.stop()
        self.assertLess(time.monotonic() - start, 5, "an idle connection held up shutdown")


class WebBadInputTest(unittest.TestCase):
    """Hostile HTTP: the server answers or closes, and stays up."""

    @classmethod
    def setUpClass(cls):
        # the plain listener serves pages to loopback (elsewhere it sends
        # every request to https before reading it)
        cls.srv = InfostoreServer(listeners=("https", "http"),
                                  conf={"server": {"plaintext_auth_from": "127.0.0.1/32"}})
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        finally:
            cls.srv.cleanup()

    def raw(self, data, tls=False, port=None):
        import socket
        sock = socket.create_connection(("127.0.0.1", port or self.srv.ports["http"]), 10)
        if tls:
            sock = client_tls_context().wrap_socket(sock)
        try:
            sock.sendall(data)
            out = b""
            while True:
                try:
                    chunk = sock.recv(65536)
                except (ConnectionResetError, OSError):
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            sock.close()

    def alive(self):
        c = WebClient(self.srv.ports["https"])
        try:
            self.assertEqual(c.get("/login").status, 200)
        finally:
            c.close()

    def test_plaintext_on_tls_port(self):
        out = self.raw(b"GET / HTTP/1.0\r\n\r\n", port=self.srv.ports["https"])
        self.assertNotIn(b"200 OK", out)
        self.alive()

    def test_garbage_request_line(self):
        out = self.raw(b"\x00\x01garbage\r\n\r\n")
        self.assertTrue(out == b"" or out.startswith(b"HTTP/1.1 400"), out[:100])
        self.alive()

    def test_huge_header(self):
        out = self.raw(b"GET /login HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 +
                       b"\r\n\r\n", tls=True, port=self.srv.ports["https"])
        self.assertFalse(out.startswith(b"HTTP/1.1 200"), out[:100])
        self.alive()

    def test_huge_body(self):
        # a form takes 256 KiB; the login 320 KiB (it may carry a form
        # kept across an ended session, and its own fields)
        for path, size in (("/logout", 300 * 1024), ("/login", 330 * 1024)):
            body = b"username=" + b"a" * size
            out = self.raw(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: "
                           b"application/x-www-form-urlencoded\r\nContent-Length: %d\r\n"
                           b"Connection: close\r\n\r\n" % (path.encode(), len(body)) + body)
            self.assertTrue(out == b"" or out.startswith(b"HTTP/1.1 413"), (path, out[:100]))
        self.alive()

    def test_bad_form_encoding(self):
        out = self.raw(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: "
                       b"application/x-www-form-urlencoded\r\nContent-Length: 14\r\n"
                       b"Connection: close\r\n\r\nusername=%00%2")
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out[:100])
        out = self.raw(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                       b"Content-Length: 3\r\nConnection: close\r\n\r\nabc")
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out[:100])
        self.alive()

    def test_pipelined_requests(self):
        out = self.raw(b"GET /static/app.js HTTP/1.1\r\nHost: x\r\n\r\n"
                       b"GET /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(out.count(b"HTTP/1.1 200"), 2, out[:300])
