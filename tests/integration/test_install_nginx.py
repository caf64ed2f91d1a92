"""The nginx example as installed (issue 11): `make install DESTDIR=...`, the installed
sysusers and tmpfiles snippets applied to that tree, the installed kapd running as its
own user with the unit's UMask=0027 writes the feeds, and a real nginx on loopback,
configured with the installed example (only its path moved into the tree), serves them
from workers that run as an unprivileged user of the group www-data -- as Debian's nginx
does.  The example's comments about modes are checked against the installed tmpfiles
snippet and against the files kapd really wrote."""

import grp
import json
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time
import unittest

import kaptest
import test_install

NOW = "2026-12-01T09:00:00+01:00"

NGINX_CONF = """daemon off;
master_process on;
user nobody www-data;
worker_processes 1;
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/nginx-error.log warn;
events { worker_connections 64; }
http {
    access_log %(tmp)s/nginx-access.log;
    client_body_temp_path %(tmp)s/nginx-body;
    proxy_temp_path %(tmp)s/nginx-proxy;
    fastcgi_temp_path %(tmp)s/nginx-fastcgi;
    uwsgi_temp_path %(tmp)s/nginx-uwsgi;
    scgi_temp_path %(tmp)s/nginx-scgi;
    server {
        listen 127.0.0.1:%(port)d;
        root %(tmp)s/www-root;
        include %(snippet)s;
    }
}
"""


def as_user(uid, gid):
    """preexec_fn: drop to uid/gid without supplementary groups, with the unit's umask."""
    def drop():
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        os.umask(0o027)
    return drop


class InstalledNginxTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: a kapd user, chown and nginx's user switch")
        for tool in ("make", "nginx", "curl", "systemd-sysusers", "systemd-tmpfiles"):
            if shutil.which(tool) is None and not os.access("/usr/sbin/" + tool, os.X_OK):
                raise unittest.SkipTest("%s is not installed" % tool)
        try:
            pwd.getpwnam("nobody")
            grp.getgrnam("www-data")
        except KeyError:
            raise unittest.SkipTest("no user nobody or group www-data")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kapd-nginx-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        os.chmod(self.tmp, 0o755)  # the kapd user and nginx's workers pass through
        self.root = os.path.join(self.tmp, "root")
        os.mkdir(self.root, 0o755)
        rc, out, err = test_install.make("install", "DESTDIR=" + self.root, "PREFIX=/usr")
        self.assertEqual(rc, 0, "make install failed:\n%s%s" % (out, err))
        self.uid, self.gid = self.apply_snippets()
        self.feeds = os.path.join(self.root, "var/lib/kapd/feeds")
        self.db = os.path.join(self.root, "var/lib/kapd/kapd.db")

    def inroot(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def apply_snippets(self):
        """systemd-sysusers and systemd-tmpfiles --root on the installed tree; returns the
        kapd user's uid and gid there."""
        os.makedirs(self.inroot("etc"), exist_ok=True)
        for name in ("passwd", "group"):
            open(self.inroot("etc/" + name), "a").close()
        with open(self.inroot("etc/group"), "a") as f:
            f.write("www-data:x:%d:\n" % grp.getgrnam("www-data").gr_gid)
        for argv in (["systemd-sysusers", "--root", self.root,
                      self.inroot("usr/lib/sysusers.d/kapd.conf")],
                     ["systemd-tmpfiles", "--root", self.root, "--create",
                      self.inroot("usr/lib/tmpfiles.d/kapd.conf")]):
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout.decode("utf-8", "replace"))
        with open(self.inroot("etc/passwd")) as f:
            kapd = [ln.split(":") for ln in f if ln.startswith("kapd:")][0]
        return int(kapd[2]), int(kapd[3])

    def run_as_kapd(self, *argv):
        p = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120, env=kaptest.child_env(),
                           preexec_fn=as_user(self.uid, self.gid))
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, "%s: exit %d\n%s" % (" ".join(argv), p.returncode,
                                                                err[-2000:]))
        return out

    def write_feeds(self):
        """The installed kapctl and kapd, as the kapd user: import the sample, one check."""
        conf = os.path.join(self.tmp, "kapd.conf")
        with open(conf, "w") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n'
                    'mail = { transport = "file"; directory = "%s"; '
                    'from = "kapd <kapd@supplier.example>"; };\n'
                    'feeds = { directory = "%s"; base_url = "http://127.0.0.1/kapd/"; };\n'
                    % (self.db, os.path.join(self.root, "var/lib/kapd/outbox"), self.feeds))
        os.chmod(conf, 0o644)
        doc = kaptest.write_json(os.path.join(self.tmp, "plan.json"), kaptest.sample_doc())
        os.chmod(doc, 0o644)
        kapctl = [self.inroot("usr/bin/kapctl"), "-c", conf]
        self.run_as_kapd(*kapctl, "init")
        self.run_as_kapd(*kapctl, "import", doc)
        self.run_as_kapd(self.inroot("usr/sbin/kapd"), "-c", conf, "--once", "--now", NOW)
        return json.loads(self.run_as_kapd(*kapctl, "feeds", "--json"))

    def start_nginx(self):
        with open(self.inroot("usr/share/doc/kapd/examples/nginx-kapd.conf"),
                  encoding="utf-8") as f:
            snippet = f.read()
        self.assertIn("alias /var/lib/kapd/feeds/", snippet)
        snippet = snippet.replace("alias /var/lib/kapd/feeds/", "alias %s/" % self.feeds)
        path = os.path.join(self.tmp, "kapd-feeds.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(snippet)
        os.makedirs(os.path.join(self.tmp, "www-root"))
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        conf = os.path.join(self.tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF % {"tmp": self.tmp, "port": self.port, "snippet": path})
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        proc = subprocess.Popen([nginx, "-p", self.tmp, "-c", conf, "-e",
                                 os.path.join(self.tmp, "nginx-error.log")],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.addCleanup(self.stop, proc)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail("nginx exited (%d): %s" % (proc.returncode,
                                                     proc.stdout.read().decode()[-2000:]))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.fail("nginx did not listen on 127.0.0.1:%d" % self.port)

    @staticmethod
    def stop(proc):
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def get(self, path):
        """(status, body) of GET path via curl."""
        p = subprocess.run(["curl", "-sS", "--max-time", "10", "-o", "-", "-w",
                            "\n%{http_code}", "http://127.0.0.1:%d%s" % (self.port, path)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        body, _, code = p.stdout.rpartition(b"\n")
        return int(code), body

    def probe(self, user, group, action, path):
        """Runs action ("list" or "read") on path as user:group; True when allowed."""
        code = ("import os, sys\ntry:\n    %s\nexcept PermissionError:\n    sys.exit(3)\n"
                % ("os.listdir(sys.argv[1])" if action == "list" else
                   "open(sys.argv[1], 'rb').read()"))
        p = subprocess.run([kaptest.PY, "-c", code, path], timeout=30,
                           preexec_fn=as_user(pwd.getpwnam(user).pw_uid,
                                              grp.getgrnam(group).gr_gid))
        self.assertIn(p.returncode, (0, 3), "probe %s %s failed" % (action, path))
        return p.returncode == 0

    def tmpfiles_line(self, path):
        with open(self.inroot("usr/lib/tmpfiles.d/kapd.conf")) as f:
            for ln in f:
                parts = ln.split()
                if parts and parts[0] == "d" and parts[1] == path:
                    return parts[2], parts[3], parts[4]
        self.fail("no tmpfiles line for %s" % path)

    def test_installed_example_comments_state_the_installed_modes(self):
        with open(self.inroot("usr/share/doc/kapd/examples/nginx-kapd.conf"),
                  encoding="utf-8") as f:
            comments = "\n".join(ln.lstrip("# ") for ln in f if ln.startswith("#"))
        comments = re.sub(r"\s+", " ", comments)
        self.assertIn("share/doc/kapd/examples/nginx-kapd.conf", comments)
        self.assertTrue(os.path.exists(self.inroot("usr/share/doc/kapd/examples/"
                                                   "nginx-kapd.conf")))
        for path in ("/var/lib/kapd", "/var/lib/kapd/feeds", "/var/lib/kapd/pages"):
            mode, user, group = self.tmpfiles_line(path)
            self.assertIn("%s mode %s %s:%s" % (path, mode, user, group), comments,
                          "the example's comment does not state the tmpfiles line of %s"
                          % path)
        with open(self.inroot("usr/lib/systemd/system/kapd.service")) as f:
            umask = re.search(r"^UMask=(\d+)$", f.read(), re.M).group(1)
        self.assertIn("UMask=%s" % umask, comments)
        self.assertIn("mode 0644", comments)

    def test_nginx_worker_in_group_www_data_serves_the_installed_feeds(self):
        listed = self.write_feeds()
        self.assertGreater(len(listed), 3, "expected plan and person feeds")
        www = grp.getgrnam("www-data").gr_gid
        st = os.stat(self.feeds)
        self.assertEqual((oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid),
                         (oct(0o2710), self.uid, www), "feeds directory as installed")
        for e in listed:
            st = os.stat(os.path.join(self.feeds, e["file"]))
            self.assertEqual((oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid),
                             (oct(0o644), self.uid, www),
                             "feed %s: mode 0644 despite UMask=0027, group www-data from the "
                             "setgid directory" % e["file"])
        st = os.stat(self.db)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o640, "the database follows the umask")
        self.start_nginx()
        for e in listed:
            status, body = self.get("/kapd/" + e["file"])
            self.assertEqual(status, 200, "GET %s" % e["file"])
            with open(os.path.join(self.feeds, e["file"]), "rb") as f:
                self.assertEqual(body, f.read())
        self.assertEqual(self.get("/kapd/")[0], 404)
        # What the comments promise, checked as the users themselves.
        feed = os.path.join(self.feeds, listed[0]["file"])
        self.assertTrue(self.probe("nobody", "www-data", "read", feed))
        self.assertFalse(self.probe("nobody", "www-data", "list", self.feeds),
                         "the web server's group must not list the feeds")
        self.assertFalse(self.probe("nobody", "www-data", "read", self.db),
                         "the web server must not read the database")
        self.assertFalse(self.probe("nobody", "nogroup", "read", feed),
                         "someone outside www-data must not read a feed")
