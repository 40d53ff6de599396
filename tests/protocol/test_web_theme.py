"""The footer's theme choice (POST /theme: Auto, Light, Dark) and what
the pages make of its cookie: <html data-theme> and the color-scheme the
browser draws its controls in. A POST without this session's CSRF token,
or with a theme that is none of the three, sets no cookie; the way back
is a local path only. And the HTML body's own document (the message
page's frame): a title, and the language its Content-Language names."""
import html
import re

from infostore_harness import SharedServerTest, make_message
from test_web import ALICE, ALICE_PW, BOB, BOB_PW, WebClient, logged_in_client, mailbox_id


class WebThemeTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("https",)}

    def logged_in(self, user=ALICE, password=ALICE_PW):
        return logged_in_client(self, self.srv.ports["https"], user, password)

    @staticmethod
    def html_tag(page):
        return re.search(r"<html[^>]*>", page).group(0)

    @staticmethod
    def scheme(page):
        return re.search(r'<meta name="color-scheme" content="([^"]*)">', page).group(1)

    def test_footer_form(self):
        c = self.logged_in()
        r = c.get("/calendar/week?date=2030-12-05")
        page = r.text
        form = re.search(r'<form class="theme" method="post" action="/theme">(.*?)</form>',
                         page, re.S).group(1)
        self.assertIn("<legend>Theme</legend>", form)
        self.assertIn('name="csrf" value="%s"' % c.csrf(r), form)
        # the way back is this page, escaped
        self.assertIn('name="back" value="/calendar/week?date=2030-12-05"', form)
        self.assertEqual(re.findall(r'value="(\w+)" aria-pressed="(\w+)">(\w+)<', form),
                         [("auto", "true", "Auto"), ("light", "false", "Light"),
                          ("dark", "false", "Dark")])
        self.assertEqual(self.html_tag(page), '<html lang="en">')
        self.assertEqual(self.scheme(page), "light dark")
        # logged out: no form (no session, no token)
        anon = WebClient(self.srv.ports["https"])
        self.addCleanup(anon.close)
        self.assertNotIn('action="/theme"', anon.get("/login").text)

    def test_choose_and_back(self):
        c = self.logged_in()
        csrf = c.csrf(c.get("/mail"))
        r = c.post("/theme", {"csrf": csrf, "theme": "dark", "back": "/calendar?from=2030-12-01"})
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/calendar?from=2030-12-01")
        cookie = r.header("Set-Cookie")
        self.assertRegex(cookie, r"^infostore-theme=dark; Path=/; Max-Age=31536000; HttpOnly;"
                                 r" SameSite=Lax; Secure$")
        for path in ("/mail", "/calendar", "/calendar/new", "/no/such/page"):
            page = c.get(path).text
            self.assertEqual(self.html_tag(page), '<html lang="en" data-theme="dark">', path)
            self.assertEqual(self.scheme(page), "dark", path)
        page = c.get("/mail").text
        self.assertIn('value="dark" aria-pressed="true"', page)
        self.assertIn('value="auto" aria-pressed="false"', page)
        # the login page follows the cookie too (it is the browser's)
        anon = WebClient(self.srv.ports["https"])
        self.addCleanup(anon.close)
        anon.cookies["infostore-theme"] = "light"
        page = anon.get("/login").text
        self.assertEqual(self.html_tag(page), '<html lang="en" data-theme="light">')
        self.assertEqual(self.scheme(page), "light")
        # Auto clears it
        r = c.post("/theme", {"csrf": csrf, "theme": "auto", "back": "/mail"})
        self.assertEqual(r.status, 303)
        self.assertIn("infostore-theme=; Path=/; Max-Age=0;", r.header("Set-Cookie"))
        self.assertNotIn("infostore-theme", c.cookies)
        self.assertEqual(self.html_tag(c.get("/mail").text), '<html lang="en">')

    def test_unknown_cookie_is_auto(self):
        c = self.logged_in()
        for value in ("purple", "", "dark2", "DARK"):
            c.cookies["infostore-theme"] = value
            page = c.get("/mail").text
            self.assertEqual(self.html_tag(page), '<html lang="en">', value)
            self.assertIn('value="auto" aria-pressed="true"', page)

    def test_back_is_local(self):
        c = self.logged_in()
        csrf = c.csrf(c.get("/mail"))
        for back in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil",
                     "mail", "", None):
            fields = {"csrf": csrf, "theme": "light"}
            if back is not None:
                fields["back"] = back
            r = c.post("/theme", fields)
            self.assertEqual(r.status, 303, back)
            self.assertEqual(r.header("Location"), "/mail", back)

    def test_refused_sets_nothing(self):
        c, other = self.logged_in(), self.logged_in(BOB, BOB_PW)
        csrf = c.csrf(c.get("/mail"))
        for token in (None, "x" * 43, other.csrf(other.get("/mail"))):
            fields = {"theme": "dark", "back": "/mail"}
            if token is not None:
                fields["csrf"] = token
            r = c.post("/theme", fields)
            self.assertEqual(r.status, 403, token)
            self.assertEqual(r.all("Set-Cookie"), [], token)
        for value in ("purple", "", "Dark"):
            r = c.post("/theme", {"csrf": csrf, "theme": value})
            self.assertEqual(r.status, 400, value)
            self.assertEqual(r.all("Set-Cookie"), [], value)
        r = c.post("/theme", {"csrf": csrf})
        self.assertEqual((r.status, r.all("Set-Cookie")), (400, []))
        self.assertNotIn("infostore-theme", c.cookies)
        # logged out: the session has ended, nothing is set
        anon = WebClient(self.srv.ports["https"])
        self.addCleanup(anon.close)
        r = anon.post("/theme", {"csrf": csrf, "theme": "dark"})
        self.assertEqual((r.status, r.all("Set-Cookie")), (403, []))
        # a GET is not a way to choose
        r = c.get("/theme?theme=dark")
        self.assertEqual((r.status, r.all("Set-Cookie")), (405, []))
        self.assertEqual(r.header("Allow"), "POST")

    def body_doc(self, subject, headers=""):
        self.srv.deliver(ALICE, make_message(
            subject=subject, body="<p>Hello <b>there</b></p>\r\n",
            extra_headers="MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n" + headers))
        c = self.logged_in()
        mb = mailbox_id(self.srv, ALICE)
        page = c.get("/mail/%d" % mb).text
        # the list's rows: the link, and the subject after any marks
        uid = [u for u, subj in re.findall(r'href="/mail/%d/(\d+)">.*?<span class="subj">'
                                           r'(?:<span[^>]*>[^<]*</span>)*([^<]*)<' % mb, page)
               if html.unescape(subj) == (subject or "(no subject)")]
        self.assertEqual(len(uid), 1, page)
        msg = c.get("/mail/%d/%s" % (mb, uid[0])).text
        self.assertIn('<iframe class="htmlbody" title="Message text"', msg)
        r = c.get("/mail/%d/%s/body" % (mb, uid[0]))
        self.assertEqual(r.status, 200)
        return r.text

    def test_body_document(self):
        doc = self.body_doc("Bonjour <tous>", "Content-Language: fr-CA, en\r\n")
        self.assertIn('<html lang="fr-CA">', doc)
        self.assertIn("<title>Bonjour &lt;tous&gt;</title>", doc)
        self.assertIn("Hello <b>there</b>", doc)
        # no Content-Language, or not the shape of a language tag: no lang
        for n, value in enumerate(('"><script>', "e", "en-", "-en", "toolongtag", "en-toolongsub",
                                   "en--x", "1a", "en_US")):
            doc = self.body_doc("Lang %d" % n, "Content-Language: %s\r\n" % value)
            self.assertIn("<html>", doc, value)
            self.assertNotIn("<script>", doc, value)
        self.assertIn("<html>", self.body_doc("No language"))
        self.assertIn("<title>(no subject)</title>", self.body_doc(""))


if __name__ == "__main__":
    import unittest
    unittest.main()
