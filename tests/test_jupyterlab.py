"""Every lesson and exercise set, opened in a real JupyterLab in headless Chromium, renders right.

A JupyterLab server is started the way students start it (``coursekit lab``: the course's
``jupyter/`` settings on ``JUPYTER_CONFIG_PATH``), on a free loopback port with a token, over a
copy of the lessons and exercise sets as committed, and with empty user settings, workspaces
and configuration of its own (a first-time student). Each notebook is opened in its own page;
once every cell is attached and MathJax has stopped typesetting, the test fails, naming the
notebook and cell, for:

- any maths element (MathJax output ``mjx-container``/``.MathJax``, or KaTeX) in a cell that is
  not tagged ``maths`` (no cell is: a ``$`` amount that became maths is the usual cause);
- any error output (a traceback or a stderr stream) saved in a cell;
- JupyterLab's news pop-up ("Would you like to get notified about official Jupyter news?").

The test harness sets one user setting that students do not have: notebook windowing off
(``windowingMode: none``), so that every cell is attached to the page and checked, not only
those in view. ``test_the_detectors_find_what_they_look_for`` shows that each check can fail:
in a planted notebook it finds the maths of a bare ``$`` pair and the error output, proves which
dollar spellings are safe, and sees the pop-up when the course's settings are left out.
Screenshots of two lessons are saved in ``build/screenshots/jupyterlab-*.png``.

Without Chromium or Playwright the tests are skipped with the reason, unless
``COURSEKIT_REQUIRE_BROWSER=1`` (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
import yaml
from servers import free_port, stop

from coursekit.cli import lab
from coursekit.export import render as export

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = Path(os.environ.get("COURSEKIT_SCREENSHOTS", ROOT / "build" / "screenshots"))
REQUIRED = os.environ.get("COURSEKIT_REQUIRE_BROWSER") == "1"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TOKEN = "coursekit-test-token"
MATHS_TAG = "maths"  # a cell whose maths is intended carries this tag
NEWS = "official Jupyter news"
SHOT = {"00-start-here.ipynb", "01-historical-context.ipynb", "05-energy-and-the-pipeline.ipynb"}

# What the page reports for each cell: its index, maths elements, error outputs, and a snippet.
PROBE = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  return [...panel.querySelectorAll('.jp-Notebook .jp-Cell')].map((cell, i) => ({
    index: Number(cell.getAttribute('data-windowed-list-index') ?? i),
    maths: cell.querySelectorAll('mjx-container, .MathJax, .MathJax_Display, .katex').length,
    errors: cell.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]').length,
    rendered: !cell.classList.contains('jp-MarkdownCell') || cell.classList.contains('jp-mod-rendered'),
    text: (cell.innerText || '').replace(/\\s+/g, ' ').slice(0, 80),
  }));
}"""


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"COURSEKIT_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _lessons() -> list[str]:
    toc = yaml.safe_load((ROOT / "notebooks" / "toc.yml").read_text(encoding="utf-8"))
    return [e["file"] for e in toc["lessons"] if (ROOT / "notebooks" / e["file"]).is_file()]


LESSONS = _lessons()
EXERCISES = sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))


def _course_copy(folder: Path) -> Path:
    """The lessons and exercise sets as committed, with the files they refer to."""
    for name in ("notebooks", "exercises", "data", "jupyter"):
        shutil.copytree(ROOT / name, folder / name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "answers", "__pycache__"))
    return folder


class Lab:
    """A running JupyterLab (the course's start command) and a browser to look at it with."""

    def __init__(self, course: Path, state: Path, *, course_settings: bool = True):
        self.port = free_port()
        settings = state / "user-settings"
        tracker = settings / "@jupyterlab" / "notebook-extension"
        tracker.mkdir(parents=True)
        (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        cmd, env = lab.command(course, extra=[
            "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            f"--IdentityProvider.token={TOKEN}", "--ServerApp.open_browser=False"])
        if not course_settings:  # the same server without the course's jupyter/ folder
            env["JUPYTER_CONFIG_PATH"] = str(state / "no-course-settings")
        env.update(JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(state / "ws"),
                   JUPYTER_CONFIG_DIR=str(state / "config"), JUPYTER_RUNTIME_DIR=str(state / "runtime"))
        env.pop("COURSEKIT_REQUIRE_BROWSER", None)
        self.log = (state / "server.log").open("w")
        self.server = subprocess.Popen(cmd[:-1], cwd=course, env=env, stdout=self.log,
                                       stderr=subprocess.STDOUT)
        self._wait()

    def _api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                         headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
            return json.loads(body) if body else None

    def _wait(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise AssertionError(f"jupyter lab exited with {self.server.returncode}; see {self.log.name}")
            try:
                self._api("/api/status")
                return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"jupyter lab did not answer within 90 s; see {self.log.name}")

    def url(self, notebook: str) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{notebook}?reset&token={TOKEN}"

    def shut_down_kernels(self) -> None:
        for kernel in self._api("/api/kernels") or []:
            self._api(f"/api/kernels/{kernel['id']}", method="DELETE")

    def close(self) -> None:
        try:
            self.shut_down_kernels()
        except OSError:
            pass
        stop(self.server)
        self.log.close()


@pytest.fixture(scope="module")
def browser():
    chromium = export.find_chromium()
    if chromium is None:
        _unavailable("no Chromium found (install Debian's chromium: apt-get install chromium, "
                     "or set COURSEKIT_CHROMIUM to a Chrome/Chromium executable)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def running(browser, tmp_path_factory):
    root = tmp_path_factory.mktemp("jupyterlab")
    server = Lab(_course_copy(root / "course"), root / "state")
    yield server
    server.close()


def render(browser, server: Lab, notebook: str, screenshot: Path | None = None) -> dict:
    """Open ``notebook`` in JupyterLab; return its cells as rendered and whether the pop-up showed."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(server.url(notebook))
        page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell", timeout=90_000)
        cells, last, stable = None, None, 0
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and stable < 3:  # until the typesetting has settled
            page.wait_for_timeout(700)
            cells = page.evaluate(PROBE)
            snapshot = json.dumps(cells)
            ready = cells and all(c["rendered"] for c in cells)
            stable = stable + 1 if ready and snapshot == last else 0
            last = snapshot
        news = page.get_by_text(NEWS).count()
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
        return {"cells": cells or [], "news": news, "settled": stable >= 3}
    finally:
        page.close()
        server.shut_down_kernels()


def problems(notebook: str, folder: Path, result: dict) -> list[str]:
    nb = nbformat.read(folder / notebook, as_version=4)
    found = []
    if not result["settled"]:
        found.append(f"{notebook}: the page never settled (cells still rendering after 90 s)")
    if len(result["cells"]) != len(nb.cells):
        found.append(f"{notebook}: JupyterLab shows {len(result['cells'])} cells, the file has {len(nb.cells)}")
    for cell in result["cells"]:
        tags = nb.cells[cell["index"]].metadata.get("tags", []) if cell["index"] < len(nb.cells) else []
        if cell["maths"] and MATHS_TAG not in tags:
            found.append(f"{notebook} cell {cell['index']}: {cell['maths']} maths element(s), not "
                         f"intended (a '$' read as LaTeX?): {cell['text']!r}")
        if cell["errors"]:
            found.append(f"{notebook} cell {cell['index']}: an error output: {cell['text']!r}")
    if result["news"]:
        found.append(f"{notebook}: JupyterLab's news pop-up appeared")
    return found


def _params(names: list[str], folder: str) -> list:
    out = []
    for name in names:
        out.append(pytest.param(f"{folder}/{name}", id=name))
    return out


@pytest.mark.parametrize("notebook", _params(LESSONS, "notebooks") + _params(EXERCISES, "exercises"))
def test_notebook_renders_in_jupyterlab_without_stray_maths_errors_or_news(browser, running, notebook):
    shot = SCREENSHOTS / f"jupyterlab-{Path(notebook).stem}.png" if Path(notebook).name in SHOT else None
    result = render(browser, running, notebook, shot)
    found = problems(notebook, ROOT, result)
    assert not found, "\n".join(found)


def test_the_detectors_find_what_they_look_for(browser, tmp_path):
    """Planted: a bare "$" pair and an error output are found; the safe spellings render as text;
    without the course's settings the news pop-up appears (so its absence above means something)."""
    course = _course_copy(tmp_path / "course")
    spellings = {"bare": "Costs $2.5 billion and $3.5 billion.",
                 "safe": "Costs \\\\$2.5 billion and \\\\$3.5 billion.",
                 "usd": "Costs USD 2.5 billion and USD 3.5 billion."}
    import pandas as pd

    from coursekit.data import markdown_text
    from coursekit.tables import show

    table = show(pd.DataFrame({"text": ["US$2.5 billion, then $3.5 billion"]}))._repr_html_()
    cells = [nbformat.v4.new_markdown_cell(f"{name}: {text}") for name, text in spellings.items()]
    generated = nbformat.v4.new_code_cell("pass")
    generated.outputs = [nbformat.v4.new_output("display_data", data={
        "text/markdown": markdown_text("generated: US$2.5 billion and $3.5 billion"), "text/plain": "x"})]
    html = nbformat.v4.new_code_cell("pass")
    html.outputs = [nbformat.v4.new_output("display_data", data={"text/html": table, "text/plain": "x"})]
    broken = nbformat.v4.new_code_cell("1 / 0")
    broken.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                             traceback=["ZeroDivisionError: division by zero"])]
    nb = nbformat.v4.new_notebook(cells=[*cells, generated, html, broken])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, course / "notebooks" / "planted.ipynb")

    server = Lab(course, tmp_path / "state", course_settings=False)
    try:
        result = render(browser, server, "notebooks/planted.ipynb")
    finally:
        server.close()
    by_index = {c["index"]: c for c in result["cells"]}
    assert by_index[0]["maths"] > 0, "a bare $...$ pair should have become maths"
    assert [by_index[i]["maths"] for i in (1, 2, 3, 4)] == [0, 0, 0, 0], result["cells"]
    assert "$2.5 billion and $3.5 billion" in by_index[1]["text"]  # the safe spelling shows "$"
    assert "US$2.5 billion and $3.5 billion" in by_index[3]["text"]
    assert "US$2.5 billion, then $3.5 billion" in by_index[4]["text"]
    assert by_index[5]["errors"] > 0
    assert result["news"] > 0, "without the course's settings JupyterLab should have asked about news"
    found = problems("notebooks/planted.ipynb", course, result)
    assert any("cell 0" in f and "maths" in f for f in found) and any("cell 5" in f for f in found)
    assert any("news pop-up" in f for f in found)
