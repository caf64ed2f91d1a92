"""A real Dovecot IMAP server for the reply tests, started on loopback with a
configuration written here: TLS with the test CA of test_smtp.make_certs(), one user with a
password (passwd-file), maildirs in a temporary directory.  Dovecot needs root (it
changes to the mail user); without root or without Dovecot the tests say why and skip."""

import imaplib
import os
import shutil
import ssl
import subprocess
import time

from test_smtp import free_port, make_certs

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "kap", "imap-s3cret"

CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{certs}/server.pem
ssl_key = <{certs}/server.key
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:{d}/mail/%u
namespace inbox {{
  inbox = yes
  separator = /
}}
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {sport}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
{extra}
"""


def unavailable():
    if not os.path.exists(DOVECOT):
        return "Dovecot is not installed (dovecot-imapd)"
    if os.geteuid() != 0:
        return "Dovecot needs root to start (the CI runs make check as root)"
    return None


class Dovecot:
    """One dovecot -F process; stop() ends it."""

    def __init__(self, test, without_move=False):
        self.dir = os.path.join(test.tmp, "dovecot")
        self.certs = make_certs()
        for sub in ("run", "state", "mail", "home"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        nobody = 65534
        for sub in ("mail", "home"):
            os.chown(os.path.join(self.dir, sub), nobody, nobody)
        os.chmod(self.dir, 0o755)
        os.chmod(test.tmp, 0o755)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write("%s:{PLAIN}%s\n" % (USER, PASSWORD))
        self.port, self.sport = free_port(), free_port()
        extra = ""
        if without_move:
            extra = "protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ SASL-IR " \
                    "LOGIN-REFERRALS ID ENABLE IDLE\n}\n"
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(d=self.dir, certs=self.certs, uid=nobody, gid=nobody,
                                port=self.port, sport=self.sport, extra=extra))
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        test.addCleanup(self.stop)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                test.fail("dovecot exited: %s\n%s" % (self.proc.stderr.read().decode(),
                                                      self.log()))
            try:
                with self.client():
                    return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        test.fail("dovecot did not answer on 127.0.0.1:%d\n%s" % (self.sport, self.log()))

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def client(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.pem"))
        c = imaplib.IMAP4_SSL("127.0.0.1", self.sport, ssl_context=ctx, timeout=10)
        c.login(USER, PASSWORD)
        return c

    def append(self, raw, mailbox="INBOX"):
        with self.client() as c:
            typ, data = c.append(mailbox, None, None, raw)
            if typ != "OK":
                raise RuntimeError("APPEND: %r" % data)

    def count(self, mailbox):
        with self.client() as c:
            typ, data = c.select('"%s"' % mailbox, readonly=True)
            return int(data[0]) if typ == "OK" else -1

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()
