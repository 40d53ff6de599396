"""Settings and sessions in the web access (issue #12 items 6 and 7).

Each setting is saved and then used where it shows: the display name in
the From of mail sent from the web (read back over IMAP) and as the CN of
the meetings the user makes; the time zone in the times shown, over the
browser's; the calendar format in what an IMAP client gets in a meeting
request. The password change refuses a wrong current password (nothing
changes, and it is throttled as a login is), and with the right one the
new password works over IMAP, the old does not, and every other session
has ended. The sessions list shows each login with its client, ends one,
and "Log out everywhere" ends all.

Sessions slide: activity keeps one alive past [web] session_idle, never
past session_lifetime (a few seconds each here, and the test polls). A
form posted after its session ended is kept through the login and sent
again only when the user clicks. Error pages keep the header and
navigation, and every POST here without its CSRF token changes nothing."""
import email
import email.policy
import html
import html.parser
import re
import time
import unittest
import urllib.parse
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from infostore_harness import SharedServerTest, USERS, wait_for
from test_imip_util import ics, imip_message, parse, parts
from test_web import ALICE, ALICE_PW, BOB, BOB_PW, WebClient, add_cal_item
from test_web_compose import multipart

PW = {ALICE: ALICE_PW, BOB: BOB_PW}
for _name in ("carol", "dave", "erin", "frank", "gina", "hank", "ivan", "judy"):
    PW["%s@example.test" % _name] = "%s-secret-1" % _name
CAROL, DAVE, ERIN, FRANK, GINA, HANK, IVAN, JUDY = (
    "%s@example.test" % n for n in ("carol", "dave", "erin", "frank", "gina", "hank",
                                    "ivan", "judy"))

SETTINGS_POSTS = ("/settings/name", "/settings/timezone", "/settings/calendar",
                  "/settings/password", "/settings/sessions/end",
                  "/settings/sessions/end-all")


class Forms(html.parser.HTMLParser):
    """The forms of a page: action, enctype and their fields (inputs with
    a name, textareas, selected options), in order."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._textarea = None
        self._select = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action"), "enctype": a.get("enctype"),
                          "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("radio", "checkbox"):
            self._form["fields"].append([a["name"], a.get("value") or ""])
        elif tag == "input" and a.get("name") and "checked" in a:
            self._form["fields"].append([a["name"], a.get("value") or "on"])
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]
            self._form["fields"].append(self._textarea)
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self._form["fields"].append([self._select, a.get("value", "")])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def named(self, action):
        found = [f for f in self.forms if f["action"] == action]
        assert found, "no form to %s in the page" % action
        return found[0]


def submit(client, form, fill=None):
    """Send a form as a browser does: its fields (fill replaces values by
    name), with its enctype."""
    fields = [(n, (fill or {}).get(n, v)) for n, v in form["fields"]]
    if form["enctype"] == "multipart/form-data":
        body, ctype = multipart(fields)
        return client.request("POST", form["action"], body, {"Content-Type": ctype})
    return client.request("POST", form["action"], urllib.parse.urlencode(fields),
                          {"Content-Type": "application/x-www-form-urlencoded"})


def has_nav(text):
    return ('<nav aria-label="Main">' in text and 'href="/settings"' in text
            and "Log out" in text)


class SettingsBase(SharedServerTest):
    SERVER_ARGS = {"listeners": ("imaps", "https"), "users": PW}

    def client(self, user=ALICE, agent=None):
        c = WebClient(self.srv.ports["https"])
        self.addCleanup(c.close)
        headers = {"User-Agent": agent} if agent else None
        r = c.post("/login", {"username": user, "password": PW[user]}, headers=headers)
        self.assertEqual(r.status, 303, r.text[:300])
        return c

    def settings(self, c):
        r = c.get("/settings")
        self.assertEqual(r.status, 200, r.text[:300])
        return r

    def post_setting(self, c, path, fields):
        fields = dict(fields)
        fields.setdefault("csrf", c.csrf(self.settings(c)))
        return c.post(path, fields)

    def user_row(self, user):
        """The settings as stored (NULL, the default, is None: the
        harness reads PostgreSQL's NULL as "")."""
        row = self.srv.sql("SELECT display_name, timezone, calendar_format, password"
                           " FROM users WHERE address = ?", (user,))[0]
        return tuple(None if v == "" else v for v in row)

    def sessions(self, user):
        return self.srv.sql("SELECT s.created, s.expires FROM web_sessions s JOIN users u"
                            " ON u.id = s.user_id WHERE u.address = ? ORDER BY s.created",
                            (user,))

    def imap_last(self, user, password=None):
        """The newest message of user's INBOX, fetched over IMAP."""
        imap = self.srv.imap(login=user, password=password or PW[user])
        try:
            typ, data = imap.select("INBOX")
            self.assertEqual(typ, "OK")
            count = int(data[0])
            typ, data = imap.fetch(str(count), "(BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            return data[0][1]
        finally:
            imap.logout()

    def imap_count(self, user):
        imap = self.srv.imap(login=user, password=PW[user])
        try:
            return int(imap.select("INBOX")[1][0])
        finally:
            imap.logout()

    def imap_login_ok(self, user, password):
        imap = self.srv.imap()
        try:
            imap.login(user, password)
            return True
        except imap.error:
            return False
        finally:
            try:
                imap.logout()
            except Exception:
                pass


class WebSettingsTest(SettingsBase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.srv.cli("user", "set", HANK, "display_name=Hank Hill", check=True)

    def test_page_sections_and_setup_help(self):
        c = self.client()
        r = self.settings(c)
        self.assertIn('<a href="/settings" aria-current="page">Settings</a>', r.text)
        for title in ("Display name", "Time zone", "Meeting requests in mail apps",
                      "Password", "Sessions", "Mail and calendar apps"):
            self.assertIn(">%s</h2>" % title, r.text)
        forms = Forms(r.text)
        for path in SETTINGS_POSTS:
            form = forms.named(path)
            self.assertIn("csrf", [n for n, v in form["fields"]], path)
        # the account setup: this server's IMAP port, no POP3 (off here),
        # the DAV URLs of this user, the Apple profile
        port = self.srv.ports["imaps"]
        self.assertIn("port <strong>%d</strong> with SSL/TLS" % port, r.text)
        self.assertRegex(r.text, r"POP3 \(incoming mail\)</dt><dd><span class=\"hint\">"
                                 r"not offered here")
        dav = "https://mail.example.test:%d/dav/" % self.srv.ports["https"]
        self.assertIn("<code>%scalendars/%s/</code>" % (dav, ALICE), r.text)
        self.assertIn("<code>%saddressbooks/%s/</code>" % (dav, ALICE), r.text)
        self.assertIn('href="/settings/apple-profile"', r.text)
        self.assertEqual(c.get("/settings/apple-profile").status, 200)
        # the time zones to choose from: the browser's first, then UTC and
        # the IANA names, no backward or posix/ ones
        options = re.findall(r"<option[^>]*>([^<]*)</option>", r.text)
        self.assertTrue(options[0].startswith("The browser&#39;s") or
                        options[0].startswith("The browser's"), options[:3])
        self.assertEqual(options[1], "UTC")
        self.assertIn("Europe/Berlin", options)
        self.assertIn("America/Argentina/Cordoba", options)
        self.assertNotIn("US/Eastern", options)
        self.assertFalse([o for o in options if o.startswith(("posix", "right"))])
        self.assertEqual(options[2:], sorted(options[2:]))

    def test_display_name_in_from_and_meetings(self):
        c = self.client(CAROL)
        name = "J\u00fcrgen Smith, Jr."
        r = self.post_setting(c, "/settings/name", {"display_name": "  %s  " % name})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(r.header("Location"), "/settings?saved=name#name")
        self.assertEqual(self.user_row(CAROL)[0], name)
        page = c.get("/settings?saved=name")
        self.assertIn("Your display name is saved.", page.text)
        self.assertIn('value="%s"' % html.escape(name), page.text)

        # mail sent from the web: From is "name" <address>, encoded
        compose = c.get("/mail/compose")
        self.assertIn("From: %s &lt;%s&gt;" % (html.escape(name, quote=False), CAROL),
                      compose.text)
        subject = "From name %s" % uuid.uuid4().hex[:8]
        before = self.imap_count(HANK)
        body, ctype = multipart([("csrf", c.csrf(compose)), ("to", HANK),
                                 ("subject", subject), ("body", "Hi."), ("action", "send")])
        r = c.request("POST", "/mail/compose", body, {"Content-Type": ctype})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertTrue(wait_for(lambda: self.imap_count(HANK) > before))
        raw = self.imap_last(HANK)
        header = raw.split(b"\r\n\r\n", 1)[0]
        self.assertTrue(all(b < 0x80 for b in header), header)  # RFC 2047, not 8-bit
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(msg["Subject"], subject)
        addr = msg["From"].addresses[0]
        self.assertEqual((addr.display_name, addr.addr_spec), (name, CAROL))

        # a meeting: ORGANIZER CN is the user's name, a local attendee's CN
        # theirs; the invitation comes From the name
        before = self.imap_count(HANK)
        form = c.get("/calendar/new")
        r = c.post("/calendar/new", {"csrf": c.csrf(form), "summary": "Named meeting",
                                     "attendees": HANK, "date": "2030-12-05",
                                     "start": "12:00", "end": "13:00", "tz": "UTC"})
        self.assertEqual(r.status, 303, r.text[:300])
        ical = self.srv.sql("SELECT i.ical FROM cal_items i JOIN users u ON u.id = i.user_id"
                            " WHERE u.address = ? AND i.summary = 'Named meeting'",
                            (CAROL,))[0][0]
        ical = re.sub(r"\r?\n[ \t]", "", ical)   # unfolded (RFC 5545 3.1)
        self.assertIn('ORGANIZER;CN="%s":mailto:%s' % (name, CAROL), ical)
        self.assertRegex(ical, r"ATTENDEE;[^:\r\n]*CN=Hank Hill[;:][^\r\n]*mailto:%s"
                         % re.escape(HANK))
        self.assertTrue(wait_for(lambda: self.imap_count(HANK) > before))
        invitation = email.message_from_bytes(self.imap_last(HANK), policy=email.policy.default)
        self.assertEqual(invitation["From"].addresses[0].display_name, name)
        # the answer comes From the attendee's name as it is now, not the
        # CN the invitation gave them
        self.srv.cli("user", "set", HANK, "display_name=Hank R. Hill", check=True)
        self.addCleanup(self.srv.cli, "user", "set", HANK, "display_name=Hank Hill")
        token = self.srv.sql("SELECT i.token FROM cal_items i JOIN users u ON u.id = i.user_id"
                             " WHERE u.address = ? AND i.summary = 'Named meeting'",
                             (HANK,))[0][0]
        hank = self.client(HANK)
        before = self.imap_count(CAROL)
        r = hank.post("/item/" + token, {"csrf": hank.csrf(hank.get("/item/" + token)),
                                         "answer": "accept"})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertTrue(wait_for(lambda: self.imap_count(CAROL) > before))
        reply = email.message_from_bytes(self.imap_last(CAROL), policy=email.policy.default)
        self.assertTrue(reply["Subject"].startswith("Accepted:"), reply["Subject"])
        self.assertEqual((reply["From"].addresses[0].display_name,
                          reply["From"].addresses[0].addr_spec), ("Hank R. Hill", HANK))

        # cleared: the address alone again
        r = self.post_setting(c, "/settings/name", {"display_name": ""})
        self.assertEqual(r.status, 303)
        self.assertIsNone(self.user_row(CAROL)[0])
        self.assertIn("From: %s</p>" % CAROL, c.get("/mail/compose").text)

    def test_display_name_refused_when_invalid(self):
        c = self.client(CAROL)
        before = self.user_row(CAROL)
        for bad in ("a\tb", "x" * 129, "line\nbreak"):
            r = self.post_setting(c, "/settings/name", {"display_name": bad})
            self.assertEqual(r.status, 400, bad)
            self.assertIn('id="name-error"', r.text)
            self.assertTrue(has_nav(r.text))
        self.assertEqual(self.user_row(CAROL), before)

    def test_time_zone_wins_over_browser(self):
        c = self.client(DAVE)
        start = int(datetime(2030, 1, 16, 9, 0, tzinfo=ZoneInfo("UTC")).timestamp())
        token = add_cal_item(self.srv, DAVE, summary="Zone check", start=start)

        def shown(zone):
            return datetime.fromtimestamp(start, ZoneInfo(zone)).strftime("%H:%M")

        def when():
            text = c.get("/item/" + token).text
            return re.search(r"(\d\d:\d\d)\u2013\d\d:\d\d", text).group(1)

        # the browser's zone (the script's cookie) while the user has none
        c.cookies["infostore-tz"] = urllib.parse.quote("America/New_York", safe="")
        self.assertEqual(when(), shown("America/New_York"))
        r = self.post_setting(c, "/settings/timezone", {"timezone": "Asia/Tokyo"})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.user_row(DAVE)[1], "Asia/Tokyo")
        self.assertEqual(when(), shown("Asia/Tokyo"))
        page = self.settings(c)
        self.assertIn('<strong id="tz-now">Asia/Tokyo</strong>', page.text)
        self.assertIn("<option selected>Asia/Tokyo</option>", page.text)
        self.assertIn("The browser&#39;s (now America/New_York)", page.text)
        # the agenda too
        agenda = c.get("/calendar?from=2030-01-16").text
        self.assertIn(shown("Asia/Tokyo"), agenda)
        self.assertNotIn(shown("America/New_York") + "\u2013", agenda)
        # refused: nothing changes
        for bad in ("Mars/Olympus_Mons", "../../../etc/passwd", "Europe/Berlin/x", "a" * 80):
            r = self.post_setting(c, "/settings/timezone", {"timezone": bad})
            self.assertEqual(r.status, 400, bad)
            self.assertIn("There is no such time zone here.", r.text)
        self.assertEqual(self.user_row(DAVE)[1], "Asia/Tokyo")
        # back to the browser's
        r = self.post_setting(c, "/settings/timezone", {"timezone": ""})
        self.assertEqual(r.status, 303)
        self.assertIsNone(self.user_row(DAVE)[1])
        self.assertEqual(when(), shown("America/New_York"))

    def test_calendar_format_in_imap(self):
        c = self.client(ERIN)

        def request():
            uid = "settings-%s@partner.test" % uuid.uuid4().hex
            self.srv.deliver(ERIN, imip_message(ics(uid, attendees=((ERIN, "NEEDS-ACTION"),)),
                                                to=ERIN))
            raw = self.imap_last(ERIN)
            self.assertIn(uid.encode(), self.srv.sql(
                "SELECT i.ical FROM cal_items i JOIN users u ON u.id = i.user_id"
                " WHERE u.address = ? AND i.uid = ?", (ERIN, uid))[0][0].encode())
            found = parts(parse(raw))
            text = "".join(v for v in found.get("text/plain", []) if isinstance(v, str))
            return "text/calendar" in found, "/item/" in text

        expected = {"icalendar": (True, False), "url": (False, True), "both": (True, True),
                    "default": (True, True)}   # the server's default: both
        for choice in ("url", "icalendar", "both", "default"):
            r = self.post_setting(c, "/settings/calendar", {"calendar_format": choice})
            self.assertEqual(r.status, 303, (choice, r.text[:300]))
            self.assertEqual(self.user_row(ERIN)[2], None if choice == "default" else choice)
            page = self.settings(c)
            self.assertRegex(page.text, r'value="%s" checked' % choice)
            self.assertEqual(request(), expected[choice], choice)
        r = self.post_setting(c, "/settings/calendar", {"calendar_format": "pdf"})
        self.assertEqual(r.status, 400)
        self.assertIsNone(self.user_row(ERIN)[2])

    def test_password_change(self):
        """A wrong current password changes nothing; the right one changes it
        everywhere and ends every other session, this browser staying in."""
        c = self.client(FRANK)
        other = self.client(FRANK)
        old, new = PW[FRANK], "new-frank-pw-2"
        before = self.user_row(FRANK)
        # refused before the current password is looked at
        for fields, why in (({"current_password": old, "new_password": "abcdefgh",
                              "new_password2": "abcdefgX"}, "are not the same"),
                            ({"current_password": old, "new_password": "\u00e4" * 7,
                              "new_password2": "\u00e4" * 7}, "too short"),
                            ({"current_password": "", "new_password": new,
                              "new_password2": new}, "current password")):
            r = self.post_setting(c, "/settings/password", fields)
            self.assertEqual(r.status, 400, why)
            self.assertIn(why, r.text)
        # a wrong current password
        r = self.post_setting(c, "/settings/password", {
            "current_password": "wrong-" + old, "new_password": new, "new_password2": new})
        self.assertEqual(r.status, 403)
        self.assertIn("The current password is not right. Nothing was changed.", r.text)
        self.assertTrue(has_nav(r.text))
        self.assertEqual(self.user_row(FRANK), before)
        self.assertEqual(len(self.sessions(FRANK)), 2)
        self.assertIn(FRANK, other.get("/mail").text)
        self.assertTrue(self.imap_login_ok(FRANK, old))
        self.assertFalse(self.imap_login_ok(FRANK, new))
        # the right one
        r = self.post_setting(c, "/settings/password", {
            "current_password": old, "new_password": new, "new_password2": new})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(r.header("Location"), "/settings?saved=password#password")
        self.assertIn("Max-Age=", r.header("Set-Cookie"))
        self.assertNotEqual(self.user_row(FRANK)[3], before[3])
        page = c.get("/settings?saved=password")
        self.assertEqual(page.status, 200)
        self.assertIn("Your password is changed.", page.text)
        self.assertIn('name="password"', other.get("/mail").text)  # logged out
        self.assertEqual(len(self.sessions(FRANK)), 1)
        self.assertTrue(self.imap_login_ok(FRANK, new))
        self.assertFalse(self.imap_login_ok(FRANK, old))
        # and the web login takes the new one only
        w = WebClient(self.srv.ports["https"])
        self.addCleanup(w.close)
        self.assertEqual(w.login(FRANK, old).status, 403)
        self.assertEqual(w.login(FRANK, new).status, 303)
        # no password in the log
        log = self.srv.read_log()
        self.assertNotIn(new, log)
        self.assertNotIn(old, log)

    def test_sessions_list_end_one_and_everywhere(self):
        first = self.client(GINA, agent="TestBrowser/1.0 (first)")
        second = self.client(GINA, agent="TestBrowser/2.0 (second)")
        odd = self.client(GINA, agent="Odd\tAgent \u00e9" + "x" * 400)
        page = self.settings(first).text
        items = re.findall(r"<li( class=\"mine\")?>\n<div><p class=\"client\">([^<]*)(.*?)"
                           r"name=\"handle\" value=\"(\d+)\"", page, re.S)
        clients = {html.unescape(client).strip(): (bool(mine), int(handle))
                   for mine, client, _, handle in items}
        self.assertEqual(len(clients), 3, clients)
        self.assertEqual(clients["127.0.0.1, TestBrowser/1.0 (first)"][0], True)
        self.assertEqual(clients["127.0.0.1, TestBrowser/2.0 (second)"][0], False)
        self.assertIn("This browser", page)
        # the odd agent: printable ASCII, runs of anything else one space,
        # bounded
        odd_client = [k for k in clients if "Odd" in k][0]
        self.assertTrue(odd_client.startswith("127.0.0.1, Odd Agent x"), odd_client)
        self.assertLessEqual(len(odd_client), len("127.0.0.1, ") + 160)
        # end the second: it is logged out, the others are not
        handle = clients["127.0.0.1, TestBrowser/2.0 (second)"][1]
        r = first.post("/settings/sessions/end", {"csrf": first.csrf(self.settings(first)),
                                                  "handle": str(handle)})
        self.assertEqual(r.status, 303, r.text[:300])
        location = r.header("Location")
        self.assertEqual(location, "/settings?saved=session#sessions")
        self.assertIn("That session has ended.", first.get(location.split("#")[0]).text)
        self.assertIn('name="password"', second.get("/mail").text)
        self.assertIn(GINA, odd.get("/mail").text)
        self.assertEqual(len(self.sessions(GINA)), 2)
        # ending it again, or someone else's: nothing to end
        bob = self.client(BOB)
        bob_handle = re.search(r'name="handle" value="(\d+)"', self.settings(bob).text).group(1)
        for h in (str(handle), bob_handle):
            r = first.post("/settings/sessions/end", {"csrf": first.csrf(self.settings(first)),
                                                      "handle": h})
            self.assertEqual(r.status, 404, h)
            self.assertIn("That session had already ended.", r.text)
        self.assertIn(BOB, bob.get("/mail").text)
        # log out everywhere: this browser too
        r = first.post("/settings/sessions/end-all", {"csrf": first.csrf(self.settings(first))})
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/login")
        self.assertIn("Max-Age=0", r.header("Set-Cookie"))
        self.assertEqual(self.sessions(GINA), [])
        for c in (first, odd):
            self.assertIn('name="password"', c.get("/mail").text)
        self.assertIn(BOB, bob.get("/mail").text)

    def test_session_renewed_at_most_once_a_minute(self):
        """Use is written down when the last note is a minute old: expiry
        session_idle on (2h by default), capped by session_lifetime (12h)
        counted from the login, and the cookie's Max-Age says the same."""
        c = self.client(IVAN)
        sess = lambda: self.srv.sql(
            "SELECT s.created, s.last_seen, s.expires FROM web_sessions s JOIN users u"
            " ON u.id = s.user_id WHERE u.address = ?", (IVAN,))[0]
        created, last_seen, expires = sess()
        self.assertEqual(expires - created, 7200)
        for _ in range(3):
            r = c.get("/mail")
            self.assertEqual(r.all("Set-Cookie"), [])
        self.assertEqual(sess(), (created, last_seen, expires))
        # a minute without use: renewed on the next page
        self.srv.sql("UPDATE web_sessions SET last_seen = last_seen - 61 WHERE user_id ="
                     " (SELECT id FROM users WHERE address = ?)", (IVAN,))
        r = c.get("/mail")
        now = int(time.time())
        age = int(re.search(r"Max-Age=(\d+)", r.header("Set-Cookie")).group(1))
        self.assertTrue(7195 <= age <= 7200, age)
        _, last_seen2, expires2 = sess()
        self.assertLessEqual(abs(last_seen2 - now), 2)
        self.assertEqual(expires2 - last_seen2, 7200)
        # near the end of session_lifetime: no further than it
        self.srv.sql("UPDATE web_sessions SET created = ?, last_seen = ? WHERE user_id ="
                     " (SELECT id FROM users WHERE address = ?)",
                     (now - 43200 + 100, now - 61, IVAN))
        r = c.get("/mail")
        age = int(re.search(r"Max-Age=(\d+)", r.header("Set-Cookie")).group(1))
        self.assertTrue(95 <= age <= 100, age)
        self.assertEqual(sess()[2], now - 43200 + 100 + 43200)

    def test_refused_csrf_changes_nothing(self):
        c = self.client(JUDY)
        spare = self.client(JUDY)
        bob = self.client(BOB)
        handle = re.findall(r'name="handle" value="(\d+)"', self.settings(c).text)[-1]
        fields = {
            "/settings/name": {"display_name": "Forged"},
            "/settings/timezone": {"timezone": "Asia/Tokyo"},
            "/settings/calendar": {"calendar_format": "url"},
            "/settings/password": {"current_password": PW[JUDY], "new_password": "forged-pw-1",
                                   "new_password2": "forged-pw-1"},
            "/settings/sessions/end": {"handle": handle},
            "/settings/sessions/end-all": {},
        }
        state = lambda: (self.user_row(JUDY), self.sessions(JUDY), self.sessions(BOB))
        before = state()
        for path in SETTINGS_POSTS:
            for token in (None, "x" * 43, bob.csrf(self.settings(bob))):
                sent = dict(fields[path])
                if token is not None:
                    sent["csrf"] = token
                r = c.post(path, sent)
                self.assertEqual(r.status, 403, (path, token))
                self.assertTrue(has_nav(r.text), path)   # the refused-CSRF page keeps it
        self.assertEqual(state(), before)
        self.assertIn(JUDY, spare.get("/mail").text)
        # with the token they do change the store
        r = self.post_setting(c, "/settings/name", fields["/settings/name"])
        self.assertEqual(r.status, 303)
        self.assertEqual(self.user_row(JUDY)[0], "Forged")

    def test_error_pages_keep_nav(self):
        c = self.client()
        out = WebClient(self.srv.ports["https"])
        self.addCleanup(out.close)
        # 404: a page that never was, an unknown item token, another's item
        bobs = add_cal_item(self.srv, BOB, summary="Bob's own")
        pages = [c.get(p) for p in ("/nothing/here", "/item/" + "A" * 32, "/item/" + bobs)]
        for r in pages:
            self.assertEqual(r.status, 404)
            self.assertTrue(has_nav(r.text))
            self.assertIn("<h1>Not found</h1>", r.text)
        self.assertEqual(len({r.body for r in pages}), 1)   # byte for byte the same
        r = out.get("/nothing/here")
        self.assertEqual(r.status, 404)
        self.assertNotIn('<nav aria-label="Main">', r.text)
        # 403: a refused form
        r = c.post("/mail/folders", {"name": "x"})
        self.assertEqual(r.status, 403)
        self.assertTrue(has_nav(r.text))
        # 500: an item the store cannot give back
        token = add_cal_item(self.srv, ALICE, summary="Broken")
        self.srv.sql("UPDATE cal_items SET ical = 'garbage' WHERE token = ?", (token,))
        r = c.get("/item/" + token)
        self.assertEqual(r.status, 500)
        self.assertTrue(has_nav(r.text))
        # 405 and 400 as well
        r = c.request("PUT", "/settings")
        self.assertEqual(r.status, 405)
        self.assertTrue(has_nav(r.text))


class WebPasswordThrottleTest(SettingsBase):
    """The current password of a password change is checked as a login
    is: the same throttle, shared with the login."""
    SERVER_ARGS = {"listeners": ("imaps", "https"), "users": PW,
                   "conf": {"limits": {"auth_user_ip_failures": "2",
                                       "auth_user_ip_interval": "1h"}}}

    def test_wrong_current_password_throttled(self):
        c = self.client(CAROL)
        before = self.user_row(CAROL)
        change = {"new_password": "carol-new-pw", "new_password2": "carol-new-pw"}
        for _ in range(2):
            r = self.post_setting(c, "/settings/password",
                                  dict(change, current_password="wrong"))
            self.assertEqual(r.status, 403)
        # now even the right one is refused unchecked
        r = self.post_setting(c, "/settings/password",
                              dict(change, current_password=PW[CAROL]))
        self.assertEqual(r.status, 429)
        self.assertIn("Too many password attempts", r.text)
        self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        self.assertEqual(self.user_row(CAROL), before)
        # and so is a login to that account from here
        w = WebClient(self.srv.ports["https"])
        self.addCleanup(w.close)
        self.assertEqual(w.login(CAROL, PW[CAROL]).status, 429)
        self.assertIn(CAROL, c.get("/mail").text)   # the session lives on


IDLE, LIFETIME = 3, 10


class WebSlidingSessionTest(SettingsBase):
    """session_idle and session_lifetime of a few seconds."""
    SERVER_ARGS = {"listeners": ("imaps", "https"), "users": PW,
                   "conf": {"web": {"session_idle": "%ds" % IDLE,
                                    "session_lifetime": "%ds" % LIFETIME}}}

    def wait_ended(self, user):
        """Until every session of user has run out, without using any."""
        ends = max(e for _, e in self.sessions(user))
        self.assertTrue(wait_for(lambda: time.time() >= ends + 0.05, timeout=LIFETIME + 5))

    def test_activity_slides_until_lifetime(self):
        start = time.time()
        c = self.client(ALICE)
        r = c.get("/mail")
        alive = []
        dead_at = None
        while time.time() - start < LIFETIME + 5:
            r = c.get("/mail")
            if 'name="password"' in r.text:
                dead_at = time.time() - start
                break
            alive.append(time.time() - start)
            for sc in r.all("Set-Cookie"):
                age = int(re.search(r"Max-Age=(\d+)", sc).group(1))
                self.assertLessEqual(age, IDLE)
            time.sleep(0.4)
        self.assertIsNotNone(dead_at, "the session outlived session_lifetime")
        self.assertGreater(max(alive), IDLE + 2, "activity did not keep it alive")
        self.assertGreaterEqual(dead_at, LIFETIME - 1.5)
        self.assertLessEqual(dead_at, LIFETIME + 1.5)

    def test_idle_session_ends(self):
        start = time.time()
        c = self.client(BOB)
        self.assertIn(BOB, c.get("/mail").text)
        self.wait_ended(BOB)
        self.assertIn('name="password"', c.get("/mail").text)
        self.assertLess(time.time() - start, LIFETIME - 1)

    def test_form_kept_across_expired_session(self):
        c = self.client(CAROL)
        compose = c.get("/mail/compose")
        old_csrf = c.csrf(compose)
        subject = "Kept %s" % uuid.uuid4().hex[:8]
        text = "Line one\r\nline two \u00e9\u00e8 <b>&amp;</b> \"quoted\"\r\n\r\nEnd."
        fields = [("csrf", old_csrf), ("mode", ""), ("to", HANK), ("cc", ""), ("bcc", ""),
                  ("subject", subject), ("body", text), ("action", "send")]
        self.wait_ended(CAROL)
        before = self.imap_count(HANK)
        body, ctype = multipart(fields, [("files", "a.txt", "text/plain", b"attached")])
        r = c.request("POST", "/mail/compose", body, {"Content-Type": ctype})
        self.assertEqual(r.status, 403)
        self.assertIn("It is kept: log in", r.text)
        self.assertIn("1 attached file could not be kept", r.text)
        self.assertNotIn(old_csrf, r.text)
        login = Forms(r.text).named("/login")
        self.assertEqual(login["enctype"], "multipart/form-data")
        kept = dict(login["fields"])
        self.assertEqual(kept["kept_target"], "/mail/compose")
        self.assertEqual(kept["k.subject"], subject)
        self.assertEqual(kept["k.body"].replace("\r\n", "\n"), text.replace("\r\n", "\n"))
        self.assertEqual(self.imap_count(HANK), before)
        # log in: the fields again, a new token, and still nothing sent
        r = submit(c, login, {"username": CAROL, "password": PW[CAROL]})
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertIn("Your session had ended; send again?", r.text)
        self.assertTrue(has_nav(r.text))
        again = Forms(r.text).named("/mail/compose")
        self.assertEqual(again["enctype"], "multipart/form-data")
        sent = dict(again["fields"])
        self.assertNotEqual(sent["csrf"], old_csrf)
        self.assertEqual(sent["csrf"], c.csrf(c.get("/mail")))
        self.assertEqual(sent["to"], HANK)
        time.sleep(0.2)
        self.assertEqual(self.imap_count(HANK), before)
        # one click sends it, byte for byte
        r = submit(c, again)
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertTrue(wait_for(lambda: self.imap_count(HANK) > before))
        msg = email.message_from_bytes(self.imap_last(HANK), policy=email.policy.default)
        self.assertEqual(msg["Subject"], subject)
        self.assertEqual(msg.get_content().replace("\r\n", "\n").rstrip("\n"),
                         text.replace("\r\n", "\n"))

    def test_kept_setting_and_no_password_kept(self):
        c = self.client(DAVE)
        csrf = c.csrf(self.settings(c))
        self.wait_ended(DAVE)
        # a password form: kept without its passwords
        r = c.post("/settings/password", {"csrf": csrf, "current_password": "secret-cur-1",
                                          "new_password": "secret-new-1",
                                          "new_password2": "secret-new-1"})
        self.assertEqual(r.status, 403)
        for secret in ("secret-cur-1", "secret-new-1", csrf):
            self.assertNotIn(secret, r.text)
        # a setting: sent again after the login (urlencoded), saved
        r = c.post("/settings/name", {"csrf": csrf, "display_name": "Dave Kept"})
        self.assertEqual(r.status, 403)
        r = submit(c, Forms(r.text).named("/login"), {"username": DAVE, "password": PW[DAVE]})
        self.assertEqual(r.status, 200)
        again = Forms(r.text).named("/settings/name")
        self.assertIsNone(again["enctype"])
        self.assertIsNone(self.user_row(DAVE)[0])
        r = submit(c, again)
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(self.user_row(DAVE)[0], "Dave Kept")
        # a wrong password at the login keeps the form all the same
        self.wait_ended(DAVE)
        r = c.post("/settings/name", {"csrf": csrf, "display_name": "Dave Again"})
        r = submit(c, Forms(r.text).named("/login"), {"username": DAVE, "password": "wrong"})
        self.assertEqual(r.status, 403)
        self.assertEqual(dict(Forms(r.text).named("/login")["fields"])["k.display_name"],
                         "Dave Again")

    def test_kept_form_bounded(self):
        c = self.client(ERIN)
        csrf = c.csrf(c.get("/mail/compose"))
        self.wait_ended(ERIN)
        fields = [("csrf", csrf), ("to", BOB), ("subject", "big"),
                  ("body", "x" * (256 * 1024 + 1)), ("action", "send")]
        body, ctype = multipart(fields)
        r = c.request("POST", "/mail/compose", body, {"Content-Type": ctype})
        self.assertEqual(r.status, 403)
        self.assertIn("too large to keep", r.text)
        self.assertNotIn("kept_target", r.text)
        # a target that is not a form of ours is never kept
        r = c.post("/login", {"username": ERIN, "password": PW[ERIN],
                              "kept_target": "/logout", "k.x": "1"})
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/mail")


if __name__ == "__main__":
    unittest.main()
