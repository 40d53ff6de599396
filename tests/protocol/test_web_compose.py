"""Mail in the web access (issue #12 item 3): compose and send (local
delivery, the outbound queue and its relay, a copy in Sent, From always
the user's own), Reply / Reply all threading, Forward keeping the
attachments byte for byte, drafts saved and replaced, Delete to Trash and
empty Trash, Move, flags, search, folders, the Outbox, links in plain
text; and every refused POST (no CSRF token, another user's message)
changes nothing and sends nothing."""
import base64
import email
import email.policy
import os
import re
import time
import unittest
import uuid

from infostore_harness import InfostoreServer, SharedServerTest, make_message, wait_for
from smtp_relay import Relay
from test_web import ALICE, ALICE_PW, BOB, BOB_PW, WebClient, mailbox_id

MAX_SIZE = 2 * 1024 * 1024


def multipart(fields, files=()):
    """A multipart/form-data body as a browser sends it: fields is a list
    of (name, value), files of (field, filename, type, bytes)."""
    boundary = "----infostore%s" % uuid.uuid4().hex
    out = []
    for name, value in fields:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                    % (boundary, name)).encode() + value.encode() + b"\r\n")
    for field, filename, ctype, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (boundary, field, filename, ctype)).encode()
                   + data + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=%s" % boundary


def messages_in(srv, user, name):
    """(uid, flags, bytes) of every message in a folder."""
    mb = mailbox_id(srv, user, name)
    rows = srv.sql("SELECT uid, flags FROM messages WHERE mailbox_id = ? ORDER BY uid", (mb,))
    out = []
    for uid, flags in rows:
        p = srv.cli("fetch", user, name, str(uid), check=True)
        out.append((uid, flags, p.stdout))
    return out


def parsed(data):
    return email.message_from_bytes(data, policy=email.policy.default)


class ComposeBase(SharedServerTest):
    SERVER_ARGS = {"listeners": ("https",)}

    @classmethod
    def configure(cls, settings):
        settings["limits"]["max_message_size"] = str(MAX_SIZE)

    def setUp(self):
        self.c = WebClient(self.srv.ports["https"])
        self.addCleanup(self.c.close)
        self.assertEqual(self.c.login(ALICE, ALICE_PW).status, 303)

    def token(self, path="/mail/compose"):
        r = self.c.get(path)
        self.assertEqual(r.status, 200, r.text[:500])
        return WebClient.csrf(r)

    def post_form(self, path, fields, files=(), csrf=True):
        fields = list(fields)
        if csrf:
            fields.insert(0, ("csrf", self.token()))
        body, ctype = multipart(fields, files)
        return self.c.request("POST", path, body, {"Content-Type": ctype})

    def post(self, path, fields, csrf=True):
        fields = dict(fields)
        if csrf:
            fields["csrf"] = self.token("/mail")
        return self.c.post(path, fields)

    def send(self, to, subject, body="Hello.\n", files=(), extra=(), **kw):
        fields = [("to", to), ("subject", subject), ("body", body), ("action", "send")]
        fields += list(extra)
        return self.post_form("/mail/compose", fields, files, **kw)

    def unique(self, word):
        return "%s %s" % (word, uuid.uuid4().hex[:8])

    def with_subject(self, user, name, subject):
        return [m for m in messages_in(self.srv, user, name)
                if ("Subject: %s" % subject).encode() in m[2]]

    def outbound_count(self):
        return self.srv.sql("SELECT count(*) FROM outbound")[0][0]


class WebComposeTest(ComposeBase):

    def test_send_to_local_user(self):
        subject = self.unique("Lunch")
        queued = self.outbound_count()
        r = self.send(BOB, subject, "See you at noon.\n",
                      extra=[("from", "mallory@evil.test"), ("From", "mallory@evil.test")])
        self.assertEqual(r.status, 303, r.text[:800])
        sent_mb = mailbox_id(self.srv, ALICE, "Sent")
        self.assertRegex(r.header("Location"), r"^/mail/%d/\d+\?sent=1$" % sent_mb)
        got = self.with_subject(BOB, "INBOX", subject)
        self.assertEqual(len(got), 1)
        msg = parsed(got[0][2])
        self.assertEqual(msg["From"], ALICE)
        self.assertEqual(msg["To"], BOB)
        self.assertIn("See you at noon.", msg.get_content())
        self.assertNotIn(b"mallory", got[0][2])
        sent = self.with_subject(ALICE, "Sent", subject)
        self.assertEqual(len(sent), 1)
        self.assertEqual(parsed(sent[0][2])["Message-ID"], msg["Message-ID"])
        self.assertTrue(sent[0][1] & 1, "the copy in Sent is \\Seen")
        page = self.c.get(r.header("Location"))
        self.assertIn("Your message has been sent.", page.text)
        self.assertEqual(self.outbound_count(), queued)   # local only

    def test_bcc_not_in_message_but_in_sent(self):
        subject = self.unique("Secret")
        r = self.send("carol@example.test", subject,
                      extra=[("bcc", BOB)])
        self.assertEqual(r.status, 303, r.text[:500])
        got = self.with_subject(BOB, "INBOX", subject)
        self.assertEqual(len(got), 1)
        self.assertNotIn(b"Bcc", got[0][2])
        self.assertNotIn(b"bob@example.test", got[0][2].split(b"\r\n\r\n")[0]
                         .replace(b"Return-Path: <alice@example.test>", b""))
        sent = self.with_subject(ALICE, "Sent", subject)
        self.assertEqual(parsed(sent[0][2])["Bcc"], BOB)

    def test_bad_recipient_sends_nothing(self):
        subject = self.unique("Typo")
        queued = self.outbound_count()
        r = self.send("not an address", subject)
        self.assertEqual(r.status, 400)
        self.assertIn("is not an email address", r.text)
        self.assertIn('value="not an address"', r.text)   # the form keeps it
        r = self.send("", subject)
        self.assertEqual(r.status, 400)
        self.assertIn("at least one recipient", r.text)
        self.assertEqual(self.with_subject(ALICE, "Sent", subject), [])
        self.assertEqual(self.outbound_count(), queued)

    def test_reply_keeps_thread(self):
        subject = self.unique("Budget")
        orig_id = "<orig.%s@example.test>" % uuid.uuid4().hex
        self.srv.deliver(ALICE, make_message(
            subject=subject, sender=BOB, msgid=orig_id, body="What about Q3?\r\n",
            extra_headers="References: <first@example.test>\r\nCc: carol@example.test, %s\r\n"
            % ALICE))
        inbox = mailbox_id(self.srv, ALICE)
        uid = self.srv.sql("SELECT max(uid) FROM messages WHERE mailbox_id = ?", (inbox,))[0][0]
        page = self.c.get("/mail/compose?mode=reply&mb=%d&uid=%d" % (inbox, uid))
        self.assertEqual(page.status, 200)
        self.assertIn('value="%s"' % BOB, page.text)
        self.assertIn('value="Re: %s"' % subject, page.text)
        self.assertIn("&gt; What about Q3?", page.text)
        fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"',
                                 page.text))
        self.assertEqual(fields["in_reply_to"], orig_id.replace("<", "&lt;").replace(">", "&gt;"))
        # Reply all: the others, not the user
        page_all = self.c.get("/mail/compose?mode=all&mb=%d&uid=%d" % (inbox, uid))
        self.assertIn('id="cc" name="cc" value="carol@example.test"', page_all.text)
        r = self.post_form("/mail/compose", [
            ("mode", "reply"), ("src_mb", str(inbox)), ("src_uid", str(uid)),
            ("in_reply_to", orig_id), ("references", "<first@example.test> " + orig_id),
            ("to", BOB), ("subject", "Re: " + subject), ("body", "Fine.\n"),
            ("action", "send")])
        self.assertEqual(r.status, 303, r.text[:500])
        got = self.with_subject(BOB, "INBOX", "Re: " + subject)
        self.assertEqual(len(got), 1)
        msg = parsed(got[0][2])
        self.assertEqual(msg["In-Reply-To"], orig_id)
        self.assertEqual(msg["References"], "<first@example.test> " + orig_id)
        flags = self.srv.sql("SELECT flags FROM messages WHERE mailbox_id = ? AND uid = ?",
                             (inbox, uid))[0][0]
        self.assertTrue(flags & 2, "the original is \\Answered")

    def test_forward_keeps_attachments_byte_exact(self):
        subject = self.unique("Report")
        blob = os.urandom(70000)
        pdf = b"%PDF-1.4\n" + os.urandom(3000)
        body = ("--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe figures.\r\n"
                "--b1\r\nContent-Type: application/octet-stream\r\n"
                "Content-Disposition: attachment; filename=\"data.bin\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n"
                "--b1\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\n"
                "Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n") % (
                    base64.encodebytes(blob).decode().replace("\n", "\r\n"),
                    base64.encodebytes(pdf).decode().replace("\n", "\r\n"))
        self.srv.deliver(ALICE, make_message(
            subject=subject, sender=BOB, body=body,
            extra_headers="MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n"))
        inbox = mailbox_id(self.srv, ALICE)
        uid = self.srv.sql("SELECT max(uid) FROM messages WHERE mailbox_id = ?", (inbox,))[0][0]
        page = self.c.get("/mail/compose?mode=forward&mb=%d&uid=%d" % (inbox, uid))
        self.assertEqual(page.status, 200)
        keeps = re.findall(r'name="keep" value="([0-9.]+)" checked', page.text)
        self.assertEqual(len(keeps), 2, page.text)
        self.assertIn('value="Fwd: %s"' % subject, page.text)
        extra = os.urandom(5000)
        r = self.post_form("/mail/compose", [
            ("mode", "forward"), ("src_mb", str(inbox)), ("src_uid", str(uid))] +
            [("keep", k) for k in keeps] +
            [("to", BOB), ("subject", "Fwd: " + subject), ("body", "FYI\n"), ("action", "send")],
            files=[("files", "extra.bin", "application/octet-stream", extra)])
        self.assertEqual(r.status, 303, r.text[:500])
        got = self.with_subject(BOB, "INBOX", "Fwd: " + subject)
        self.assertEqual(len(got), 1)
        atts = {p.get_filename(): p.get_content() for p in parsed(got[0][2]).iter_attachments()}
        self.assertEqual(atts["data.bin"], blob)
        self.assertEqual(atts["r.pdf"], pdf)
        self.assertEqual(atts["extra.bin"], extra)

    def test_drafts_save_replace_then_send(self):
        subject = self.unique("Plan")
        drafts = mailbox_id(self.srv, ALICE, "Drafts")
        before = len(messages_in(self.srv, ALICE, "Drafts"))
        r = self.post_form("/mail/compose", [("to", BOB), ("subject", subject),
                                             ("body", "first try"), ("action", "save")],
                           files=[("files", "a.txt", "text/plain", b"attached\n")])
        self.assertEqual(r.status, 303, r.text[:500])
        m = re.match(r"^/mail/compose\?mode=draft&mb=%d&uid=(\d+)&saved=1$" % drafts,
                     r.header("Location"))
        self.assertTrue(m, r.header("Location"))
        uid1 = int(m.group(1))
        got = self.with_subject(ALICE, "Drafts", subject)
        self.assertEqual(len(got), 1)
        self.assertTrue(got[0][1] & 0x10, "\\Draft")
        self.assertEqual(self.with_subject(BOB, "INBOX", subject), [])
        page = self.c.get(r.header("Location"))
        self.assertIn("Draft saved.", page.text)
        self.assertIn("first try", page.text)
        self.assertIn('name="draft_uid" value="%d"' % uid1, page.text)
        keep = re.findall(r'name="keep" value="([0-9.]+)" checked', page.text)
        self.assertEqual(len(keep), 1)
        # saved again: replaces it
        r = self.post_form("/mail/compose", [
            ("mode", "draft"), ("src_mb", str(drafts)), ("src_uid", str(uid1)),
            ("draft_uid", str(uid1)), ("keep", keep[0]), ("to", BOB),
            ("subject", subject), ("body", "second try"), ("action", "save")])
        self.assertEqual(r.status, 303)
        uid2 = int(re.search(r"uid=(\d+)", r.header("Location")).group(1))
        got = self.with_subject(ALICE, "Drafts", subject)
        self.assertEqual([g[0] for g in got], [uid2])
        self.assertIn(b"second try", got[0][2])
        self.assertIn(b"attached", base64.b64decode(
            re.search(rb"\r\n\r\n([A-Za-z0-9+/=\r\n]+)\r\n--", got[0][2].split(b"a.txt", 1)[1])
            .group(1)))
        # sent from the draft: Drafts loses it, Sent and Bob have it
        r = self.post_form("/mail/compose", [
            ("mode", "draft"), ("src_mb", str(drafts)), ("src_uid", str(uid2)),
            ("draft_uid", str(uid2)), ("keep", keep[0]), ("to", BOB),
            ("subject", subject), ("body", "final"), ("action", "send")])
        self.assertEqual(r.status, 303)
        self.assertEqual(self.with_subject(ALICE, "Drafts", subject), [])
        self.assertEqual(len(messages_in(self.srv, ALICE, "Drafts")), before)
        self.assertEqual(len(self.with_subject(ALICE, "Sent", subject)), 1)
        bob = self.with_subject(BOB, "INBOX", subject)
        self.assertEqual(len(bob), 1)
        self.assertEqual([p.get_content() for p in parsed(bob[0][2]).iter_attachments()],
                         ["attached\n"])

    def test_delete_to_trash_then_expunge_and_empty(self):
        inbox = mailbox_id(self.srv, ALICE)
        trash = mailbox_id(self.srv, ALICE, "Trash")
        subjects = [self.unique("Old news"), self.unique("Older news")]
        for s in subjects:
            self.srv.deliver(ALICE, make_message(subject=s))
        uids = [self.with_subject(ALICE, "INBOX", s)[0][0] for s in subjects]
        for uid in uids:
            r = self.post("/mail/%d/%d/delete" % (inbox, uid), {})
            self.assertEqual(r.status, 303)
            self.assertEqual(r.header("Location"), "/mail/%d" % inbox)
        for s in subjects:
            self.assertEqual(self.with_subject(ALICE, "INBOX", s), [])
            self.assertEqual(len(self.with_subject(ALICE, "Trash", s)), 1)
        # in Trash, Delete is for good
        tuid = self.with_subject(ALICE, "Trash", subjects[0])[0][0]
        self.assertEqual(self.post("/mail/%d/%d/delete" % (trash, tuid), {}).status, 303)
        self.assertEqual(self.with_subject(ALICE, "Trash", subjects[0]), [])
        self.assertEqual(len(self.with_subject(ALICE, "Trash", subjects[1])), 1)
        r = self.post("/mail/%d/empty" % trash, {})
        self.assertEqual(r.status, 303, r.text[:300])
        self.assertEqual(messages_in(self.srv, ALICE, "Trash"), [])
        # only Trash can be emptied
        self.srv.deliver(ALICE, make_message(subject=self.unique("Keep")))
        n = len(messages_in(self.srv, ALICE, "INBOX"))
        self.assertEqual(self.post("/mail/%d/empty" % inbox, {}).status, 400)
        self.assertEqual(len(messages_in(self.srv, ALICE, "INBOX")), n)

    def test_folders_create_rename_delete_and_move(self):
        name = "Projects-%s" % uuid.uuid4().hex[:6]
        r = self.post("/mail/folders", {"name": name})
        self.assertEqual(r.status, 303)
        mb = mailbox_id(self.srv, ALICE, name)
        self.assertIn(">%s<" % name, self.c.get("/mail/folders").text)
        self.assertEqual(self.post("/mail/folders", {"name": name}).status, 409)
        subject = self.unique("Move me")
        self.srv.deliver(ALICE, make_message(subject=subject))
        inbox = mailbox_id(self.srv, ALICE)
        uid = self.with_subject(ALICE, "INBOX", subject)[0][0]
        page = self.c.get("/mail/%d/%d" % (inbox, uid))
        self.assertIn('<option value="%d">%s</option>' % (mb, name), page.text)
        r = self.post("/mail/%d/%d/move" % (inbox, uid), {"to": str(mb)})
        self.assertEqual(r.status, 303)
        self.assertEqual(self.with_subject(ALICE, "INBOX", subject), [])
        self.assertEqual(len(self.with_subject(ALICE, name, subject)), 1)
        r = self.post("/mail/%d/rename" % mb, {"name": name + "-2024"})
        self.assertEqual(r.status, 303)
        self.assertEqual(mailbox_id(self.srv, ALICE, name + "-2024"), mb)
        self.assertEqual(len(self.with_subject(ALICE, name + "-2024", subject)), 1)
        self.assertEqual(self.post("/mail/%d/delete" % mb, {}).status, 303)
        self.assertEqual(self.srv.sql("SELECT count(*) FROM mailboxes WHERE id = ?", (mb,))[0][0], 0)
        # INBOX and the special folders stay
        self.assertEqual(self.post("/mail/%d/delete" % inbox, {}).status, 400)
        sent = mailbox_id(self.srv, ALICE, "Sent")
        self.assertEqual(self.post("/mail/%d/rename" % sent, {"name": "Gone"}).status, 400)
        self.assertEqual(mailbox_id(self.srv, ALICE, "Sent"), sent)

    def test_flags_and_read_state(self):
        subject = self.unique("Flag me")
        self.srv.deliver(ALICE, make_message(subject=subject))
        inbox = mailbox_id(self.srv, ALICE)
        uid = self.with_subject(ALICE, "INBOX", subject)[0][0]

        def flags():
            return self.srv.sql("SELECT flags FROM messages WHERE mailbox_id = ? AND uid = ?",
                                (inbox, uid))[0][0]
        self.assertEqual(flags() & 5, 0)
        self.assertEqual(self.post("/mail/%d/%d/read" % (inbox, uid), {}).status, 303)
        self.assertEqual(flags() & 1, 1)
        self.assertEqual(self.post("/mail/%d/%d/unread" % (inbox, uid), {}).status, 303)
        self.assertEqual(flags() & 1, 0)
        self.assertEqual(self.post("/mail/%d/%d/flag" % (inbox, uid), {"flag": "1"}).status, 303)
        self.assertEqual(flags() & 4, 4)
        self.assertIn("Unflag", self.c.get("/mail/%d/%d" % (inbox, uid)).text)
        self.assertIn('class="flag"', self.c.get("/mail/%d" % inbox).text)
        self.assertEqual(self.post("/mail/%d/%d/flag" % (inbox, uid), {"flag": "0"}).status, 303)
        self.assertEqual(flags() & 4, 0)

    def test_search_subject_from_body(self):
        tag = uuid.uuid4().hex[:8]
        self.srv.deliver(ALICE, make_message(subject="Quarterly %s figures" % tag))
        self.srv.deliver(ALICE, make_message(subject="Hello", sender="carol%s@example.test" % tag))
        self.srv.deliver(ALICE, make_message(subject="Fruit", body="A pineapple%s a day.\r\n" % tag))

        def found(q, **extra):
            params = "q=%s" % q + "".join("&%s=%s" % kv for kv in extra.items())
            r = self.c.get("/mail/search?" + params)
            self.assertEqual(r.status, 200)
            return re.findall(r'<span class="subj">(?:<[^>]+>[^<]*</span>\s*)*([^<]*)</span>', r.text)
        self.assertEqual(found("quarterly+" + tag), ["Quarterly %s figures" % tag])
        self.assertEqual(found("carol" + tag), ["Hello"])
        self.assertEqual(found("pineapple" + tag), ["Fruit"])
        self.assertEqual(found("pineapple" + tag, **{"in": mailbox_id(self.srv, ALICE, "Sent")}), [])
        r = self.c.get("/mail/search?q=nothing" + tag)
        self.assertIn("Nothing found.", r.text)
        # the search form is there, labelled Search
        self.assertIn('<label for="q" class="sr-only">Search</label>', r.text)
        # another user's folder: the 404 of a folder that never was
        bob_inbox = mailbox_id(self.srv, BOB)
        self.assertEqual(self.c.get("/mail/search?q=x&in=%d" % bob_inbox).body,
                         self.c.get("/mail/search?q=x&in=999999").body)

    def test_plain_text_links(self):
        subject = self.unique("Links")
        self.srv.deliver(ALICE, make_message(
            subject=subject,
            body="See https://example.org/a?b=1&c=2. Or (http://example.net/x).\r\n"
                 "Not javascript:alert(1) nor <script>x</script>\r\n"))
        inbox = mailbox_id(self.srv, ALICE)
        uid = self.with_subject(ALICE, "INBOX", subject)[0][0]
        page = self.c.get("/mail/%d/%d" % (inbox, uid)).text
        self.assertIn('<a href="https://example.org/a?b=1&amp;c=2" target="_blank"'
                      ' rel="noopener noreferrer">https://example.org/a?b=1&amp;c=2</a>.', page)
        self.assertIn('<a href="http://example.net/x" target="_blank" rel="noopener noreferrer">'
                      'http://example.net/x</a>).', page)
        self.assertIn("&lt;script&gt;", page)
        self.assertNotIn('href="javascript', page)
        for label in (">Reply<", ">Reply all<", ">Forward<", ">Delete<", ">Move<"):
            self.assertIn(label, page)

    def test_compose_form_labels(self):
        page = self.c.get("/mail/compose").text
        for field, label in (("to", "To"), ("cc", "Cc"), ("bcc", "Bcc"),
                             ("subject", "Subject"), ("body", "Message")):
            self.assertIn('<label for="%s">%s</label>' % (field, label), page)
        self.assertIn('enctype="multipart/form-data"', page)
        self.assertIn(">Send</button>", page)
        self.assertIn('type="file" multiple', page)

    def test_upload_limits(self):
        subject = self.unique("Huge")
        big = os.urandom(MAX_SIZE - 1000)
        r = self.send(BOB, subject, files=[("files", "big.bin", "application/octet-stream", big)])
        self.assertEqual(r.status, 413, r.text[:300])
        self.assertIn("larger than", r.text)
        r = self.send(BOB, subject, files=[("files", "f%d.txt" % i, "text/plain", b"x")
                                           for i in range(21)])
        self.assertEqual(r.status, 400)
        self.assertEqual(self.with_subject(BOB, "INBOX", subject), [])
        self.assertEqual(self.with_subject(ALICE, "Sent", subject), [])


class WebRefusedTest(ComposeBase):
    """Each refused POST changes nothing and sends nothing."""

    def state(self):
        return (self.srv.sql("SELECT mailbox_id, uid, flags FROM messages ORDER BY id"),
                self.srv.sql("SELECT id, name FROM mailboxes ORDER BY id"),
                self.outbound_count())

    def test_no_csrf(self):
        self.srv.deliver(ALICE, make_message(subject="csrf target"))
        inbox = mailbox_id(self.srv, ALICE)
        uid = self.srv.sql("SELECT max(uid) FROM messages WHERE mailbox_id = ?", (inbox,))[0][0]
        before = self.state()
        attempts = [
            ("/mail/%d/%d/delete" % (inbox, uid), {}),
            ("/mail/%d/%d/move" % (inbox, uid), {"to": str(mailbox_id(self.srv, ALICE, "Trash"))}),
            ("/mail/%d/%d/flag" % (inbox, uid), {"flag": "1"}),
            ("/mail/%d/%d/read" % (inbox, uid), {}),
            ("/mail/%d/empty" % mailbox_id(self.srv, ALICE, "Trash"), {}),
            ("/mail/folders", {"name": "Evil"}),
            ("/mail/%d/rename" % mailbox_id(self.srv, ALICE, "Trash"), {"name": "x"}),
        ]
        for path, fields in attempts:
            for token in (None, "forged-token-0123456789abcdef"):
                f = dict(fields)
                if token:
                    f["csrf"] = token
                r = self.c.post(path, f)
                self.assertEqual(r.status, 403, path)
        for token in (None, "forged-token-0123456789abcdef"):
            fields = [("to", "%s, far@partner.test" % BOB), ("subject", "csrf send"),
                      ("body", "x"), ("action", "send")]
            if token:
                fields.insert(0, ("csrf", token))
            body, ctype = multipart(fields)
            r = self.c.request("POST", "/mail/compose", body, {"Content-Type": ctype})
            self.assertEqual(r.status, 403)
        self.assertEqual(self.state(), before)
        self.assertEqual(self.with_subject(BOB, "INBOX", "csrf send"), [])

    def test_other_users_message(self):
        self.srv.deliver(BOB, make_message(subject="bob private", to=BOB))
        bob_inbox = mailbox_id(self.srv, BOB)
        bob_uid = self.srv.sql("SELECT max(uid) FROM messages WHERE mailbox_id = ?",
                               (bob_inbox,))[0][0]
        self.srv.deliver(ALICE, make_message(subject="alice own"))
        inbox = mailbox_id(self.srv, ALICE)
        uid = self.srv.sql("SELECT max(uid) FROM messages WHERE mailbox_id = ?", (inbox,))[0][0]
        unknown = self.c.get("/mail/999999/1")
        self.assertEqual(unknown.status, 404)
        before = self.state()
        for path, fields in [
                ("/mail/%d/%d/delete" % (bob_inbox, bob_uid), {}),
                ("/mail/%d/%d/move" % (bob_inbox, bob_uid), {"to": str(inbox)}),
                ("/mail/%d/%d/flag" % (bob_inbox, bob_uid), {"flag": "1"}),
                ("/mail/%d/%d/read" % (bob_inbox, bob_uid), {}),
                ("/mail/%d/%d/unread" % (bob_inbox, bob_uid), {}),
                # Alice's own message into Bob's folder
                ("/mail/%d/%d/move" % (inbox, uid), {"to": str(bob_inbox)}),
                ("/mail/%d/delete" % bob_inbox, {}),
                ("/mail/%d/empty" % mailbox_id(self.srv, BOB, "Trash"), {}),
                ("/mail/%d/rename" % bob_inbox, {"name": "x"})]:
            r = self.post(path, fields)
            self.assertEqual(r.status, 404, path)
            self.assertEqual(r.body, unknown.body, path)
        for mode in ("reply", "all", "forward", "draft"):
            r = self.c.get("/mail/compose?mode=%s&mb=%d&uid=%d" % (mode, bob_inbox, bob_uid))
            self.assertEqual(r.status, 404)
            self.assertEqual(r.body, unknown.body)
        # forwarding Bob's message (its attachments) from Alice's form
        r = self.post_form("/mail/compose", [
            ("mode", "forward"), ("src_mb", str(bob_inbox)), ("src_uid", str(bob_uid)),
            ("keep", "1"), ("to", "far@partner.test"), ("subject", "stolen"),
            ("body", "x"), ("action", "send")])
        self.assertEqual(r.status, 404)
        self.assertEqual(r.body, unknown.body)
        self.assertEqual(self.state(), before)
        self.assertEqual(self.c.get("/mail/%d/%d" % (bob_inbox, bob_uid)).body, unknown.body)


class WebOutboxTest(unittest.TestCase):
    """A remote recipient: the message waits in the outbound queue (the
    Sent item and the Outbox say so) until a relay takes it; a refused
    recipient comes back and the Outbox lists it."""

    def setUp(self):
        self.srv = InfostoreServer(listeners=("https",))
        self.addCleanup(self.srv.cleanup)
        self.srv.start()
        self.addCleanup(self.srv.stop)

    def client(self):
        c = WebClient(self.srv.ports["https"])
        self.addCleanup(c.close)
        self.assertEqual(c.login(ALICE, ALICE_PW).status, 303)
        return c

    def send(self, c, to, subject):
        token = WebClient.csrf(c.get("/mail/compose"))
        body, ctype = multipart([("csrf", token), ("to", to), ("subject", subject),
                                 ("body", "Hello partner.\n"), ("action", "send")])
        r = c.request("POST", "/mail/compose", body, {"Content-Type": ctype})
        self.assertEqual(r.status, 303, r.text[:500])
        return r.header("Location")

    def test_waiting_then_sent_then_bounced(self):
        c = self.client()
        sent_item = self.send(c, "far@partner.test", "to the partners")
        # no relay yet: it waits
        self.assertEqual(self.srv.sql("SELECT count(*) FROM outbound")[0][0], 1)
        page = c.get(sent_item).text
        self.assertIn("Waiting for the relay", page)
        self.assertIn("far@partner.test", page)
        outbox = c.get("/mail/outbox")
        self.assertEqual(outbox.status, 200)
        self.assertIn("to the partners", outbox.text)
        self.assertIn('class="waiting"', outbox.text)
        # Bob's outbox does not show Alice's message
        bob = WebClient(self.srv.ports["https"])
        self.addCleanup(bob.close)
        bob.login(BOB, BOB_PW)
        self.assertNotIn("to the partners", bob.get("/mail/outbox").text)

        relay = Relay(tls=False, rcpt_replies={
            "gone@partner.test": ["550 5.1.1 <gone@partner.test>: Recipient address rejected"]})
        self.addCleanup(relay.close)
        self.srv.stop()
        settings = self.srv.settings()
        settings["outbound"]["relay"] = "127.0.0.1:%d" % relay.port
        self.srv.write_conf(settings)
        self.srv.start()
        relay.wait(lambda ss: any(s.get("data") and b"to the partners" in s["data"] for s in ss))
        self.assertTrue(wait_for(lambda: self.srv.sql("SELECT count(*) FROM outbound")[0][0] == 0))
        c = self.client()
        self.assertNotIn("Waiting for the relay", c.get(sent_item).text)
        self.assertIn("Nothing is waiting", c.get("/mail/outbox").text)
        (mail, rcpts, data), = [(s["mail"], s["rcpts"], s["data"]) for s in relay.sessions
                                if s.get("data") and b"to the partners" in s["data"]]
        self.assertEqual(mail, ALICE)
        self.assertIn(b"From: alice@example.test\r\n", data)

        self.send(c, "gone@partner.test", "will bounce")
        self.assertTrue(wait_for(lambda: "will bounce" in c.get("/mail/outbox").text.split(
            "Returned to you", 1)[1], timeout=30), self.srv.read_log()[-2000:])
        returned = c.get("/mail/outbox").text.split("Returned to you", 1)[1]
        self.assertIn("Not delivered: will bounce", returned)
        self.assertIn("gone@partner.test", returned)


if __name__ == "__main__":
    unittest.main()
