"""The SMTP transport against a real server on loopback (SPEC §4, issue 4 item 6).

tests/integration/smtpd.py (Debian's python3-aiosmtpd) runs with a CA and certificates
made here by the openssl command, STARTTLS required and AUTH with a password file.  Each
scripted fault must end in the right ledger state (sent, deferred, failed), nothing may
ever travel in clear, and every message the server accepts is parsed with Python's email
package and checked against the ledger."""

import email
import html
import json
import os
import re
import select
import shutil
import socket
import subprocess
import time
import unittest
from email import policy
from email.header import decode_header

import kaptest

SMTPD = os.path.join(kaptest.HERE, "smtpd.py")
SYSTEM_PY = "/usr/bin/python3"  # Debian's python3-aiosmtpd lives there

# 2026-12-01 is a Tuesday; the sample has six people with mail at 09:00 Berlin.
TUESDAY_0900 = "2026-12-01T09:00:00+01:00"
TUESDAY_0902 = "2026-12-01T09:02:00+01:00"  # before the first retry
TUESDAY_0906 = "2026-12-01T09:06:00+01:00"  # after it (retry_first = 5m)
SENDER = "kapd@supplier.example"
USER = "kapd-test"
# A marker that must never show up anywhere but in the password file and the server.
PASSWORD = "pw-%s-never-logged" % os.urandom(6).hex()

# Header fields every mail has exactly once (RFC 5322 §3.6, RFC 3834).
SINGLE_HEADERS = ("Date", "Message-ID", "From", "To", "Subject", "Auto-Submitted")
ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=")

_certs = None


def have_tools():
    if shutil.which("openssl") is None:
        return "the openssl command is not installed"
    rc = subprocess.run([SYSTEM_PY, "-c", "import aiosmtpd"], stderr=subprocess.DEVNULL
                        ).returncode
    return None if rc == 0 else "python3-aiosmtpd is not installed"


def openssl(*args, cwd):
    p = subprocess.run(["openssl"] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), p.stderr.decode()[-2000:]))


def make_certs():
    """A test CA, a server certificate it signed for 127.0.0.1, one it signed for another
    host name, and a self-signed one from a stranger (made once per run)."""
    global _certs
    if _certs is not None:
        return _certs
    d = os.path.join(kaptest.session_dir(), "tls")
    os.makedirs(d, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "rogue-ca"):
        openssl("req", "-x509", *ec, "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2",
                "-subj", "/CN=kapd %s" % ca, "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    for name, ca, san in (("server", "ca", "IP:127.0.0.1,DNS:localhost"),
                          ("otherhost", "ca", "DNS:mail.other.example"),
                          ("rogue", "rogue-ca", "IP:127.0.0.1,DNS:localhost")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n" % san)
        openssl("req", "-new", *ec, "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=%s" % name, cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile",
                name + ".ext", cwd=d)
    _certs = d
    return d


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One smtpd.py process and what it received."""

    def __init__(self, test, spool, port=0, tls="starttls", cert="server", faults=(),
                 password=PASSWORD, delay=0):
        certs = make_certs()
        pwfile = os.path.join(test.tmp, "server-password")
        with open(pwfile, "w") as f:
            f.write(password + "\n")
        self.spool = spool
        argv = [SYSTEM_PY, SMTPD, "--spool", spool, "--port", str(port), "--tls", tls,
                "--cert", os.path.join(certs, cert + ".pem"),
                "--key", os.path.join(certs, cert + ".key"),
                "--user", USER, "--password-file", pwfile]
        for f in faults:
            argv += ["--fault", f]
        if delay:
            argv += ["--delay", str(delay)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        test.addCleanup(self.stop)
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        line = self.proc.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.stop()
            test.fail("smtpd.py did not start: %s" % self.proc.stderr.read().decode()[-2000:])
        self.port = int(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for s in (self.proc.stdout, self.proc.stderr):
            s.close()

    def events(self, kind=None):
        path = os.path.join(self.spool, "events.jsonl")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            ev = [json.loads(line) for line in f if line.strip()]
        return [e for e in ev if kind is None or e["ev"] == kind]

    def messages(self):
        """[(envelope dict, raw bytes)] in the order received."""
        out = []
        for e in self.events("message"):
            with open(os.path.join(self.spool, e["name"] + ".eml"), "rb") as f:
                out.append((e, f.read()))
        return out


class SmtpTestCase(kaptest.KapTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        why = have_tools()
        if why:
            raise unittest.SkipTest(why)
        make_certs()

    def setUp(self):
        super().setUp()
        self.pwfile = self.path("smtp-password")
        fd = os.open(self.pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(PASSWORD + "\n")
        self.spool = self.path("spool")
        self.init_db()
        self.import_file(self.write_doc("sample.json", kaptest.sample_doc()))

    # -- the server and kapd -----------------------------------------------------------

    def server(self, **kw):
        return Server(self, self.spool, **kw)

    def write_conf(self, port, scheme="smtp", timeout="10s", extra=""):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n'
                    'delivery = { retry_first = "5m"; give_up_after = "4d"; };\n'
                    'mail = { transport = "smtp"; url = "%s://127.0.0.1:%d"; user = "%s";\n'
                    '  password_file = "%s"; ca_file = "%s"; timeout = "%s";\n'
                    '  from = "Key account plans <%s>"; %s };\n'
                    % (self.db, scheme, port, USER, self.pwfile,
                       os.path.join(make_certs(), "ca.pem"), timeout, SENDER, extra))

    def check(self, now):
        """kapd --once --now NOW, which must exit 0; returns (stderr, seconds)."""
        argv = [kaptest.KAPD, "-c", self.conf, "--once", "--now", now]
        start = time.monotonic()
        rc, out, err = kaptest.run(argv, timeout=120)
        took = time.monotonic() - start
        self.assert_no_sanitizer(argv, err)
        self.assertEqual(rc, 0, "kapd --once --now %s: exit %d\n%s" % (now, rc, err[-3000:]))
        self.assertNotIn(PASSWORD, err, "kapd wrote the SMTP password to its log")
        return err, took

    # -- the ledger ----------------------------------------------------------------------

    def deliveries(self):
        """{message_id token: (id, email, state, last_error)}"""
        rows = kaptest.query(self.db, "SELECT message_id, id, email, state, last_error "
                             "FROM delivery ORDER BY id")
        for r in rows:
            self.assertNotIn(PASSWORD, r[4] or "", "the password is in the ledger")
        return {r[0]: r[1:] for r in rows}

    def states(self):
        out = {}
        for _, _, state, _ in self.deliveries().values():
            out[state] = out.get(state, 0) + 1
        return out

    def notes(self, delivery_id):
        return kaptest.query(self.db, "SELECT n.item_key, n.rule, n.stage, n.deadline, n.title "
                             "FROM notification n JOIN delivery d ON d.id = n.delivery_id "
                             "WHERE d.id = ? ORDER BY n.id", (delivery_id,))

    def assert_all_deferred(self, reason):
        d = self.deliveries()
        self.assertTrue(d, "expected deliveries in the ledger")
        bad = [(v[1], v[2], v[3]) for v in d.values() if v[2] != "deferred"]
        self.assertEqual(bad, [], "expected every delivery deferred (%s)" % reason)
        return d

    # -- what the server received ------------------------------------------------------

    def assert_received_ok(self, srv, expect_sent=None, earlier=()):
        """Checks every received message against the ledger; every sent delivery must
        have arrived (at least once, here or in `earlier`, the tokens an earlier server
        received).  Returns [message_id token] in arrival order."""
        deliveries = self.deliveries()
        tokens = []
        for env, raw in srv.messages():
            tokens.append(self.check_message(env, raw, deliveries))
        sent = {t for t, v in deliveries.items() if v[2] == "sent"}
        self.assertEqual(sent - set(tokens) - set(earlier), set(),
                         "deliveries marked sent never arrived")
        if expect_sent is not None:
            self.assertEqual(len(sent), expect_sent, "sent deliveries: %r" % self.states())
        return tokens

    def check_message(self, env, raw, deliveries):
        self.assertTrue(env["tls"], "a message arrived without TLS")
        self.assertEqual(env["auth"], USER, "a message arrived without AUTH")
        self.assertEqual(env["mail_from"], SENDER)
        self.check_wire_format(raw)
        msg = email.message_from_bytes(raw, policy=policy.default)
        for h in SINGLE_HEADERS:
            self.assertEqual(len(msg.get_all(h, [])), 1, "expected exactly one %s header" % h)
        self.assertEqual(str(msg["Auto-Submitted"]), "auto-generated")
        m = re.fullmatch(r"<([^@<>]+)@supplier\.example>", str(msg["Message-ID"]).strip())
        self.assertIsNotNone(m, "unexpected Message-ID %r" % str(msg["Message-ID"]))
        token = m.group(1)
        self.assertIn(token, deliveries, "a Message-ID the ledger does not know")
        did, addr, _, _ = deliveries[token]
        self.assertEqual(env["rcpt_tos"], [addr], "envelope recipient differs from the ledger")
        self.assertEqual([a.addr_spec for a in msg["To"].addresses], [addr])
        self.assertEqual([a.addr_spec for a in msg["From"].addresses], [SENDER])
        self.check_headers_decode(msg)
        notes = self.notes(did)
        items = []
        for h in msg.get_all("X-KAP-Item", []):
            key, *attrs = [p.strip() for p in str(h).split(";")]
            a = dict(x.split("=", 1) for x in attrs)
            items.append((key, a["rule"], a["stage"], a["due"]))
        self.assertEqual(sorted(items), sorted(n[:4] for n in notes),
                         "X-KAP-Item headers differ from the ledger's notifications")
        self.check_body(msg, [n[4] for n in notes if n[4]])
        return token

    def check_wire_format(self, raw):
        head = raw.split(b"\r\n\r\n", 1)[0]
        for line in raw.split(b"\r\n"):
            self.assertNotIn(b"\n", line, "bare LF in the message")
            self.assertNotIn(b"\r", line, "bare CR in the message")
            self.assertLessEqual(len(line), 998, "a line longer than RFC 5322 allows")
        for line in head.split(b"\r\n"):
            self.assertRegex(line.decode("ascii"), r"^[\x20-\x7e\t]*$", "header not ASCII")
            for w in ENCODED_WORD.finditer(line.decode("ascii")):
                self.assertLessEqual(len(w.group(0)), 75, "RFC 2047 §2: word too long")

    def check_headers_decode(self, msg):
        """Encoded words decode (RFC 2047), both by policy.default and by decode_header."""
        for name in ("Subject", "From", "To", "Reply-To"):
            value = msg[name]
            if value is None:
                continue
            self.assertEqual(value.defects, (), "%s: %r" % (name, value.defects))
            self.assertNotIn("=?", str(value), "%s: an encoded word did not decode" % name)
            raw = next(v for k, v in msg.raw_items() if k.lower() == name.lower())
            for text, charset in decode_header(re.sub(r"\r?\n[ \t]", " ", raw)):
                if isinstance(text, bytes):
                    text.decode(charset or "ascii")  # raises on an invalid word

    def check_body(self, msg, titles):
        parts = {}
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                parts[part.get_content_type()] = part.get_content()  # decodes or raises
        self.assertIn("text/plain", parts, "no text/plain part")
        def norm(s):
            return " ".join(s.split())
        texts = {"text/plain": norm(parts["text/plain"])}
        if "text/html" in parts:
            texts["text/html"] = norm(html.unescape(re.sub(r"<[^>]*>", " ",
                                                           parts["text/html"])))
        for kind, text in texts.items():
            for t in titles:
                self.assertIn(norm(t), text, "%s part does not name %r" % (kind, t))


class SmtpDeliveryTest(SmtpTestCase):

    def test_one_check_mails_everyone_over_one_tls_connection(self):
        srv = self.server()
        self.write_conf(srv.port)
        self.check(TUESDAY_0900)
        n = len(self.deliveries())
        self.assertGreaterEqual(n, 3, "the sample should mail several people")
        self.assertEqual(self.states(), {"sent": n})
        tokens = self.assert_received_ok(srv, expect_sent=n)
        self.assertEqual(len(tokens), n, "each delivery should arrive exactly once")
        self.assertEqual(len(srv.events("connect")), 1,
                         "expected one connection for %d mails" % n)

    def test_header_lines_with_encoded_words_fit_in_76_characters(self):
        # RFC 2047 §2; the sample has German subjects and German and Chinese names.
        srv = self.server()
        self.write_conf(srv.port)
        self.check(TUESDAY_0900)
        too_long = []
        for _, raw in srv.messages():
            head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
            too_long += [line for line in head.split("\r\n") if "=?" in line and len(line) > 76]
        self.assertTrue(srv.messages())
        self.assertEqual(too_long, [], "header lines holding encoded words longer than 76 "
                         "characters")

    def test_smtps_url_sends_over_tls_from_the_first_byte(self):
        srv = self.server(tls="smtps")
        self.write_conf(srv.port, scheme="smtps")
        self.check(TUESDAY_0900)
        n = len(self.deliveries())
        self.assertEqual(self.states(), {"sent": n})
        self.assert_received_ok(srv, expect_sent=n)


class SmtpFaultTest(SmtpTestCase):

    def resume(self, now=TUESDAY_0906, earlier=()):
        """A healthy server and a check after the retry time: everything is sent."""
        shutil.rmtree(self.spool, ignore_errors=True)
        srv = self.server()
        self.write_conf(srv.port)
        self.check(now)
        n = len(self.deliveries())
        self.assertEqual(self.states(), {"sent": n})
        return self.assert_received_ok(srv, expect_sent=n, earlier=earlier)

    def test_a_421_greeting_defers_everything_until_the_server_works(self):
        srv = self.server(faults=["greeting=421"])
        self.write_conf(srv.port)
        self.check(TUESDAY_0900)
        d = self.assert_all_deferred("421 greeting")
        self.assertTrue(all("421" in v[3] for v in d.values()), "last_error should say 421")
        self.assertEqual(srv.messages(), [])
        self.assertEqual(len(srv.events("connect")), 1, "a 421 should stop the check's "
                         "other attempts")
        tokens = self.resume()
        self.assertEqual(sorted(tokens), sorted(d), "each deferred delivery once")

    def defer_two_then_send(self, cmd):
        srv = self.server(faults=["%s=451:2" % cmd])
        self.write_conf(srv.port)
        self.check(TUESDAY_0900)
        n = len(self.deliveries())
        self.assertEqual(self.states(), {"deferred": 2, "sent": n - 2})
        first = self.assert_received_ok(srv, expect_sent=n - 2)
        deferred = [v for v in self.deliveries().values() if v[2] == "deferred"]
        self.assertTrue(all("451" in v[3] for v in deferred), deferred)
        srv.stop()
        self.check(TUESDAY_0902)  # before the retry time: nothing is tried
        self.assertEqual(self.states(), {"deferred": 2, "sent": n - 2})
        later = self.resume(earlier=first)
        self.assertEqual(sorted(first + later), sorted(self.deliveries()),
                         "every delivery exactly once over both checks")

    def test_a_temporary_auth_failure_454_defers_everything(self):
        srv = self.server(faults=["AUTH=454"])
        self.write_conf(srv.port)
        self.check(TUESDAY_0900)
        d = self.assert_all_deferred("454 to AUTH")
        self.assertTrue(all("454" in v[3] for v in d.values()), d)
        self.assertEqual(len(srv.events("connect")), 1)

    def test_451_on_mail_defers_those_mails_and_sends_them_later(self):
        self.defer_two_then_send("MAIL")

    def test_451_on_rcpt_defers_those_mails_and_sends_them_later(self):
        self.defer_two_then_send("RCPT")

    def test_451_on_data_defers_those_mails_and_sends_them_later(self):
        self.defer_two_then_send("DATA")

    def test_550_on_rcpt_fails_permanently_and_is_not_retried(self):
        srv = self.server(faults=["RCPT=550"])
        self.write_conf(srv.port)
        self.check(TUESDAY_0900)
        d = self.deliveries()
        self.assertEqual(self.states(), {"failed": len(d)})
        self.assertTrue(all("550" in v[3] for v in d.values()), d)
        srv.stop()
        self.assertEqual(self.resume_count(TUESDAY_0906), 0, "a failed delivery was retried")

    def resume_count(self, now):
        shutil.rmtree(self.spool, ignore_errors=True)
        srv = self.server()
        self.write_conf(srv.port)
        self.check(now)
        return len(srv.messages())

    def test_a_refused_password_fails_permanently_without_revealing_it(self):
        srv = self.server(password="another-password")
        self.write_conf(srv.port)
        err, _ = self.check(TUESDAY_0900)
        d = self.deliveries()
        self.assertEqual(self.states(), {"failed": len(d)})
        self.assertTrue(all("535" in v[3] for v in d.values()), d)
        self.assertEqual(srv.messages(), [])
        with open(self.db, "rb") as f:
            self.assertNotIn(PASSWORD.encode(), f.read())

    def test_a_server_without_starttls_receives_nothing_in_clear(self):
        # This server would accept mail in clear without AUTH: only kapd can refuse.
        srv = self.server(tls="none")
        self.write_conf(srv.port)
        self.check(TUESDAY_0900)
        d = self.assert_all_deferred("no STARTTLS")
        self.assertTrue(all("STARTTLS" in v[3] or "SSL" in v[3] for v in d.values()), d)
        self.assertEqual(srv.messages(), [], "kapd sent mail in clear")
        self.resume()

    def test_a_certificate_not_signed_by_the_ca_is_refused(self):
        srv = self.server(cert="rogue")
        self.write_conf(srv.port)
        self.check(TUESDAY_0900)
        d = self.assert_all_deferred("certificate from another CA")
        self.assertEqual(srv.messages(), [])
        self.assertTrue(all("certificate" in v[3].lower() or "SSL" in v[3]
                            for v in d.values()), d)

    def test_a_certificate_for_another_host_is_refused(self):
        srv = self.server(cert="otherhost")
        self.write_conf(srv.port)
        self.check(TUESDAY_0900)
        d = self.assert_all_deferred("certificate for another host")
        self.assertEqual(srv.messages(), [])
        self.assertTrue(all("127.0.0.1" in v[3] or "certificate" in v[3].lower()
                            for v in d.values()), d)

    def test_tls_verify_false_is_the_explicit_way_to_accept_any_certificate(self):
        srv = self.server(cert="rogue")
        self.write_conf(srv.port, extra="tls_verify = false;")
        self.check(TUESDAY_0900)
        n = len(self.deliveries())
        self.assertEqual(self.states(), {"sent": n})
        self.assert_received_ok(srv, expect_sent=n)

    def dropped_then_sent(self, fault):
        srv = self.server(faults=[fault])
        self.write_conf(srv.port)
        self.check(TUESDAY_0900)
        self.assertEqual(srv.messages(), [])
        d = self.assert_all_deferred(fault)
        srv.stop()
        tokens = self.resume()
        self.assertEqual(sorted(tokens), sorted(d), "each deferred delivery once")

    def test_a_connection_dropped_at_rcpt_defers_and_is_retried(self):
        self.dropped_then_sent("RCPT=drop:1")

    def test_a_connection_dropped_at_data_defers_and_is_retried(self):
        self.dropped_then_sent("DATA=drop:1")

    def test_a_connection_dropped_after_the_data_defers_and_is_retried(self):
        self.dropped_then_sent("DOT=drop:1")

    def test_a_drop_after_the_message_was_accepted_resends_it_with_the_same_message_id(self):
        # The designed duplicate window (at-least-once): the server kept the message but
        # the connection died before its answer reached kapd.
        srv = self.server(faults=["DOT=savedrop:1"])
        self.write_conf(srv.port)
        self.check(TUESDAY_0900)
        first = self.assert_received_ok(srv)
        self.assertEqual(len(first), 1)
        self.assert_all_deferred("dropped before the answer to the dot")
        srv.stop()
        later = self.resume(earlier=first)
        self.assertEqual(sorted(later), sorted(self.deliveries()))
        self.assertIn(first[0], later, "the resent copy must carry the same Message-ID")

    def test_a_server_that_never_answers_the_final_dot_times_out(self):
        srv = self.server(faults=["DOT=hang"])
        self.write_conf(srv.port, timeout="2s")
        _, took = self.check(TUESDAY_0900)
        self.assert_all_deferred("no answer to the final dot")
        self.assertLess(took, 2 + 5, "kapd took %.1f s with mail.timeout = 2s" % took)
        self.assertTrue(all("timeout" in v[3].lower() or "timed out" in v[3].lower()
                            for v in self.deliveries().values()))
        srv.stop()
        self.resume()

    def test_a_server_down_for_a_whole_check_gets_everything_at_the_retry_time(self):
        port = free_port()
        self.write_conf(port)
        _, took = self.check(TUESDAY_0900)
        d = self.assert_all_deferred("server down")
        self.assertLess(took, 10, "a refused connection should not hold the check")
        srv = self.server(port=port)
        self.check(TUESDAY_0902)
        self.assertEqual(srv.messages(), [], "retried before the retry time")
        self.check(TUESDAY_0906)
        n = len(d)
        self.assertEqual(self.states(), {"sent": n})
        tokens = self.assert_received_ok(srv, expect_sent=n)
        self.assertEqual(sorted(tokens), sorted(d))
