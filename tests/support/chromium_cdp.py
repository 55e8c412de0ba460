"""Headless Chromium driven over the DevTools protocol, with no third-party modules.

Chromium is started with --remote-debugging-pipe: it reads protocol messages
from file descriptor 3 and writes its own to descriptor 4, each a JSON text
ended by a NUL byte, so no websocket library is needed. Every browser gets a
fresh temporary profile, is kept off the network (every host name resolves
nowhere but localhost), and is closed (then killed if it lingers) on exit.

Used by the dashboard's browser test (tests/integration/dashboard_browser.py)
and its benchmark (bench/dashboard_paint.py).

    with Browser() as browser:
        page = browser.new_page(1280, 900)
        page.navigate("http://127.0.0.1:4566/_berth/ui/")
        page.wait_for("document.querySelector('tr[data-task-id]') !== null")
"""

import base64
import fcntl
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time

CHROMIUM = os.environ.get("BERTH_CHROMIUM", "/usr/bin/chromium")

# Flags that keep a headless Chromium quiet and local: no first-run UI, no
# background services calling home, no DNS for any name but localhost.
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--remote-debugging-pipe",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
    "--no-pings",
    "--metrics-recording-only",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]",
]


class CdpError(RuntimeError):
    """A protocol command failed, or the browser went away."""


class Browser:
    """One Chromium process and its protocol pipe. Not thread-safe: one caller."""

    def __init__(self, extra_flags=()):
        self.profile = tempfile.mkdtemp(prefix="berth-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def child_fds():
            # Descriptors 3 and 4 as Chromium expects them (moved out of the
            # way first, in case the pipes already use those numbers).
            # os.pipe() descriptors close on exec; dup2's copies do not.
            read_end = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)
            os.close(read_end)
            os.close(write_end)

        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, *extra_flags, "--user-data-dir=" + self.profile, "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_fds,
            close_fds=False,
            start_new_session=True,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._replies = {}
        self._events = queue.Queue()
        self._cond = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # --- the pipe ---------------------------------------------------------------

    def _read(self):
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self._cond:
                        self._replies[message["id"]] = message
                        self._cond.notify_all()
                else:
                    self._events.put(message)
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def send(self, method, params=None, session=None, timeout=30):
        """Sends one command and returns its result; raises CdpError on failure."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._next_id not in self._replies:
                if self._closed:
                    raise CdpError("the browser closed the pipe during " + method)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CdpError(method + " got no answer in %d s" % timeout)
                self._cond.wait(left)
            reply = self._replies.pop(self._next_id)
        if "error" in reply:
            raise CdpError("%s: %s" % (method, reply["error"]))
        return reply.get("result", {})

    def events(self):
        """Events received so far (drained)."""
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    # --- pages --------------------------------------------------------------------

    def new_page(self, width=1280, height=900):
        """A fresh tab of `width` x `height` CSS pixels, attached."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session, target)
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        return page

    # --- lifetime -----------------------------------------------------------------

    def close(self):
        try:
            if self.process.poll() is None:
                try:
                    self.send("Browser.close", timeout=5)
                except CdpError:
                    pass
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    # The whole process group (renderers, GPU, zygote).
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=5)
        finally:
            for fd in (self._to_browser, self._from_browser):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    """One attached tab."""

    def __init__(self, browser, session, target_id):
        self.browser = browser
        self.session = session
        self.target_id = target_id

    def close(self):
        self.browser.send("Target.closeTarget", {"targetId": self.target_id})

    def send(self, method, params=None, timeout=30):
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def navigate(self, url):
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CdpError("navigating to %s: %s" % (url, result["errorText"]))

    def eval(self, expression, timeout=30):
        """The value of a JavaScript expression (promises awaited)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in result:
            raise CdpError("%s threw: %s" % (expression, result["exceptionDetails"].get("text")))
        return result.get("result", {}).get("value")

    def wait_for(self, expression, timeout=30, interval=0.05):
        """Polls `expression` until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.eval(expression)
            if last:
                return last
            time.sleep(interval)
        raise CdpError("waited %d s for %s (last value %r)" % (timeout, expression, last))

    def click(self, selector):
        """A real mouse click (pressed and released) in the middle of the element."""
        box = self.eval(
            "(() => { const e = document.querySelector(%s); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()" % json.dumps(selector))
        if not box:
            raise CdpError("nothing to click at " + selector)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"],
                                                   "button": "left", "clickCount": 1})

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
