"""PDF handouts printed by the machine's own headless Chromium, offline, and read back.

nbconvert's ``webpdf`` downloads a browser, which fails offline; :class:`PdfPrinter` drives
the installed Chromium over its DevTools pipe instead, and :func:`pdf_pages` reads a PDF's page
count and page size with poppler's ``pdfinfo`` (for the tests and the build summary).

>>> PAPER["a4"]
(595.28, 841.89)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from coursekit.course import defaults
from coursekit.course.files import atomic_write_bytes
from coursekit.errors import NotebookError

__all__ = ["find_chromium", "PdfPrinter", "print_pdf", "pdf_pages", "WAIT_FOR_PAGE", "PAPER"]

# Page sizes in PostScript points (1/72 inch), as pdfinfo reports them.
PAPER = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost")


def find_chromium() -> str | None:
    """Return the path of a Chromium or Chrome on this machine, or None.

    ``COURSEKIT_CHROMIUM`` names one explicitly (an empty value means "none": no PDFs).

    >>> isinstance(find_chromium(), (str, type(None)))
    True
    """
    env = os.environ.get("COURSEKIT_CHROMIUM")
    if env is not None:
        return shutil.which(env) if env else None
    for candidate in CHROMIUM_NAMES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


class PdfPrinter:
    """One headless Chromium, driven over its DevTools pipe, that prints many pages to PDF.

    Starting a browser costs about a second; printing a page with one already running costs a
    fraction of that, so a build prints every handout through one printer. Host names resolve
    to nowhere, so a page cannot reach the network while it is printed. Use it as a context
    manager (the browser is closed on exit).

    Args:
        chromium: the browser (default: :func:`find_chromium`).
        timeout: seconds allowed for one page.

    Raises:
        NotebookError: no browser, or it failed to start or to print.
    """

    def __init__(self, chromium: str | None = None, timeout: float = defaults.PDF_TIMEOUT):
        self.chromium = chromium or find_chromium()
        if self.chromium is None:
            raise NotebookError("No Chromium to print PDFs with: install it (apt-get install "
                                "chromium) or set COURSEKIT_CHROMIUM.")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="coursekit-chromium-")
        to_browser = os.pipe()
        from_browser = os.pipe()
        self._stderr = tempfile.TemporaryFile()
        # The DevTools pipe is fds 3 (commands in) and 4 (replies out) of the browser. Our ends
        # are first copied above 9 so that placing one cannot clobber the other.
        import fcntl

        child_in = fcntl.fcntl(to_browser[0], fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(from_browser[1], fcntl.F_DUPFD, 10)
        argv = [self.chromium, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile.name}",
                "--remote-debugging-pipe", "--hide-scrollbars", "about:blank"]
        try:
            self._pid = os.posix_spawn(self.chromium, argv, os.environ, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, self._stderr.fileno(), 2),
                (os.POSIX_SPAWN_DUP2, child_in, 3),
                (os.POSIX_SPAWN_DUP2, child_out, 4),
                (os.POSIX_SPAWN_CLOSE, child_in),
                (os.POSIX_SPAWN_CLOSE, child_out),
            ])
        finally:
            for fd in (child_in, child_out, to_browser[0], from_browser[1]):
                os.close(fd)
        self._write = to_browser[1]
        self._read = from_browser[0]
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        import select
        import time

        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._write, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise NotebookError("Chromium is not running (it crashed or could not start).") from None
        deadline = time.monotonic() + self.timeout
        while True:
            for reply in self._messages(deadline, select):
                if reply.get("id") == self._next_id:
                    if "error" in reply:
                        raise NotebookError(f"Chromium: {method} failed: {reply['error'].get('message')}")
                    return reply.get("result", {})
                self._events.append(reply)

    def _messages(self, deadline: float, select):
        import time

        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise NotebookError(f"Chromium did not answer within {self.timeout:g} s.")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                self._stderr.seek(0)
                tail = " ".join(self._stderr.read().decode(errors="replace").strip().splitlines()[-2:])
                raise NotebookError(f"Chromium closed its DevTools pipe ({tail or 'it crashed'}).")
            self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\0")
        return [json.loads(part) for part in complete if part]

    def _wait_event(self, method: str, session: str) -> None:
        import select
        import time

        deadline = time.monotonic() + self.timeout
        while True:
            for event in self._events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self._events.remove(event)
                    return
            self._events.extend(self._messages(deadline, select))

    def print(self, html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str]) -> Path:
        """Print one page (a local HTML file) to ``pdf_path``, atomically; return the path."""
        url = Path(html_path).resolve().as_uri()
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self._send("Page.enable", session=session)
            self._send("Page.navigate", {"url": url}, session=session)
            self._wait_event("Page.loadEventFired", session)
            # Fonts loaded and MathJax (if the page has it) done typesetting.
            self._send("Runtime.evaluate", {"expression": WAIT_FOR_PAGE, "awaitPromise": True,
                                            "returnByValue": True}, session=session)
            # A tagged PDF keeps the document structure (headings, figures with their alt
            # text) for screen readers.
            data = self._send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True,
                                                  "generateTaggedPDF": True}, session=session)["data"]
        finally:
            try:
                self._send("Target.closeTarget", {"targetId": target})
            except NotebookError:
                pass
        import base64

        return atomic_write_bytes(pdf_path, base64.b64decode(data))

    def _exited(self, wait: float = 0.0) -> bool:
        import time

        deadline = time.monotonic() + wait
        while True:
            if self._pid is None:
                return True
            pid, _ = os.waitpid(self._pid, os.WNOHANG)
            if pid:
                self._pid = None
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def close(self) -> None:
        """Close the browser (idempotent)."""
        import signal

        if not self._exited():
            try:
                os.write(self._write, json.dumps({"id": -1, "method": "Browser.close"}).encode() + b"\0")
            except OSError:
                pass
            if not self._exited(10):
                os.kill(self._pid, signal.SIGKILL)
                self._exited(10)
        for fd in (self._write, self._read):
            try:
                os.close(fd)
            except OSError:
                pass
        self._write = self._read = -1
        self._stderr.close()
        self._profile.cleanup()

    def __del__(self):  # pragma: no cover - a safety net; use the context manager
        try:
            self.close()
        except Exception:
            pass


WAIT_FOR_PAGE = """new Promise(function (done) {
  document.fonts.ready.then(function () {
    if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(function () { done(true); }); }
    else { done(true); }
  });
})"""


def print_pdf(html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str], *,
              chromium: str | None = None, timeout: float = defaults.PDF_TIMEOUT) -> Path:
    """Print an HTML file to PDF with the machine's headless Chromium, offline.

    nbconvert's ``webpdf`` downloads its own browser, which fails offline; this uses the one
    installed on the machine (through a one-page :class:`PdfPrinter`). The PDF is written
    atomically.

    Args:
        html_path: the page to print (loaded as a ``file:`` URL).
        pdf_path: where to write the PDF.
        chromium: the browser (default: :func:`find_chromium`).
        timeout: seconds before giving up.

    Returns:
        ``pdf_path`` as a :class:`~pathlib.Path`.

    Raises:
        NotebookError: no browser, or it failed to print.
    """
    with PdfPrinter(chromium, timeout=timeout) as printer:
        return printer.print(html_path, pdf_path)




def pdf_pages(path: str | os.PathLike[str]) -> tuple[int, tuple[float, float]]:
    """Return a PDF's page count and its first page's size in points, read by ``pdfinfo``.

    Raises:
        NotebookError: ``pdfinfo`` (Debian's poppler-utils) is missing or cannot read the file.
    """
    tool = shutil.which("pdfinfo")
    if tool is None:
        raise NotebookError("pdfinfo is not installed; install poppler-utils to read PDF page counts.")
    done = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    pages = re.search(r"^Pages:\s+(\d+)", done.stdout, re.M)
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", done.stdout, re.M)
    if done.returncode or not pages or not size:
        raise NotebookError(f"{path}: pdfinfo cannot read it ({done.stderr.strip() or done.stdout[:200]}).")
    return int(pages.group(1)), (float(size.group(1)), float(size.group(2)))
