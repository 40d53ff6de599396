"""Contacts in the web access (issue #12 item 5): the user's address book,
the one CardDAV serves. Add, view, list and search; an edit keeps every
line a CardDAV client wrote that the form does not change, and CardDAV
sees the edit with a new ETag and in sync-collection; a card PUT over
CardDAV shows in the list; delete; another user's card gets 404 and
changes nothing; a POST without the CSRF token is refused and changes
nothing; every mistake of the form is shown at once; address completion
from the contacts and the local users, bounded. Runs on SQLite and on
PostgreSQL (scripts/check)."""
import html
import json
import re
import time
import unittest
import urllib.parse
import uuid

from infostore_harness import SharedServerTest
from test_dav import BOOK, NS, Dav, responses
from test_web import ALICE, ALICE_PW, BOB, BOB_PW, WebClient

SYNC = ('<D:sync-collection xmlns:D="DAV:"><D:sync-token>%s</D:sync-token>'
        '<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>')

# What Apple Contacts PUTs, with what the form does not show: a photo,
# labelled groups, an X- property with a quoted parameter, an unknown
# parameter on a line the form shows.
APPLE_CARD = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "PRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n"
    "N:Appleseed;Johnny;Q.;Dr.;\r\n"
    "FN:{fn}\r\n"
    "ORG:Apple Inc.;Devices\r\n"
    "item1.EMAIL;type=INTERNET;type=pref;X-SERVICE=mobileme:{email}\r\n"
    "item1.X-ABLabel:_$!<Other>!$_\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:+1 (555) 010-0199\r\n"
    "item2.ADR;type=HOME:;;1 Infinite Loop;Cupertino;CA;95014;United States\r\n"
    "X-CUSTOM;X-PARAM=\"a;b:c\":kept as it is\r\n"
    "NOTE:Met at WWDC\\, 2024\r\n"
    "UID:{uid}\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKD\r\n"
    " BQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJC\r\n"
    "END:VCARD\r\n")


def unique(word):
    return "%s%s" % (word, uuid.uuid4().hex[:8])


class WebContactsTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("https",)}

    def setUp(self):
        self.c = self.login(ALICE, ALICE_PW)
        self.dav = Dav(self.srv.ports["https"], ALICE, ALICE_PW)
        self.addCleanup(self.dav.close)

    def login(self, user, password):
        c = WebClient(self.srv.ports["https"])
        self.addCleanup(c.close)
        self.assertEqual(c.login(user, password).status, 303)
        return c

    # --- helpers ---

    def token(self, c=None):
        r = (c or self.c).get("/contacts/new")
        self.assertEqual(r.status, 200, r.text[:300])
        return WebClient.csrf(r)

    def cards(self, user=ALICE):
        """{store id: (href, uid, modseq, vcard)} of user's address book"""
        rows = self.srv.sql(
            "SELECT c.id, c.href, c.uid, c.modseq, c.vcard FROM cards c"
            " JOIN dav_collections d ON d.id = c.collection_id"
            " JOIN users u ON u.id = d.user_id WHERE u.address = ? AND d.is_default = 1",
            (user,))
        return {r[0]: tuple(r[1:]) for r in rows}

    def add(self, fields, c=None, csrf=True):
        form = dict(fields)
        if csrf:
            form["csrf"] = self.token(c)
        return (c or self.c).post("/contacts/new", form)

    def add_ok(self, fields, c=None):
        before = set(self.cards())
        r = self.add(fields, c)
        self.assertEqual(r.status, 303, r.text[:800])
        m = re.fullmatch(r"/contacts/(\d+)\?saved=1", r.header("Location"))
        self.assertIsNotNone(m, r.header("Location"))
        return int(m.group(1))

    def edit_form(self, cid, c=None):
        """The edit form's fields as the browser would send them back."""
        r = (c or self.c).get("/contacts/%d/edit" % cid)
        self.assertEqual(r.status, 200, r.text[:300])
        fields = {}
        for m in re.finditer(r'<input ([^>]*)>', r.text):
            attrs = dict((k, html.unescape(v)) for k, v in
                         re.findall(r'([a-z-]+)="([^"]*)"', m.group(1)))
            if "name" in attrs:
                fields[attrs["name"]] = attrs.get("value", "")
        for m in re.finditer(r'<select id="([^"]+)" name="[^"]+"[^>]*>(.*?)</select>', r.text, re.S):
            sel = re.search(r'<option value="([^"]*)" selected>', m.group(2))
            fields[m.group(1)] = sel.group(1) if sel else ""
        note = re.search(r'<textarea id="note" name="note"[^>]*>(.*?)</textarea>', r.text, re.S)
        fields["note"] = html.unescape(note.group(1))
        return fields

    def put_card(self, href, text):
        r = self.dav.put(BOOK + href, text, ctype="text/vcard; charset=utf-8")
        self.assertIn(r.status, (201, 204), r.body)
        return r.getheader("ETag")

    def sync_token(self):
        r = self.dav.xml("REPORT", BOOK, SYNC % "", "0")
        self.assertEqual(r.status, 207)
        return r.tree.find("D:sync-token", NS).text

    def complete(self, q, c=None):
        r = (c or self.c).get("/contacts/complete?q=" + urllib.parse.quote(q))
        self.assertEqual(r.status, 200, r.text[:300])
        self.assertTrue(r.header("Content-Type").startswith("application/json"))
        self.assertEqual(r.header("Cache-Control"), "no-store")
        return json.loads(r.text)["results"]

    # --- tests ---

    def test_add_view_list_and_search(self):
        name = unique("Ann")
        email = "%s@example.test" % name.lower()
        cid = self.add_ok({"fn": "", "given": name, "family": "Example", "org": "Acme; Sales",
                           "email0": email, "email_type0": "work", "tel0": "+1 555 0101",
                           "tel_type0": "cell", "note": "Line one\r\nline <two>"})
        href, uid, modseq, _ = self.cards()[cid]
        self.assertEqual(href, uid + ".vcf")
        # as CardDAV serves it (byte for byte: psql would not say)
        r = self.dav.request("GET", BOOK + href)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("ETag"), '"%d"' % modseq)
        vcard = r.body.decode()
        self.assertRegex(uid, r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        self.assertTrue(vcard.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n"), vcard)
        self.assertIn("\r\nFN:%s Example\r\n" % name, vcard)
        self.assertIn("\r\nN:Example;%s;;;\r\n" % name, vcard)
        self.assertIn("\r\nEMAIL;TYPE=work:%s\r\n" % email, vcard)
        self.assertIn("\r\nNOTE:Line one\\nline <two>\r\n", vcard)
        self.assertIn("\r\nORG:Acme\\; Sales\r\n", vcard)
        # the contact's page
        r = self.c.get("/contacts/%d?saved=1" % cid)
        self.assertEqual(r.status, 200)
        self.assertIn("The contact was saved.", r.text)
        self.assertIn("<h1 id=\"contact-title\">%s Example</h1>" % name, r.text)
        self.assertIn('href="/mail/compose?to=%s"' % urllib.parse.quote(email), r.text)
        self.assertIn('href="tel:+15550101"', r.text)
        self.assertIn("Phone (Mobile)", r.text)
        self.assertIn("line &lt;two&gt;", r.text)
        self.assertIn('aria-current="page">Contacts</a>', r.text)
        # the list, and its search by name and by address
        r = self.c.get("/contacts")
        self.assertIn('<a href="/contacts/%d"><span class="name">%s Example</span>' % (cid, name),
                      r.text)
        for q in (name.upper(), email[3:12]):
            r = self.c.get("/contacts?q=" + urllib.parse.quote(q))
            self.assertIn('/contacts/%d"' % cid, r.text, q)
        r = self.c.get("/contacts?q=Acme")   # the organization is not searched
        self.assertNotIn('/contacts/%d"' % cid, r.text)
        self.assertIn("No contact has", r.text)

    def test_edit_keeps_what_a_carddav_client_wrote(self):
        fn, uid = unique("Johnny"), str(uuid.uuid4()).upper()
        text = APPLE_CARD.format(fn=fn, email="johnny@old.example", uid=uid)
        etag = self.put_card(uid + ".vcf", text)
        token = self.sync_token()
        # the card PUT over CardDAV is in the list
        r = self.c.get("/contacts")
        self.assertIn(fn, r.text)
        [cid] = [k for k, v in self.cards().items() if v[1] == uid]
        r = self.c.get("/contacts/%d" % cid)
        self.assertIn("more details from other apps", r.text)
        fields = self.edit_form(cid)
        self.assertEqual(fields["email0"], "johnny@old.example")
        self.assertEqual(fields["tel_type0"], "cell")
        self.assertEqual(fields["org"], "Apple Inc.")
        self.assertEqual(fields["note"], "Met at WWDC, 2024")
        fields["email0"] = "johnny@new.example"
        fields["tel_type0"] = "work"
        fields["given"] = "John"
        r = self.c.post("/contacts/%d/edit" % cid, fields)
        self.assertEqual(r.status, 303, r.text[:800])
        self.assertEqual(r.header("Location"), "/contacts/%d?saved=1" % cid)
        # over CardDAV: a new ETag, and the sync reports the change
        r = self.dav.request("GET", BOOK + uid + ".vcf")
        self.assertEqual(r.status, 200)
        self.assertNotEqual(r.getheader("ETag"), etag)
        got = r.body.decode()
        r = self.dav.xml("REPORT", BOOK, SYNC % token, "0")
        self.assertEqual(list(responses(r.tree)), [BOOK + uid + ".vcf"])
        # every line not edited is there byte for byte, in order
        changed = ("N:", "item1.EMAIL", "TEL;")
        at = 0
        for line in text.split("\r\n")[1:-2]:
            if line.startswith(changed):
                continue
            pos = got.find(line + "\r\n", at)
            self.assertGreaterEqual(pos, 0, "lost: %r in %r" % (line, got))
            at = pos
        self.assertIn("\r\nN:Appleseed;John;Q.;Dr.;\r\n", got)
        self.assertIn("\r\nitem1.EMAIL;TYPE=INTERNET;TYPE=pref;X-SERVICE=mobileme:"
                      "johnny@new.example\r\n", got)
        self.assertIn("\r\nTEL;TYPE=VOICE;TYPE=pref;TYPE=work:+1 (555) 010-0199\r\n", got)
        self.assertIn("\r\nUID:%s\r\n" % uid, got)

        # sent back unchanged: nothing is written, the ETag stays
        etag2 = self.dav.request("GET", BOOK + uid + ".vcf").getheader("ETag")
        r = self.c.post("/contacts/%d/edit" % cid, self.edit_form(cid))
        self.assertEqual(r.status, 303)
        self.assertEqual(self.dav.request("GET", BOOK + uid + ".vcf").getheader("ETag"), etag2)

    def test_changed_elsewhere_meanwhile(self):
        fn, uid = unique("Conflict"), str(uuid.uuid4())
        self.put_card(uid + ".vcf", APPLE_CARD.format(fn=fn, email="c@old.example", uid=uid))
        [cid] = [k for k, v in self.cards().items() if v[1] == uid]
        fields = self.edit_form(cid)
        # a contacts app changes the card after the form was read
        changed = APPLE_CARD.format(fn=fn + " (phone)", email="c@phone.example", uid=uid)
        self.put_card(uid + ".vcf", changed)
        fields["note"] = "from the web"
        r = self.c.post("/contacts/%d/edit" % cid, fields)
        self.assertEqual(r.status, 409)
        self.assertIn("changed elsewhere", r.text)
        self.assertIn("c@phone.example", r.text)     # the form shows it as it is now
        self.assertEqual(self.dav.request("GET", BOOK + uid + ".vcf").body.decode(), changed)

    def test_delete(self):
        cid = self.add_ok({"fn": unique("Gone"), "email0": "gone@example.test"})
        href = self.cards()[cid][0]
        token = self.sync_token()
        r = self.c.post("/contacts/%d/delete" % cid, {"csrf": self.token()})
        self.assertEqual(r.status, 303)
        self.assertEqual(r.header("Location"), "/contacts?deleted=1")
        self.assertNotIn(cid, self.cards())
        self.assertEqual(self.c.get("/contacts/%d" % cid).status, 404)
        self.assertEqual(self.dav.request("GET", BOOK + href).status, 404)
        r = self.dav.xml("REPORT", BOOK, SYNC % token, "0")
        res = responses(r.tree)
        self.assertIn("404", res[BOOK + href]["status"])
        # again: it is gone
        r = self.c.post("/contacts/%d/delete" % cid, {"csrf": self.token()})
        self.assertEqual(r.status, 404)

    def test_other_users_card_is_not_found_and_unchanged(self):
        bob = self.login(BOB, BOB_PW)
        bob_name = unique("Private")
        bid = self.add_ok({"fn": bob_name, "email0": "secret@example.test"}, c=bob)
        before = self.cards(BOB)[bid]
        missing = self.c.get("/contacts/999999999")
        self.assertEqual(missing.status, 404)
        for path in ("/contacts/%d" % bid, "/contacts/%d/edit" % bid):
            r = self.c.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertEqual(r.body, missing.body)
            self.assertNotIn(bob_name, r.text)
        token = self.token()
        r = self.c.post("/contacts/%d/edit" % bid, {
            "csrf": token, "modseq": str(before[2]), "fn": "Taken over",
            "email0": "mallory@evil.test"})
        self.assertEqual(r.status, 404)
        r = self.c.post("/contacts/%d/delete" % bid, {"csrf": token})
        self.assertEqual(r.status, 404)
        self.assertEqual(self.cards(BOB)[bid], before)
        self.assertNotIn(bid, self.cards(ALICE))
        # nor does alice's completion know bob's contacts
        self.assertEqual([s for s in self.complete(bob_name[:9])
                          if s["email"] == "secret@example.test"], [])

    def test_post_without_csrf_changes_nothing(self):
        cid = self.add_ok({"fn": unique("Kept"), "email0": "kept@example.test"})
        before = self.cards()
        for fields in ({}, {"csrf": "not-the-token"}):
            form = dict(fields, fn=unique("Forged"), email0="forged@example.test")
            self.assertEqual(self.c.post("/contacts/new", form).status, 403)
            form["modseq"] = str(before[cid][2])
            self.assertEqual(self.c.post("/contacts/%d/edit" % cid, form).status, 403)
            self.assertEqual(self.c.post("/contacts/%d/delete" % cid, fields).status, 403)
        self.assertEqual(self.cards(), before)
        # nor from another site, token or not
        r = self.c.post("/contacts/%d/delete" % cid, {"csrf": self.token()},
                        headers={"Origin": "https://evil.test"})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.cards(), before)
        # and logged out
        anon = WebClient(self.srv.ports["https"])
        self.addCleanup(anon.close)
        self.assertEqual(anon.post("/contacts/new", {"fn": "x"}).status, 403)
        self.assertEqual(self.cards(), before)

    def test_mistakes_all_at_once(self):
        before = self.cards()
        r = self.add({"fn": " ", "email0": ""})
        self.assertEqual(r.status, 400)
        self.assertIn('<p class="field-error" id="err-fn">Give a name or an email address.</p>',
                      r.text)
        self.assertIn('aria-invalid="true" aria-describedby="err-fn fn-hint"', r.text)
        r = self.add({"fn": "Mistakes", "family": "x" * 201, "email0": "not an address",
                      "email1": "ok@example.test", "email2": "a@b@c", "email_type2": "mars",
                      "tel0": "call me", "note": "n" * 4001})
        self.assertEqual(r.status, 400)
        for field in ("family", "email0", "email2", "email_type2", "tel0", "note"):
            self.assertIn('id="err-%s"' % field, r.text, field)
        self.assertNotIn('id="err-email1"', r.text)
        self.assertNotIn('id="err-fn"', r.text)
        self.assertIn("Please correct these:", r.text)
        # what was typed is shown again, in place
        self.assertRegex(r.text, r'name="email0" [^>]*value="not an address"')
        self.assertRegex(r.text, r'name="email1" [^>]*value="ok@example.test"')
        self.assertEqual(self.cards(), before)
        # an edit with a mistake changes nothing either
        cid = self.add_ok({"fn": unique("Fine"), "email0": "fine@example.test"})
        fields = self.edit_form(cid)
        kept = self.cards()[cid]
        fields["email0"] = "broken"
        r = self.c.post("/contacts/%d/edit" % cid, fields)
        self.assertEqual(r.status, 400)
        self.assertIn('id="err-email0"', r.text)
        self.assertEqual(self.cards()[cid], kept)

    def test_completion(self):
        name = unique("Zoltan")
        self.add_ok({"fn": name + " Kovacs", "email0": "zk@partner.test",
                     "email1": "zoltan.k@home.test", "email_type1": "home"})
        self.srv.cli("user", "set", BOB, "display_name=Bob Builder", check=True)
        got = self.complete(name[:8].lower())
        self.assertEqual([(s["name"], s["email"], s["kind"]) for s in got], [
            (name + " Kovacs", "zk@partner.test", "contact"),
            (name + " Kovacs", "zoltan.k@home.test", "contact")])
        # local users by address or display name; never the viewer
        got = self.complete("builder")
        self.assertIn({"name": "Bob Builder", "email": BOB, "kind": "user"}, got)
        self.assertNotIn(ALICE, [s["email"] for s in self.complete("example.test")])
        # an address typed: its own part matches, the name does not
        self.assertEqual([s["email"] for s in self.complete("zoltan.k@")], ["zoltan.k@home.test"])
        self.assertEqual(self.complete(""), [])
        self.assertEqual(self.complete("x" * 101), [])
        # markup in a name stays text in the JSON
        self.add_ok({"fn": "<b>Bold</b> Evil", "email0": "evil@example.test"})
        r = self.c.get("/contacts/complete?q=evil")
        self.assertNotIn("<b>", r.text)
        self.assertIn("\\u003cb\\u003eBold", r.text)

    def test_completion_is_bounded(self):
        word = unique("Bulk")
        for i in range(25):
            uid = "%s-%02d" % (word, i)
            self.put_card(uid + ".vcf", "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:%s\r\nFN:%s %02d\r\n"
                          "EMAIL:%s.%02d@bulk.test\r\nEND:VCARD\r\n" % (uid, word, i, word.lower(), i))
        got = self.complete(word)
        self.assertEqual(len(got), 20)
        self.assertEqual(len({s["email"] for s in got}), 20)
        # the list pages: 50 a page, then Next page
        many = unique("Page")
        for i in range(55):
            uid = "%s-%02d" % (many, i)
            self.put_card(uid + ".vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:%s\r\nFN:%s %02d\r\n"
                          "END:VCARD\r\n" % (uid, many, i))
        r = self.c.get("/contacts?q=" + many)
        self.assertEqual(r.text.count('<span class="name">%s ' % many), 50)
        nxt = re.search(r'<a href="(/contacts\?after=\d+&amp;q=[^"]+)" rel="next">Next page</a>',
                        r.text)
        self.assertIsNotNone(nxt)
        r = self.c.get(html.unescape(nxt.group(1)))
        self.assertEqual(r.text.count('<span class="name">%s ' % many), 5)
        self.assertIn("%s 54" % many, r.text)
        self.assertNotIn("%s 49" % many, r.text)
        self.assertNotIn('rel="next"', r.text)

    def test_pages_offer_completion(self):
        r = self.c.get("/mail/compose")
        for field in ("to", "cc", "bcc"):
            self.assertRegex(r.text, r'<input id="%s" name="%s"[^>]* data-complete='
                             r'"/contacts/complete"' % (field, field))
        r = self.c.get("/calendar/new")
        self.assertRegex(r.text, r'<textarea id="attendees"[^>]* data-complete="/contacts/complete"')
        # the policy lets the script ask this site, and nothing else
        self.assertIn("connect-src 'self'", r.header("Content-Security-Policy"))
        r = self.c.get("/static/app.js")
        self.assertIn("data-complete", r.text)
        # the navigation names Contacts
        r = self.c.get("/mail")
        self.assertIn('<a href="/contacts">Contacts</a>', r.text)


if __name__ == "__main__":
    unittest.main()
