"""Headless Chromium driven through its remote debugging protocol over a pipe
(--remote-debugging-pipe: NUL-terminated JSON on file descriptors 3 and 4), with Python's
standard library only: no websocket, no driver.  Used by the plan page tests to load a page
from file:// at a given viewport, measure it, take a screenshot and print it to PDF.

    with Browser() as b:
        tab = b.open("file:///tmp/page.html", 375, 800)
        tab.evaluate("document.documentElement.scrollWidth")
        png = tab.screenshot()
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import zlib

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium():
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(Exception):
    pass


class Browser:
    def __init__(self, timeout=60):
        self.path = find_chromium()
        if self.path is None:
            raise BrowserError("no chromium on PATH")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="kapd-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes answers on fd 4 (copied out of the
        # way first, so neither dup2 overwrites the other's source).
        def fds():
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
        argv = [self.path, "--headless", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
                "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                "--disable-extensions", "--disable-background-networking", "about:blank"]
        self.proc = subprocess.Popen(argv, preexec_fn=fds, pass_fds=(3, 4),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.send("Browser.close", wait=False)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.to_chrome, self.from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, True)

    def _read_message(self):
        import select
        while b"\0" not in self.buf:
            ready, _, _ = select.select([self.from_chrome], [], [], self.timeout)
            if not ready:
                raise BrowserError("chromium did not answer within %d s" % self.timeout)
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise BrowserError("chromium closed the pipe (exit %s)" % self.proc.poll())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, wait=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        if not wait:
            return None
        while True:
            m = self._read_message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise BrowserError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, session):
        for i, m in enumerate(self.events):
            if m.get("method") == method and m.get("sessionId") == session:
                del self.events[i]
                return m
        while True:
            m = self._read_message()
            if m.get("method") == method and m.get("sessionId") == session:
                return m
            self.events.append(m)

    def open(self, url, width, height):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target,
                                                      "flatten": True})["sessionId"]
        tab = Tab(self, session)
        tab.send("Page.enable")
        tab.send("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        tab.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", session)
        return tab


class Tab:
    def __init__(self, browser, session):
        self.b = browser
        self.session = session

    def send(self, method, params=None):
        return self.b.send(method, params, session=self.session)

    def evaluate(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise BrowserError("evaluating %r: %s" % (expression, r["exceptionDetails"]))
        return r["result"].get("value")

    def screenshot(self):
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])

    def print_pdf(self):
        # A4 in inches; the page's own @page rule decides when preferCSSPageSize is set.
        return base64.b64decode(self.send("Page.printToPDF", {
            "paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True,
            "printBackground": True, "displayHeaderFooter": False})["data"])


def png_size(data):
    """(width, height) of a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def png_ink(data):
    """Share of the image rows that show something: a row whose filtered bytes (after the
    filter type and the first pixel) take at least three values.  A row of one colour
    never does, whatever filter the encoder chose (None repeats the colour, Sub, Up,
    Average and Paeth give zeros), so a blank screenshot scores 0 and a page of text and
    drawings clearly more, without decoding every filter in Python."""
    width, height = png_size(data)
    depth, colour = data[24], data[25]
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or data[28] != 0:
        raise ValueError("unexpected PNG format (depth %d, colour type %d)" % (depth, colour))
    pos, idat = 8, []
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == b"IDAT":
            idat.append(data[pos + 8:pos + 8 + n])
        pos += 12 + n
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels + 1
    busy = sum(1 for y in range(height)
               if len(set(raw[y * stride + 1 + channels:(y + 1) * stride])) >= 3)
    return busy / max(1, height)
