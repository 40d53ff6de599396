"""Meeting requests as IMAP and POP3 clients get them: iMIP delivered over
LMTP and `infostore deliver`, recognised in the shapes Outlook, Google
Calendar, Apple Calendar and Thunderbird send, rendered per
[calendar] imap_pop3_format (or the user's calendar_format) with the link
into the web access, which uses a protocol the web access answers on."""
import os
import re
import subprocess
import unittest

from infostore_harness import BIN, InfostoreServer
from test_imip_util import (DATA, LINK_RE, SAMPLES, SharedServerTest, calendar_list, ics,
                            imip_message, last_uid, parse, parts, sample, sample_uid, stored,
                            wait_for)

USERS = {
    "alice@example.test": "alice-secret",
    "bob@example.test": "bob-secret",
    "carol@example.test": "carol-secret",
    "dave@example.test": "dave-secret",
    "erin@example.test": "erin-secret",
}
# any http: link to our own host would be one the SSL-only web access
# never answers
OUR_HTTP = re.compile(rb"http://(mail\.example\.test|127\.0\.0\.1)", re.I)


def unfold(data):
    return data.replace(b"\r\n ", b"").replace(b"\n ", b"")


class ImipRenderTest(SharedServerTest):
    """One server, web access SSL-only (tls_listen, url_protocol auto)."""
    SERVER_ARGS = {"users": USERS}

    def lmtp_deliver(self, rcpt, data, sender="organizer@partner.test"):
        c = self.srv.lmtp()
        try:
            c.ehlo_or_helo_if_needed()
            refused = c.sendmail(sender, [rcpt], data)
            self.assertEqual(refused, {})
        finally:
            c.quit()

    def https_port(self):
        return self.srv.ports["https"]

    # The samples invite alice@example.test, so the tests that use them
    # deliver to alice: the first delivery of a sample adds the item, the
    # next ones find it unchanged and render the same message for it.

    def test_samples_recognised(self):
        user = "alice@example.test"
        for name in SAMPLES:
            p = self.srv.deliver(user, sample(name + ".eml"))
            self.assertRegex(p.stderr.decode(), r"imip (added|unchanged: same sequence and "
                             r"DTSTAMP) method=REQUEST user=alice@example\.test", name)
        items = calendar_list(self.srv, user)
        for name in SAMPLES:
            uid = sample_uid(name)
            self.assertIn(uid, items, name)
            self.assertEqual(items[uid]["status"], "TENTATIVE", name)
            self.assertEqual(items[uid]["answer"], "NEEDS-ACTION", name)
            self.assertTrue(items[uid]["source"].startswith("imip:<"), name)
        self.assertEqual(items[sample_uid("apple-request")]["summary"], "Design review")
        self.assertEqual(items[sample_uid("thunderbird-request")]["start"],
                         "2026-12-14T13:00:00Z")
        self.assertEqual(items[sample_uid("series-exception")]["start"],
                         "2026-12-07T08:30:00Z")

    def test_both_over_imaps_and_pop3s(self):
        """The default: readable parts with the https: link and the
        text/calendar part, over LMTP, read with imaplib and poplib."""
        user = "alice@example.test"
        self.lmtp_deliver(user, sample("outlook-request.eml"),
                          sender="olivia@contoso.example")
        uid = sample_uid("outlook-request")
        item = wait_for(lambda: calendar_list(self.srv, user).get(uid))
        self.assertTrue(item, "no calendar item after LMTP delivery")
        m = LINK_RE.match(item["link"])
        self.assertEqual(m.group(1), "https")
        self.assertEqual(int(m.group(2)), self.https_port())
        self.assertGreaterEqual(len(m.group(3)), 22)  # >= 128 bits in base64url

        last = last_uid(self.srv, user)
        imap = self.srv.imap(login=user)
        try:
            imap.select("INBOX")
            typ, data = imap.uid("FETCH", str(last), "(BODY.PEEK[])")
            self.assertEqual(typ, "OK")
            via_imap = data[0][1]
        finally:
            imap.logout()
        pop = self.srv.pop3(login=user)
        try:
            count, _ = pop.stat()
            via_pop = b"\r\n".join(pop.retr(count)[1]) + b"\r\n"
        finally:
            pop.quit()
        for raw in (via_imap, via_pop):
            self.assertIsNone(OUR_HTTP.search(raw))
            self.assertIn(item["link"].encode(), unfold(raw))
            msg = parse(raw)
            self.assertEqual(msg["Subject"], "Project kickoff")
            self.assertEqual(msg["X-Infostore-Meeting-Request"], "both")
            self.assertIn("DB9PR01MB12345A6B7C8D9E0F1A2B3C4D5E6F7A8B9C", msg["Message-ID"])
            # our summary first, then Olivia's own message
            self.assertEqual(msg.get_content_type(), "multipart/mixed")
            found = parts(msg)
            self.assertIn(item["link"], found["text/plain"][0])
            self.assertIn('href="%s"' % item["link"], found["text/html"][0])
            self.assertIn("Agenda:\n1. Scope", found["text/plain"][1])
            # one calendar part: ours, in place of hers
            self.assertEqual(len(found["text/calendar"]), 1)
            cal = found["text/calendar"][0]
            self.assertIn("METHOD:REQUEST", cal)
            self.assertIn("X-MICROSOFT-CDO-OWNERAPPTID:2121230422", cal)
            for part in msg.walk():
                if part.get_content_type() == "text/calendar":
                    self.assertEqual(part.get_param("method"), "REQUEST")
                    self.assertEqual(part.get_filename(), "invite.ics")
        # Return-Path and Received added by LMTP, nothing else before From
        self.assertTrue(via_pop.startswith(b"Return-Path: <olivia@contoso.example>\r\n"
                                           b"Received: "), via_pop[:200])

    def test_lmtp_two_recipients_own_links(self):
        """One LMTP transaction for two attendees: each gets the request
        rendered with the link to their own item."""
        uid = "two-%d@example.test" % os.getpid()
        users = ("bob@example.test", "carol@example.test")
        data = imip_message(ics(uid, attendees=[(u, "NEEDS-ACTION") for u in users]),
                            to=", ".join(users))
        c = self.srv.lmtp()
        try:
            self.assertEqual(c.sendmail("olivia@partner.test", list(users), data), {})
        finally:
            c.quit()
        links = {}
        for user in users:
            item = wait_for(lambda: calendar_list(self.srv, user).get(uid))
            self.assertTrue(item, user)
            links[user] = item["link"]
        self.assertNotEqual(links[users[0]], links[users[1]])
        for user in users:
            other = [u for u in users if u != user][0]
            raw = unfold(stored(self.srv, user, last_uid(self.srv, user)))
            self.assertIn(links[user].encode(), raw)
            self.assertNotIn(links[other].encode(), raw)

    def test_times_in_organizer_zone_and_utc(self):
        user = "alice@example.test"
        self.srv.deliver(user, sample("outlook-request.eml"))
        outlook = parts(parse(stored(self.srv, user, last_uid(self.srv, user))))
        self.srv.deliver(user, sample("google-request.eml"))
        google = parts(parse(stored(self.srv, user, last_uid(self.srv, user))))
        # the description is Olivia's text: in her part, not said again
        self.assertIn("Agenda:\n1. Scope\n2. Timeline", outlook["text/plain"][1])
        outlook, google = outlook["text/plain"][0], google["text/plain"][0]
        self.assertIn("When:      Tuesday, 15 December 2026, 10:00 \u2013 11:00 "
                      "(W. Europe Standard Time)\n"
                      "           Tuesday, 15 December 2026, 09:00 \u2013 10:00 UTC", outlook)
        self.assertIn("Organizer: Olivia Outlook <olivia@contoso.example>", outlook)
        self.assertIn("Where:     Room 4.01 (Berlin)", outlook)
        self.assertIn("Alice Example <alice@example.test> (not answered yet)", outlook)
        self.assertIn("Carol Contoso <carol@contoso.example> (not answered yet, optional)",
                      outlook)
        self.assertNotIn("Agenda:", outlook)
        # 09:00 Pacific in December is 17:00 UTC
        self.assertIn("Tuesday, 1 December 2026, 09:00 \u2013 09:30 (America/Los_Angeles)",
                      google)
        self.assertIn("Tuesday, 1 December 2026, 17:00 \u2013 17:30 UTC", google)
        self.assertIn("Repeats:   Weekly on Tuesday", google)

    def test_user_format_icalendar(self):
        """calendar_format=icalendar: the message exactly as it came."""
        user = "alice@example.test"
        self.srv.cli("user", "set", user, "calendar_format=icalendar", check=True)
        try:
            original = sample("google-request.eml")
            self.srv.deliver(user, original)
            raw = stored(self.srv, user, last_uid(self.srv, user))
            self.assertEqual(raw, original)
            self.assertIn(sample_uid("google-request"), calendar_list(self.srv, user))
        finally:
            self.srv.cli("user", "set", user, "calendar_format=default", check=True)

    def test_user_format_url(self):
        """calendar_format=url: readable parts and the link, no iCalendar."""
        user = "alice@example.test"
        self.srv.cli("user", "set", user, "calendar_format=url", check=True)
        try:
            self.srv.deliver(user, sample("thunderbird-request.eml"))
            raw = stored(self.srv, user, last_uid(self.srv, user))
            msg = parse(raw)
            found = parts(msg)
            self.assertNotIn("text/calendar", found)
            self.assertNotIn("application/ics", found)
            self.assertNotIn(b"BEGIN:VCALENDAR", raw)
            link = calendar_list(self.srv, user)[sample_uid("thunderbird-request")]["link"]
            self.assertIn(link, found["text/plain"][0])
            self.assertIn(link, found["text/html"][0])
            self.assertEqual(msg["X-Infostore-Meeting-Request"], "url")
            # the original subject, RFC 2047-encoded as it came
            self.assertIn("\u00dcbergabe Q4", msg["Subject"])
            self.assertIn("\u00dcbergabe Q4 \u2013 Stra\u00dfe & Co", found["text/plain"][0])
            self.assertIn("\u00dcbergabe Q4 \u2013 Stra\u00dfe &amp; Co", found["text/html"][0])
        finally:
            self.srv.cli("user", "set", user, "calendar_format=default", check=True)

    def test_method_only_inside_vcalendar(self):
        """Apple's shape: no method= on the Content-Type, the ics attached."""
        user = "alice@example.test"
        uid = "method-inside-%d@example.test" % os.getpid()
        data = imip_message(ics(uid, organizer="anna@icloud.example"), ct_method=False)
        p = self.srv.deliver(user, data)
        self.assertIn("imip added method=REQUEST", p.stderr.decode())
        self.assertIn(uid, calendar_list(self.srv, user))

    def test_malformed_delivered_as_mail(self):
        user = "alice@example.test"
        bad = imip_message("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
                           "SUMMARY:no uid\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        before = calendar_list(self.srv, user)
        p = self.srv.deliver(user, bad)
        self.assertIn("imip malformed", p.stderr.decode())
        self.assertIn("without UID", p.stderr.decode())
        self.assertEqual(stored(self.srv, user, last_uid(self.srv, user)), bad)
        self.assertEqual(calendar_list(self.srv, user), before)
        # not iCalendar at all, and nested far too deep
        for text in ("hello", "BEGIN:VCALENDAR\r\n" * 100):
            p = self.srv.deliver(user, imip_message(text))
            self.assertIn("imip malformed", p.stderr.decode())

    def test_not_an_attendee(self):
        user = "alice@example.test"
        uid = "not-attendee-%d@example.test" % os.getpid()
        data = imip_message(ics(uid, attendees=(("someone@partner.test", "NEEDS-ACTION"),)))
        p = self.srv.deliver(user, data)
        err = p.stderr.decode()
        self.assertRegex(err, r"imip not an attendee method=REQUEST user=alice@example\.test "
                              r"uid=%s msgid=\S+" % re.escape(uid))
        self.assertEqual(stored(self.srv, user, last_uid(self.srv, user)), data)
        self.assertNotIn(uid, calendar_list(self.srv, user))

    def test_counter_and_refresh_delivered_only(self):
        user = "alice@example.test"
        uid = "counter-%d@example.test" % os.getpid()
        for method in ("COUNTER", "REFRESH"):
            data = imip_message(ics(uid, method=method), method=method)
            p = self.srv.deliver(user, data)
            self.assertIn("imip not processed method=%s" % method, p.stderr.decode())
            self.assertEqual(stored(self.srv, user, last_uid(self.srv, user)), data)
        self.assertNotIn(uid, calendar_list(self.srv, user))

    def test_item_survives_pop3_delete(self):
        """The link is bound to the item, not the message: after a POP3
        client downloads and deletes the request, the token still names
        the item."""
        user = "dave@example.test"
        uid = "survive-%d@example.test" % os.getpid()
        self.srv.deliver(user, imip_message(ics(uid, attendees=((user, "NEEDS-ACTION"),))))
        link = calendar_list(self.srv, user)[uid]["link"]
        pop = self.srv.pop3(login=user)
        try:
            count, _ = pop.stat()
            body = b"\r\n".join(pop.retr(count)[1])
            self.assertIn(link.encode(), unfold(body))
            pop.dele(count)
        finally:
            pop.quit()
        pop = self.srv.pop3(login=user)
        try:
            self.assertEqual(pop.stat()[0], count - 1)
        finally:
            pop.quit()
        item = calendar_list(self.srv, user)[uid]
        self.assertEqual(item["link"], link)
        self.assertEqual(item["status"], "TENTATIVE")

    def test_item_survives_imap_expunge(self):
        user = "erin@example.test"
        uid = "expunge-%d@example.test" % os.getpid()
        self.srv.deliver(user, imip_message(ics(uid, attendees=((user, "NEEDS-ACTION"),))))
        link = calendar_list(self.srv, user)[uid]["link"]
        imap = self.srv.imap(login=user)
        try:
            imap.select("INBOX")
            typ, data = imap.uid("SEARCH", None, "ALL")
            last = data[0].split()[-1]
            imap.uid("STORE", last, "+FLAGS", "(\\Deleted)")
            self.assertEqual(imap.expunge()[0], "OK")
            typ, data = imap.uid("SEARCH", None, "ALL")
            self.assertNotIn(last, data[0].split())
        finally:
            imap.logout()
        self.assertEqual(calendar_list(self.srv, user)[uid]["link"], link)

    def test_golden_rendered_request(self):
        """tests/data/imip/outlook-request.ref: the rendered `both` message
        with the token, port and boundaries normalised."""
        user = "alice@example.test"
        self.srv.deliver(user, sample("outlook-request.eml"))
        raw = stored(self.srv, user, last_uid(self.srv, user))
        boundaries = re.findall(rb'boundary="([^"]+)"', raw)
        for i, b in enumerate(boundaries):
            raw = raw.replace(b, b"BOUNDARY-%d" % (i + 1))
        # the token and the port, also where quoted-printable broke the
        # line inside them, become placeholders of the same length
        token = LINK_RE.match(calendar_list(self.srv, user)[
            sample_uid("outlook-request")]["link"]).group(3)
        for secret, mark in ((token, b"T"), ("test:%d/" % self.https_port(), b"P")):
            pattern = b"(?:=\r\n)?".join(re.escape(c.encode()) for c in secret)
            raw = re.sub(pattern, lambda m: re.sub(rb"[0-9A-Za-z_-]", mark, m.group(0))
                         if mark == b"T" else re.sub(rb"[0-9]", mark, m.group(0)), raw)
        ref = os.path.join(DATA, "outlook-request.ref")
        if os.environ.get("INFOSTORE_UPDATE_GOLDEN"):
            # rewritten files are not compared in the same run: a run that
            # rewrites them proves nothing, so it fails
            with open(ref, "wb") as f:
                f.write(raw)
            self.fail("%s rewritten; run again without INFOSTORE_UPDATE_GOLDEN "
                      "to compare" % ref)
        with open(ref, "rb") as f:
            self.assertEqual(raw.decode(), f.read().decode())


class ImipLinkConfigTest(unittest.TestCase):
    """Which protocol links get, from the web listeners."""

    def deliver_link(self, srv):
        user = "alice@example.test"
        uid = "link-%d@example.test" % os.getpid()
        srv.deliver(user, imip_message(ics(uid)))
        raw = stored(srv, user, last_uid(srv, user))
        return calendar_list(srv, user)[uid]["link"], raw

    def test_http_with_plain_listener(self):
        srv = InfostoreServer(listeners=("https", "http"),
                              conf={"web": {"url_protocol": "http:"}})
        try:
            srv.start()
            link, raw = self.deliver_link(srv)
            m = LINK_RE.match(link)
            self.assertEqual(m.group(1), "http")
            self.assertEqual(int(m.group(2)), srv.ports["http"])
            self.assertIn(link.encode(), unfold(raw))
            self.assertNotIn(b"https://mail.example.test", raw)
        finally:
            srv.stop()
            srv.cleanup()

    def test_http_without_listener_is_a_config_error(self):
        srv = InfostoreServer(listeners=("https",), conf={"web": {"url_protocol": "http:"}},
                              create_users=False)
        try:
            for args in (["config", "check"], ["serve"]):
                p = subprocess.run([BIN, "-c", srv.conf_path] + args, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=60)
                self.assertEqual(p.returncode, 78, args)
                self.assertIn(b"meeting-request links would not open", p.stderr)
        finally:
            srv.cleanup()

    def test_no_web_access_delivers_icalendar(self):
        srv = InfostoreServer(listeners=("imaps",))
        try:
            srv.start()
            user = "alice@example.test"
            uid = "noweb-%d@example.test" % os.getpid()
            data = imip_message(ics(uid))
            p = srv.deliver(user, data)
            self.assertIn("no web access for links", p.stderr.decode())
            self.assertEqual(stored(srv, user, last_uid(srv, user)), data)
            self.assertEqual(calendar_list(srv, user)[uid]["link"], "-")
        finally:
            srv.stop()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
