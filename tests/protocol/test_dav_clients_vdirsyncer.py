"""CalDAV and CardDAV with a real sync client: vdirsyncer (Debian's
package, 0.19) between our server (caldav / carddav storages, TLS verified
against the test certificate) and local vdir directories (filesystem
storages, .ics and .vcf), each test in its own temporary directory with
its own status directory.

Both directions, edits on both sides to different items, deletions, and a
conflict with and without conflict_resolution = "a wins"."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from infostore_harness import SharedServerTest
from test_dav import NS, Dav, card, event, responses
from test_web import ALICE, ALICE_PW

VDIRSYNCER = shutil.which("vdirsyncer")
MISSING = "vdirsyncer is not installed: apt-get install -y vdirsyncer"

PAIR = """
[pair {name}]
a = "{name}_local"
b = "{name}_remote"
collections = [{collections}]
{resolution}
{pair_extra}

[storage {name}_local]
type = "filesystem"
path = "{local}"
fileext = "{ext}"

[storage {name}_remote]
type = "{kind}"
url = "{url}"
username = "{user}"
password = "{password}"
verify = "{cert}"
{remote_extra}
"""


def uid_of(text):
    m = re.search(r"^UID:(.*?)\r?$", text, re.M)
    return m.group(1) if m else None


class Vdir:
    """One vdirsyncer setup: a config with a calendar pair and an
    address-book pair, local directories and a status directory, all in
    one temporary directory."""

    def __init__(self, test, calendar, book, resolution=None, status=None, cal_pair_extra="",
                 cal_remote_extra=""):
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="infostore-vdirsyncer-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.calendar, self.book = calendar, book
        self.cal_dir = os.path.join(self.dir, "calendars")
        self.book_dir = os.path.join(self.dir, "contacts")
        self.status = status or os.path.join(self.dir, "status")
        self.conf = os.path.join(self.dir, "config")
        srv = test.srv
        common = {"url": srv.url("/dav/"), "user": ALICE, "password": ALICE_PW,
                  "cert": srv.cert,
                  "resolution": 'conflict_resolution = "%s"' % resolution if resolution else ""}
        with open(self.conf, "w") as f:
            f.write('[general]\nstatus_path = "%s/"\n' % self.status)
            f.write(PAIR.format(name="cal", collections='"%s"' % calendar, local=self.cal_dir + "/",
                                ext=".ics", kind="caldav", pair_extra=cal_pair_extra,
                                remote_extra=cal_remote_extra, **common))
            f.write(PAIR.format(name="book", collections='"%s"' % book,
                                local=self.book_dir + "/", ext=".vcf", kind="carddav",
                                pair_extra="", remote_extra="", **common))

    def run(self, *args, check=True):
        proc = subprocess.run([VDIRSYNCER, "-c", self.conf] + list(args), input="y\n" * 8,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=180, env=dict(os.environ, LC_ALL="C.UTF-8"))
        if check:
            self.test.assertEqual(proc.returncode, 0, "vdirsyncer %s:\n%s" % (
                " ".join(args), proc.stdout))
        return proc

    def sync(self, check=True):
        return self.run("sync", check=check)

    # local side: <dir>/<collection>/<name>.ics
    def local_files(self, which="cal"):
        d = os.path.join(self.cal_dir if which == "cal" else self.book_dir,
                         self.calendar if which == "cal" else self.book)
        out = {}
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, name), newline="") as f:
                out[os.path.join(d, name)] = f.read()
        return out

    def local_by_uid(self, uid, which="cal"):
        for path, text in self.local_files(which).items():
            if uid_of(text) == uid:
                return path, text
        return None, None

    def write_local(self, name, text, which="cal"):
        d = os.path.join(self.cal_dir if which == "cal" else self.book_dir,
                         self.calendar if which == "cal" else self.book)
        path = os.path.join(d, name)
        with open(path, "w", newline="") as f:
            f.write(text)
        return path


class VdirsyncerTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("https",)}

    @classmethod
    def setUpClass(cls):
        if VDIRSYNCER is None:
            raise AssertionError(MISSING)
        super().setUpClass()

    def setUp(self):
        self.dav = Dav(self.srv.ports["https"], ALICE, ALICE_PW)
        self.addCleanup(self.dav.close)

    def uid(self, what):
        return "%s-%d@example.test" % (what, time.time_ns())

    def fresh_collections(self):
        """A new calendar (MKCALENDAR) and address book (extended MKCOL)
        for one test, so tests do not see each other's items."""
        stamp = time.time_ns()
        cal, book = "vds-cal-%d" % stamp, "vds-book-%d" % stamp
        r = self.dav.request("MKCALENDAR", "/dav/calendars/%s/%s/" % (ALICE, cal))
        self.assertEqual(r.status, 201, r.body)
        r = self.dav.xml("MKCOL", "/dav/addressbooks/%s/%s/" % (ALICE, book),
                         '<D:mkcol xmlns:D="DAV:" xmlns:CR="%s"><D:set><D:prop><D:resourcetype>'
                         '<D:collection/><CR:addressbook/></D:resourcetype><D:displayname>'
                         'Synced</D:displayname></D:prop></D:set></D:mkcol>' % NS["CR"], "0")
        self.assertEqual(r.status, 201, r.body)
        return cal, book

    def setup_vdir(self, resolution=None, **extra):
        cal, book = self.fresh_collections()
        v = Vdir(self, cal, book, resolution, **extra)
        out = v.run("discover").stdout
        self.assertIn(cal, out)
        self.assertIn(book, out)
        v.sync()
        self.assertEqual(v.local_files("cal"), {})
        self.assertEqual(v.local_files("book"), {})
        return v

    def cal_path(self, v, name=""):
        return "/dav/calendars/%s/%s/%s" % (ALICE, v.calendar, name)

    def book_path(self, v, name=""):
        return "/dav/addressbooks/%s/%s/%s" % (ALICE, v.book, name)

    def server_items(self, collection):
        """{href: (etag, text)} of a collection, by PROPFIND and GET."""
        r = self.dav.propfind(collection, ["D:getetag", "D:resourcetype"], depth="1")
        self.assertEqual(r.status, 207, r.body)
        out = {}
        for href, entry in responses(r.tree).items():
            href = urllib.parse.unquote(href)
            if href.rstrip("/") == urllib.parse.unquote(collection).rstrip("/"):
                continue
            g = self.dav.request("GET", href)
            self.assertEqual(g.status, 200, href)
            out[href] = (g.getheader("ETag"), g.body.decode())
        return out

    def server_by_uid(self, collection, uid):
        for href, (etag, text) in self.server_items(collection).items():
            if uid_of(text) == uid:
                return href, etag, text
        return None, None, None

    def assert_quiet_sync(self, v):
        """A sync right after a sync moves nothing: the ETags the server
        lists are the ones it gave on PUT and GET."""
        out = v.sync().stdout
        self.assertNotRegex(out, r"Copying|Deleting", out)

    # --- tests ---

    def test_discovery_of_the_default_collections(self):
        v = Vdir(self, "calendar", "contacts")
        with open(v.conf) as f:
            conf = f.read()
        with open(v.conf, "w") as f:
            f.write(conf.replace('collections = ["calendar"]', 'collections = ["from b"]')
                    .replace('collections = ["contacts"]', 'collections = ["from b"]'))
        out = v.run("discover").stdout
        # the server's lists, with their display names
        self.assertRegex(out, r'"calendar" \("[^"]+"\)')
        self.assertRegex(out, r'"contacts" \("[^"]+"\)')
        # the scheduling inbox and outbox are not offered as calendars
        self.assertNotIn('"inbox"', out)
        self.assertNotIn('"outbox"', out)
        v.sync()
        self.assertTrue(os.path.isdir(os.path.join(v.cal_dir, "calendar")))
        self.assertTrue(os.path.isdir(os.path.join(v.book_dir, "contacts")))

    def test_server_items_appear_locally(self):
        v = self.setup_vdir()
        uid = self.uid("from-server")
        text = event(uid, "Made on the server")
        self.assertEqual(self.dav.put(self.cal_path(v, "srv.ics"), text).status, 201)
        cuid = self.uid("card-from-server")
        vcf = card(cuid, "Carol Server", "carol@partner.test")
        self.assertEqual(self.dav.put(self.book_path(v, "carol.vcf"), vcf,
                                      ctype="text/vcard; charset=utf-8").status, 201)
        out = v.sync().stdout
        self.assertIn("Copying (uploading) item %s to cal_local" % uid, out)
        path, local = v.local_by_uid(uid)
        self.assertIsNotNone(path, v.local_files())
        self.assertTrue(path.endswith(".ics"))
        self.assertEqual(local, text)  # byte for byte what the server holds
        path, local = v.local_by_uid(cuid, "book")
        self.assertIsNotNone(path, v.local_files("book"))
        self.assertTrue(path.endswith(".vcf"))
        self.assertEqual(local, vcf)
        self.assert_quiet_sync(v)

    def test_local_items_appear_on_the_server(self):
        v = self.setup_vdir()
        uid = self.uid("from-local")
        text = event(uid, "Made in the vdir", "20301206T100000Z", "20301206T110000Z")
        v.write_local("local.ics", text)
        cuid = self.uid("card-from-local")
        vcf = card(cuid, "Dora Local", "dora@example.test")
        v.write_local("dora.vcf", vcf, "book")
        out = v.sync().stdout
        self.assertIn("Copying (uploading) item %s to cal_remote" % uid, out)
        href, etag, stored = self.server_by_uid(self.cal_path(v), uid)
        self.assertIsNotNone(href, "the event is not on the server")
        self.assertEqual(stored, text)
        self.assertTrue(etag)
        href, etag, stored = self.server_by_uid(self.book_path(v), cuid)
        self.assertIsNotNone(href, "the card is not on the server")
        self.assertEqual(stored, vcf)
        # and it is a calendar item like any other: a time-range query finds it
        r = self.dav.xml("REPORT", self.cal_path(v),
                         '<C:calendar-query xmlns:D="DAV:" xmlns:C="%s"><D:prop><D:getetag/>'
                         '</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter '
                         'name="VEVENT"><C:time-range start="20301206T000000Z" '
                         'end="20301207T000000Z"/></C:comp-filter></C:comp-filter></C:filter>'
                         '</C:calendar-query>' % NS["C"])
        self.assertEqual(len(responses(r.tree)), 1, r.body)
        self.assert_quiet_sync(v)

    def test_edits_on_both_sides_to_different_items(self):
        v = self.setup_vdir()
        uid_a, uid_b = self.uid("edit-local"), self.uid("edit-server")
        v.write_local("a.ics", event(uid_a, "A before"))
        self.assertEqual(self.dav.put(self.cal_path(v, "b.ics"), event(uid_b, "B before")).status,
                         201)
        cuid = self.uid("card-edit")
        v.write_local("c.vcf", card(cuid, "Carl Before", "carl@example.test"), "book")
        v.sync()
        # local edit of A and of the card, server edit of B (with If-Match)
        path_a, _ = v.local_by_uid(uid_a)
        with open(path_a, "w", newline="") as f:
            f.write(event(uid_a, "A edited locally"))
        path_c, _ = v.local_by_uid(cuid, "book")
        with open(path_c, "w", newline="") as f:
            f.write(card(cuid, "Carl After", "carl@example.test"))
        href_b, etag_b, _ = self.server_by_uid(self.cal_path(v), uid_b)
        r = self.dav.put(href_b, event(uid_b, "B edited on the server"), {"If-Match": etag_b})
        self.assertEqual(r.status, 204, r.body)
        out = v.sync().stdout
        self.assertIn("Copying (updating) item %s to cal_remote" % uid_a, out)
        self.assertIn("Copying (updating) item %s to cal_local" % uid_b, out)
        self.assertIn("SUMMARY:A edited locally", self.server_by_uid(self.cal_path(v), uid_a)[2])
        self.assertIn("SUMMARY:B edited on the server", v.local_by_uid(uid_b)[1])
        self.assertIn("FN:Carl After", self.server_by_uid(self.book_path(v), cuid)[2])
        self.assert_quiet_sync(v)

    def test_deletions_propagate(self):
        v = self.setup_vdir()
        uid_l, uid_s = self.uid("del-local"), self.uid("del-server")
        v.write_local("l.ics", event(uid_l, "Deleted locally"))
        v.write_local("s.ics", event(uid_s, "Deleted on the server"))
        v.sync()
        href_l, _, _ = self.server_by_uid(self.cal_path(v), uid_l)
        href_s, etag_s, _ = self.server_by_uid(self.cal_path(v), uid_s)
        self.assertTrue(href_l and href_s)
        os.unlink(v.local_by_uid(uid_l)[0])
        self.assertEqual(self.dav.request("DELETE", href_s, headers={"If-Match": etag_s}).status,
                         204)
        out = v.sync().stdout
        self.assertIn("Deleting item %s from cal_remote" % uid_l, out)
        self.assertIn("Deleting item %s from cal_local" % uid_s, out)
        self.assertEqual(self.dav.request("GET", href_l).status, 404)
        self.assertEqual(v.local_by_uid(uid_s), (None, None))
        self.assertEqual(self.server_items(self.cal_path(v)), {})
        self.assert_quiet_sync(v)

    def conflict(self, v):
        """The same item changed on both sides since the last sync."""
        uid = self.uid("conflict")
        v.write_local("x.ics", event(uid, "Original"))
        v.sync()
        path, _ = v.local_by_uid(uid)
        with open(path, "w", newline="") as f:
            f.write(event(uid, "Local version"))
        href, etag, _ = self.server_by_uid(self.cal_path(v), uid)
        r = self.dav.put(href, event(uid, "Server version"), {"If-Match": etag})
        self.assertEqual(r.status, 204, r.body)
        return uid, path, href

    def test_conflict_without_resolution_is_reported(self):
        v = self.setup_vdir()
        uid, path, href = self.conflict(v)
        proc = v.sync(check=False)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("One item changed on both sides", proc.stdout)
        # nothing was overwritten on either side
        with open(path, newline="") as f:
            self.assertIn("SUMMARY:Local version", f.read())
        self.assertIn("SUMMARY:Server version", self.dav.request("GET", href).body.decode())

    def test_conflict_a_wins(self):
        v = self.setup_vdir(resolution="a wins")
        uid, path, href = self.conflict(v)
        out = v.sync().stdout
        self.assertIn("Copying (updating) item %s to cal_remote" % uid, out)
        got = self.dav.request("GET", href)
        self.assertIn("SUMMARY:Local version", got.body.decode())
        with open(path, newline="") as f:
            self.assertIn("SUMMARY:Local version", f.read())
        self.assert_quiet_sync(v)

    def test_time_range_restricted_sync(self):
        # start_date / end_date: vdirsyncer lists the calendar with a
        # calendar-query time-range instead of PROPFIND
        v = self.setup_vdir(cal_remote_extra='start_date = "datetime(2030, 12, 1)"\n'
                                             'end_date = "datetime(2031, 1, 1)"\n'
                                             'item_types = ["VEVENT"]')
        inside, outside, weekly = (self.uid("inside"), self.uid("outside"),
                                   self.uid("weekly"))
        for name, text in (("in.ics", event(inside, "In December")),
                           ("out.ics", event(outside, "Next spring", "20310401T090000Z",
                                             "20310401T100000Z")),
                           ("weekly.ics", event(weekly, "Weekly since November",
                                                "20301104T090000Z", "20301104T100000Z",
                                                ["RRULE:FREQ=WEEKLY;COUNT=6"]))):
            self.assertEqual(self.dav.put(self.cal_path(v, name), text).status, 201)
        v.sync()
        got = sorted(uid_of(t) for t in v.local_files().values())
        # the weekly series starts in November but has occurrences in December
        self.assertEqual(got, sorted([inside, weekly]))

    def test_metasync_displayname_and_color(self):
        v = self.setup_vdir(cal_pair_extra='metadata = ["color", "displayname"]')
        r = self.dav.xml("PROPPATCH", self.cal_path(v),
                         '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>'
                         'Team calendar</D:displayname></D:prop></D:set></D:propertyupdate>', "0")
        self.assertEqual(r.status, 207, r.body)
        out = v.run("metasync").stdout
        self.assertIn("Copying displayname to cal_local", out)
        local = os.path.join(v.cal_dir, v.calendar)
        with open(os.path.join(local, "displayname")) as f:
            self.assertEqual(f.read().strip(), "Team calendar")
        with open(os.path.join(local, "color"), "w") as f:
            f.write("#1E90FFFF")
        out = v.run("metasync").stdout
        self.assertIn("Copying color to cal_remote", out)
        r = self.dav.xml(
            "PROPFIND", self.cal_path(v),
            '<D:propfind xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/"><D:prop>'
            '<A:calendar-color/></D:prop></D:propfind>', "0")
        color = r.tree.find(".//{http://apple.com/ns/ical/}calendar-color")
        self.assertIsNotNone(color, r.body)
        self.assertEqual(color.text, "#1E90FFFF")
        # and a metasync with nothing changed copies nothing
        self.assertNotIn("Copying", v.run("metasync").stdout)

    def test_server_refusal_is_reported_not_hidden(self):
        # a VTODO is not supported in our calendars (VEVENT only): the
        # upload fails with the server's 403 and vdirsyncer says so
        v = self.setup_vdir()
        uid = self.uid("todo")
        v.write_local("todo.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                      "BEGIN:VTODO\r\nUID:%s\r\nDTSTAMP:20261201T000000Z\r\n"
                      "SUMMARY:A task\r\nEND:VTODO\r\nEND:VCALENDAR\r\n" % uid)
        proc = v.sync(check=False)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("403", proc.stdout)
        self.assertEqual(self.server_items(self.cal_path(v)), {})


if __name__ == "__main__":
    unittest.main()
