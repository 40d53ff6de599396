"""Autoconfiguration: Thunderbird's autoconfig, Outlook's Autodiscover,
the Apple configuration profile of the web settings, and `config dns`.

Each answer is read the way its client reads it: the clientConfig by a
transcription of Thunderbird's own reader (comm-central
mail/components/accountcreation/modules/readFromXML.sys.mjs over
mailnews/base/src/JXON.sys.mjs), the profile by plistlib against the keys
Apple's Configuration Profile Reference marks required
(apple/device-management mdm/profiles/*.yaml), the DNS records as zone
file lines."""
import base64
import http.client
import plistlib
import re
import unittest
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

from infostore_harness import (HOSTNAME, InfostoreServer, SharedServerTest,
                               client_tls_context)
from test_web import WebClient

ALICE, ALICE_PW = "alice@example.test", "alice-secret"
EX_USAGE, EX_CONFIG = 64, 78

TB_WELL_KNOWN = "/.well-known/autoconfig/mail/config-v1.1.xml"
TB_LEGACY = "/mail/config-v1.1.xml"
AD_PATH = "/autodiscover/autodiscover.xml"
AD_REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
AD_RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
AD_OUTLOOK_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
AD_MOBILESYNC = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"


def ad_request(address, schema=AD_OUTLOOK_NS):
    return ('<?xml version="1.0" encoding="utf-8"?>\r\n'
            '<Autodiscover xmlns="%s">\r\n<Request>\r\n'
            '<EMailAddress>%s</EMailAddress>\r\n'
            '<AcceptableResponseSchema>%s</AcceptableResponseSchema>\r\n'
            '</Request>\r\n</Autodiscover>\r\n' % (AD_REQUEST_NS, address, schema)).encode()


# --- Thunderbird's reader, transcribed ---

class TbError(Exception):
    pass


def _jxon_text(text):
    """JXON's parseText: true/false become booleans, numbers numbers."""
    if re.fullmatch(r"(?i)true|false", text):
        return text.lower() == "true"
    try:
        value = float(text)
        return int(value) if value.is_integer() else value
    except ValueError:
        return text


def jxon(elem):
    """JXON.build at its default verbosity (1), as FetchHTTP calls it: an
    element with only text is that text; otherwise an object with each
    child under its name (the first) and "$name" (all), attributes as
    "@name", and the text (whitespace included) as "value"."""
    text = (elem.text or "") + "".join(c.tail or "" for c in elem)
    if len(elem) == 0 and not elem.attrib:
        return _jxon_text(text) if text else True
    obj = {}
    for child in elem:
        name = child.tag
        value = jxon(child)
        if name not in obj:
            obj[name] = value
            obj["$" + name] = []
        obj["$" + name].append(value)
    for k, v in elem.attrib.items():
        obj["@" + k] = _jxon_text(v)
    if text:
        obj["value"] = _jxon_text(text)
    return obj


_HOST_RE = re.compile(r"^(([a-z0-9]|[a-z0-9][a-z0-9\-]{0,61}[a-z0-9])\.)*"
                      r"([a-z0-9]|[a-z0-9][a-z0-9\-]{0,61}[a-z0-9])\.?$", re.I)


def tb_hostname(value):
    """InputSanitizer.hostname (names; placeholders and IPs left out)."""
    if not value or not isinstance(value, str):
        raise TbError("hostname-syntax-error: %r" % (value,))
    value = value.strip()
    if len(value) > 255 or not _HOST_RE.match(value):
        raise TbError("hostname-syntax-error: %r" % (value,))
    return value.lower()


def tb_integer_range(value, low, high):
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise TbError("no-number-error: %r" % (value,))
    if n < low or n > high:
        raise TbError("number out of range: %r" % (value,))
    return n


def tb_translate(value, mapping):
    if value in mapping:
        return mapping[value]
    raise TbError("allowed-value-error: %r" % (value,))


SOCKET_TYPES = {"plain": "plain", "SSL": "SSL", "STARTTLS": "alwaysSTARTTLS"}
IN_AUTH = {"password-cleartext": "passwordCleartext", "plain": "passwordCleartext",
           "password-encrypted": "passwordEncrypted", "secure": "passwordEncrypted",
           "GSSAPI": "GSSAPI", "NTLM": "NTLM"}
OUT_AUTH = dict(IN_AUTH, **{"none": "none", "client-IP-address": "none",
                            "smtp-after-pop": "none"})


def tb_server(x, out, types, auth_map):
    """One incomingServer or outgoingServer as readFromXML reads it."""
    s = {"type": tb_translate(x.get("@type"), {t: t for t in types})}
    s["hostname"] = tb_hostname(x.get("hostname"))
    s["port"] = tb_integer_range(x.get("port"), 1, 65535)
    if not out or "username" in x:
        # String(undefined) would be "undefined": insist on the element
        if "username" not in x:
            raise TbError("no <username>")
        s["username"] = str(x["username"])
    s["socketType"] = None
    for st in x.get("$socketType", []):
        try:
            s["socketType"] = tb_translate(st, SOCKET_TYPES)
            break
        except TbError:
            pass
    if s["socketType"] is None:
        raise TbError("need proper <socketType> in XML")
    s["auth"] = None
    for a in x.get("$authentication", []):
        try:
            s["auth"] = tb_translate(a, auth_map)
            break
        except TbError:
            pass
    if s["auth"] is None:
        raise TbError("need proper <authentication> in XML")
    if "password" in x:
        s["password"] = x["password"]
    return s


def tb_read_from_xml(body):
    """readFromXML(JXON(body)): returns the AccountConfig as a dict, or
    raises TbError with the reason Thunderbird would give. `reached`
    records how far the reader got, so that a test can tell which check
    failed."""
    root = ET.fromstring(body)
    cc = {root.tag: jxon(root)}
    reached = []
    if "clientConfig" not in cc or not isinstance(cc["clientConfig"], dict) or \
            "emailProvider" not in cc["clientConfig"]:
        raise TbError("no-email-provider-error")
    x = cc["clientConfig"]["emailProvider"]
    d = {"id": tb_hostname(x.get("@id")), "domains": [], "incoming": None,
         "incomingAlternatives": [], "outgoing": None, "outgoingAlternatives": [],
         "reached": reached, "clientConfig": cc["clientConfig"]}
    for domain in x.get("$domain", []):
        try:
            d["domains"].append(tb_hostname(domain))
        except TbError:
            pass
    if not d["domains"]:
        raise TbError("need proper <domain> in XML")
    reached.append("domains")
    for ix in x.get("$incomingServer", []):
        try:
            s = tb_server(ix, False, ("pop3", "imap", "nntp", "exchange", "ews", "owa"),
                          IN_AUTH)
        except TbError:
            continue
        if d["incoming"] is None:
            d["incoming"] = s
        else:
            d["incomingAlternatives"].append(s)
    if d["incoming"] is None:
        raise TbError("Need proper <incomingServer> in XML file")
    reached.append("incoming")
    for ox in x.get("$outgoingServer", []):
        try:
            s = tb_server(ox, True, ("smtp",), OUT_AUTH)
        except TbError:
            continue
        if d["outgoing"] is None:
            d["outgoing"] = s
        else:
            d["outgoingAlternatives"].append(s)
    if d["outgoing"] is None:
        err = TbError("Need proper <outgoingServer> in XML file")
        err.partial = d
        raise err
    reached.append("outgoing")
    return d


# --- Apple's Configuration Profile Reference: required keys ---

APPLE_TOP_REQUIRED = {"PayloadIdentifier": str, "PayloadUUID": str, "PayloadType": str,
                      "PayloadVersion": int, "PayloadContent": list}
APPLE_PAYLOAD_REQUIRED = {"PayloadIdentifier": str, "PayloadUUID": str,
                          "PayloadType": str, "PayloadVersion": int}
APPLE_TYPE_REQUIRED = {
    "com.apple.caldav.account": {"CalDAVHostName": str},
    "com.apple.carddav.account": {"CardDAVHostName": str},
    "com.apple.mail.managed": {"EmailAccountType": str,
                               "IncomingMailServerAuthentication": str,
                               "IncomingMailServerHostName": str,
                               "OutgoingMailServerAuthentication": str,
                               "OutgoingMailServerHostName": str},
}
APPLE_TYPE_OPTIONAL = {
    "com.apple.caldav.account": {"CalDAVAccountDescription": str, "CalDAVUsername": str,
                                 "CalDAVPassword": str, "CalDAVPrincipalURL": str,
                                 "CalDAVUseSSL": bool, "CalDAVPort": int, "VPNUUID": str},
    "com.apple.carddav.account": {"CardDAVAccountDescription": str,
                                  "CardDAVUsername": str, "CardDAVPassword": str,
                                  "CardDAVPrincipalURL": str, "CardDAVUseSSL": bool,
                                  "CardDAVPort": int, "VPNUUID": str},
}
APPLE_COMMON_OPTIONAL = {"PayloadDescription": str, "PayloadDisplayName": str,
                         "PayloadOrganization": str}


def zone_records(text):
    """Zone-file lines into (name, ttl, class, type, rdata fields);
    comments and blank lines skipped."""
    records = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        fields = line.split()
        records.append((fields[0], int(fields[1]), fields[2], fields[3], fields[4:]))
    return records


class AutoconfigTest(SharedServerTest):
    SERVER_ARGS = {"listeners": ("imap", "imaps", "pop3", "pop3s", "lmtp", "https",
                                 "http")}

    def https(self):
        return WebClient(self.srv.ports["https"])

    def get(self, path, https=True, host=None):
        c = WebClient(self.srv.ports["https" if https else "http"], https=https)
        try:
            return c.get(path, headers={"Host": host} if host else None)
        finally:
            c.close()

    def post(self, path, body, content_type="text/xml"):
        c = self.https()
        try:
            return c.request("POST", path, body, {"Content-Type": content_type})
        finally:
            c.close()

    def dav_base(self):
        return "https://%s:%d/dav/" % (HOSTNAME, self.srv.ports["https"])

    # --- Thunderbird ---

    def check_thunderbird(self, resp, domain):
        self.assertEqual(resp.status, 200, resp.text)
        # FetchHTTP parses the body only for these types
        self.assertTrue(resp.header("Content-Type").startswith(("text/xml", "application/xml")))
        with self.assertRaises(TbError) as cm:
            tb_read_from_xml(resp.body)
        # No submission listener in this server, so no outgoingServer:
        # Thunderbird's reader accepts everything up to that check and
        # stops there (test_submission.py has the server with one).
        self.assertEqual(str(cm.exception), "Need proper <outgoingServer> in XML file")
        d = cm.exception.partial
        self.assertEqual(d["reached"], ["domains", "incoming"])
        self.assertEqual(d["domains"], [domain])
        self.assertEqual(d["id"], domain)
        ports = self.srv.ports
        servers = [d["incoming"]] + d["incomingAlternatives"]
        self.assertEqual([(s["type"], s["hostname"], s["port"], s["socketType"]) for s in servers],
                         [("imap", HOSTNAME, ports["imaps"], "SSL"),
                          ("imap", HOSTNAME, ports["imap"], "alwaysSTARTTLS"),
                          ("pop3", HOSTNAME, ports["pop3s"], "SSL"),
                          ("pop3", HOSTNAME, ports["pop3"], "alwaysSTARTTLS")])
        for s in servers:
            self.assertEqual(s["username"], "%EMAILADDRESS%")
            self.assertEqual(s["auth"], "passwordCleartext")
            self.assertNotIn("password", s)
        root = ET.fromstring(resp.body)
        self.assertEqual(root.get("version"), "1.1")
        self.assertEqual(root.findall(".//outgoingServer"), [])
        for tag, kind in (("addressBook", "carddav"), ("calendar", "caldav")):
            el = root.find(tag)
            self.assertEqual(el.get("type"), kind)
            self.assertEqual(el.findtext("serverURL"), self.dav_base())
            self.assertEqual(el.findtext("username"), "%EMAILADDRESS%")
            self.assertEqual(el.findtext("authentication"), "http-basic")
        return d

    def test_thunderbird_well_known(self):
        resp = self.get(TB_WELL_KNOWN + "?emailaddress=" +
                        urllib.parse.quote("carol@Other.Example"))
        self.check_thunderbird(resp, "other.example")
        # HEAD answers the same headers
        c = self.https()
        head = c.request("HEAD", TB_WELL_KNOWN)
        c.close()
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")

    def test_thunderbird_legacy_url_over_plain_http(self):
        # http://autoconfig.DOMAIN/mail/config-v1.1.xml, the URL most
        # deployments answer; the domain from the name asked for when
        # Thunderbird does not send the address
        resp = self.get(TB_LEGACY, https=False, host="autoconfig.example.org")
        self.check_thunderbird(resp, "example.org")
        # an IP address as Host: the parent domain of [server] hostname
        resp = self.get(TB_LEGACY)
        self.check_thunderbird(resp, "example.test")

    def test_thunderbird_hostile_input(self):
        resp = self.get(TB_WELL_KNOWN + "?emailaddress=" +
                        urllib.parse.quote('x@"><script>.test'),
                        host="<b>.example")
        self.assertNotIn(b"<script", resp.body)
        self.check_thunderbird(resp, "example.test")
        self.assertEqual(self.get(TB_LEGACY + "/more").status, 404)
        resp = self.post(TB_WELL_KNOWN, b"x", "application/x-www-form-urlencoded")
        self.assertEqual(resp.status, 405)
        self.assertIn("GET", resp.header("Allow"))

    # --- Outlook ---

    def autodiscover(self, body, path=AD_PATH):
        resp = self.post(path, body)
        self.assertEqual(resp.status, 200, resp.text)
        self.assertTrue(resp.header("Content-Type").startswith("text/xml"))
        return ET.fromstring(resp.body)

    def check_settings(self, root, address):
        ns = {"a": AD_RESPONSE_NS, "o": AD_OUTLOOK_NS}
        self.assertEqual(root.tag, "{%s}Autodiscover" % AD_RESPONSE_NS)
        account = root.find("o:Response/o:Account", ns)
        self.assertIsNotNone(account, ET.tostring(root))
        self.assertEqual(account.findtext("o:AccountType", namespaces=ns), "email")
        self.assertEqual(account.findtext("o:Action", namespaces=ns), "settings")
        protocols = {p.findtext("o:Type", namespaces=ns): p
                     for p in account.findall("o:Protocol", ns)}
        # no submission service: no SMTP entry
        self.assertEqual(sorted(protocols), ["IMAP", "POP3"])
        for kind, port in (("IMAP", "imaps"), ("POP3", "pop3s")):
            p = protocols[kind]
            self.assertEqual(p.findtext("o:Server", namespaces=ns), HOSTNAME)
            self.assertEqual(int(p.findtext("o:Port", namespaces=ns)), self.srv.ports[port])
            self.assertEqual(p.findtext("o:SSL", namespaces=ns), "on")
            self.assertIsNone(p.find("o:Encryption", ns))
            self.assertEqual(p.findtext("o:SPA", namespaces=ns), "off")
            self.assertEqual(p.findtext("o:AuthRequired", namespaces=ns), "on")
            self.assertEqual(p.findtext("o:LoginName", namespaces=ns), address)

    def test_autodiscover(self):
        self.check_settings(self.autodiscover(ad_request(ALICE)), ALICE)
        self.check_settings(self.autodiscover(ad_request(ALICE),
                                              "/Autodiscover/Autodiscover.xml"), ALICE)
        # an address that is no user gets the same answer: nothing here
        # tells a stranger which addresses exist
        self.check_settings(self.autodiscover(ad_request("nobody@example.test")),
                            "nobody@example.test")
        # escaped in the request, escaped in the answer
        self.check_settings(self.autodiscover(ad_request("o&amp;neil@example.test")),
                            "o&neil@example.test")

    def test_autodiscover_errors(self):
        def error_code(root):
            return root.findtext("{%s}Response/{%s}Error/{%s}ErrorCode" %
                                 ((AD_RESPONSE_NS,) * 3))
        self.assertEqual(error_code(self.autodiscover(b"not xml at all")), "600")
        self.assertEqual(error_code(self.autodiscover(ad_request("no-at-sign"))), "600")
        self.assertEqual(error_code(self.autodiscover(ad_request(ALICE, AD_MOBILESYNC))),
                         "601")
        c = self.https()
        resp = c.get(AD_PATH)
        c.close()
        self.assertEqual(resp.status, 405)
        self.assertEqual(resp.header("Allow"), "POST")
        # unauthenticated: a small limit of its own
        big = ad_request(ALICE) + b" " * 20000
        self.assertEqual(self.post(AD_PATH, big).status, 413)
        self.assertEqual(self.post(AD_PATH + "/x", ad_request(ALICE)).status, 404)

    # --- Apple ---

    def test_apple_profile_needs_login(self):
        c = self.https()
        resp = c.get("/settings/apple-profile")
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.header("Content-Type").startswith("text/html"))
        self.assertIn('name="username"', resp.text)
        self.assertNotIn("PayloadContent", resp.text)
        # after the login, the browser comes back to the download
        resp = c.login(ALICE, ALICE_PW, next_path="/settings/apple-profile")
        self.assertEqual(resp.status, 303, resp.text)
        self.assertEqual(resp.header("Location"), "/settings/apple-profile")
        resp = c.get("/settings/apple-profile")
        c.close()
        self.assertEqual(resp.header("Content-Type"), "application/x-apple-aspen-config")

    def download_profile(self):
        c = self.https()
        self.assertEqual(c.login(ALICE, ALICE_PW).status, 303)
        resp = c.get("/settings/apple-profile")
        c.close()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("Content-Type"), "application/x-apple-aspen-config")
        self.assertIn("attachment", resp.header("Content-Disposition"))
        self.assertIn(".mobileconfig", resp.header("Content-Disposition"))
        self.assertEqual(resp.header("Cache-Control"), "no-store")
        self.assertNotIn(ALICE_PW.encode(), resp.body)
        return resp.body, plistlib.loads(resp.body)

    def check_keys(self, d, required, optional):
        for key, kind in required.items():
            self.assertIn(key, d)
            self.assertIsInstance(d[key], kind, key)
        for key, value in d.items():
            if key in optional:
                self.assertIsInstance(value, optional[key], key)
            else:
                self.assertIn(key, required, "unknown key %s" % key)

    def test_apple_profile(self):
        body, profile = self.download_profile()
        self.check_keys(profile, APPLE_TOP_REQUIRED, APPLE_COMMON_OPTIONAL)
        self.assertEqual(profile["PayloadType"], "Configuration")
        self.assertEqual(profile["PayloadVersion"], 1)
        uuids = [profile["PayloadUUID"]]
        ids = [profile["PayloadIdentifier"]]
        by_type = {}
        for p in profile["PayloadContent"]:
            t = p["PayloadType"]
            self.check_keys(p, dict(APPLE_PAYLOAD_REQUIRED, **APPLE_TYPE_REQUIRED[t]),
                            dict(APPLE_COMMON_OPTIONAL, **APPLE_TYPE_OPTIONAL[t]))
            self.assertEqual(p["PayloadVersion"], 1)
            self.assertTrue(p["PayloadDisplayName"])
            uuids.append(p["PayloadUUID"])
            ids.append(p["PayloadIdentifier"])
            by_type[t] = p
        # Apple's Mail payload requires an outgoing server; with no
        # submission listener there is none, so calendar and contacts only
        self.assertEqual(sorted(by_type), ["com.apple.caldav.account",
                                           "com.apple.carddav.account"])
        for prefix, t in (("CalDAV", "com.apple.caldav.account"),
                          ("CardDAV", "com.apple.carddav.account")):
            p = by_type[t]
            self.assertEqual(p[prefix + "HostName"], HOSTNAME)
            self.assertEqual(p[prefix + "Port"], self.srv.ports["https"])
            self.assertIs(p[prefix + "UseSSL"], True)
            self.assertEqual(p[prefix + "PrincipalURL"], "/dav/principals/%s/" % ALICE)
            self.assertEqual(p[prefix + "Username"], ALICE)
            self.assertNotIn(prefix + "Password", p)
        self.assertFalse([k for p in profile["PayloadContent"] for k in p if "Password" in k])
        for u in uuids:
            self.assertEqual(str(uuid.UUID(u)).upper(), u)
        self.assertEqual(len(set(uuids)), len(uuids))
        self.assertEqual(len(set(ids)), len(ids))
        # another download: new UUIDs, the same identifiers (it replaces
        # the profile already installed)
        _, again = self.download_profile()
        self.assertNotEqual(again["PayloadUUID"], profile["PayloadUUID"])
        self.assertEqual(again["PayloadIdentifier"], profile["PayloadIdentifier"])
        self.assertEqual([p["PayloadIdentifier"] for p in again["PayloadContent"]], ids[1:])

    def test_apple_profile_principal_answers(self):
        # the principal URL of the profile is the user's DAV principal
        _, profile = self.download_profile()
        p = profile["PayloadContent"][0]
        conn = http.client.HTTPSConnection("127.0.0.1", p["CalDAVPort"], timeout=30,
                                           context=client_tls_context())
        auth = base64.b64encode(("%s:%s" % (ALICE, ALICE_PW)).encode()).decode()
        conn.request("PROPFIND", p["CalDAVPrincipalURL"],
                     body='<?xml version="1.0"?><propfind xmlns="DAV:"><prop>'
                          '<current-user-principal/></prop></propfind>',
                     headers={"Depth": "0", "Authorization": "Basic " + auth,
                              "Content-Type": "application/xml"})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        self.assertEqual(resp.status, 207, body)
        self.assertIn(b"/dav/principals/", body)

    # --- DNS ---

    def test_config_dns(self):
        proc = self.srv.cli("config", "dns")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        records = zone_records(proc.stdout.decode())
        srv = {name: rdata for name, ttl, cls, rtype, rdata in records if rtype == "SRV"}
        ports = self.srv.ports
        target = HOSTNAME + "."
        for name, ttl, cls, rtype, rdata in records:
            self.assertTrue(name.endswith("example.test."), name)
            self.assertEqual(cls, "IN")
            self.assertGreater(ttl, 0)
        expect = {"_imaps": ports["imaps"], "_imap": ports["imap"],
                  "_pop3s": ports["pop3s"], "_pop3": ports["pop3"],
                  "_caldavs": ports["https"], "_carddavs": ports["https"],
                  "_autodiscover": ports["https"]}
        for service, port in expect.items():
            prio, weight, p, t = srv["%s._tcp.example.test." % service]
            self.assertEqual((int(p), t), (port, target), service)
            self.assertGreaterEqual(int(weight), 0)
        # implicit TLS before STARTTLS, IMAP before POP3 (RFC 8314, 6186)
        prio = {s: int(srv["%s._tcp.example.test." % s][0])
                for s in ("_imaps", "_imap", "_pop3s", "_pop3")}
        self.assertLess(prio["_imaps"], prio["_imap"])
        self.assertLess(prio["_imap"], prio["_pop3s"])
        self.assertLess(prio["_pop3s"], prio["_pop3"])
        # no submission service: "not offered" (RFC 6186 4, RFC 2782 ".")
        self.assertEqual(srv["_submission._tcp.example.test."], ["0", "0", "0", "."])
        self.assertEqual(srv["_submissions._tcp.example.test."], ["0", "0", "0", "."])
        txt = {name: rdata for name, ttl, cls, rtype, rdata in records if rtype == "TXT"}
        self.assertEqual(txt["_caldavs._tcp.example.test."], ['"path=/dav/"'])
        self.assertEqual(txt["_carddavs._tcp.example.test."], ['"path=/dav/"'])
        cname = {name: rdata for name, ttl, cls, rtype, rdata in records if rtype == "CNAME"}
        self.assertEqual(cname["autoconfig.example.test."], [target])
        self.assertEqual(cname["autodiscover.example.test."], [target])


class ConfigDnsTest(unittest.TestCase):
    """config dns without a running server: domains, listeners, errors."""

    @classmethod
    def setUpClass(cls):
        cls.srv = InfostoreServer(listeners=(), users={
            "ann@Example.ORG": "pw-ann-secret", "ben@example.org": "pw-ben-secret",
            "cy@sub.example.net": "pw-cy-secret"})
        settings = cls.srv.settings()
        settings["imap"] = {"listen": "0.0.0.0:143, 127.0.0.1:1143", "tls_listen": ""}
        settings["pop3"] = {"listen": "", "tls_listen": "[::]:995"}
        settings["web"] = {"tls_listen": "0.0.0.0:443", "listen": "", "redirect_http": "",
                           "public_host": "webmail.example.net"}
        cls.srv.write_conf(settings)
        for user, pw in cls.srv.users.items():
            cls.srv.cli("user", "add", user, input=pw + "\n", check=True)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_domains_and_listeners(self):
        proc = self.srv.cli("config", "dns")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        records = zone_records(proc.stdout.decode())
        names = {r[0] for r in records}
        # every user's domain once, in lower case
        for domain in ("example.org.", "sub.example.net."):
            self.assertIn("_imap._tcp." + domain, names)
        self.assertFalse([n for n in names if n.endswith("example.test.")])
        srv = {name: rdata for name, ttl, cls, rtype, rdata in records if rtype == "SRV"}
        d = "example.org."
        # the first listener of each list; the name of [server] hostname
        self.assertEqual(srv["_imap._tcp." + d][2:], ["143", HOSTNAME + "."])
        self.assertEqual(srv["_imaps._tcp." + d], ["0", "0", "0", "."])
        self.assertEqual(srv["_pop3s._tcp." + d][2:], ["995", HOSTNAME + "."])
        self.assertEqual(srv["_pop3._tcp." + d], ["0", "0", "0", "."])
        # DAV on the web access's public name and port
        self.assertEqual(srv["_caldavs._tcp." + d][2:], ["443", "webmail.example.net."])
        self.assertEqual(len(records), len(set((r[0], r[3]) for r in records)))

    def test_no_users_uses_the_hostname(self):
        other = InfostoreServer(listeners=("imaps", "https"), create_users=False)
        try:
            proc = other.cli("config", "dns")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            names = {r[0] for r in zone_records(proc.stdout.decode())}
            self.assertIn("_imaps._tcp.example.test.", names)
            self.assertIn("autoconfig.example.test.", names)
        finally:
            other.cleanup()

    def test_errors(self):
        proc = self.srv.cli("config", "dns", "extra")
        self.assertEqual(proc.returncode, EX_USAGE)
        proc = self.srv.cli("config", "dns", "--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn(b"usage: infostore", proc.stdout)
        bad = InfostoreServer(listeners=(), conf={"imap": {"frobnicate": "1"}})
        try:
            proc = bad.cli("config", "dns")
            self.assertEqual(proc.returncode, EX_CONFIG)
            self.assertIn(b"frobnicate", proc.stderr)
            self.assertEqual(proc.stdout, b"")
        finally:
            bad.cleanup()
