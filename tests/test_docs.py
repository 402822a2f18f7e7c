"""The learner, instructor and contributor guides: their links resolve, their commands are the
README's, and the instructor guide's lesson table agrees with the lessons themselves."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from servers import free_port, stop

from coursekit.course.lessons import read_toc

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ["learners/setup.md", "learners/glossary.md", "instructors/guide.md",
          "instructors/jupyterhub.md", "CONTRIBUTING.md", "docs/build-and-export.md",
          "docs/instructor-workflow.md"]
BUILD = 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/coursekit build'
TEST = ".venv/bin/python -m pytest"
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
OPEN_LESSON = ".venv/bin/jupyter lab --notebook-dir=. notebooks/00-start-here.ipynb"
TIME = re.compile(r"Teaching:\s*(\d+)\s*min\s*·\s*[^:·]*?exercises:\s*(\d+)\s*min", re.I)


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower().replace("`", ""))
    return re.sub(r"\s", "-", text)


def anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    found = {slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M)}
    return found | set(re.findall(r'<a id="([^"]+)"', text))


@pytest.mark.parametrize("name", GUIDES)
def test_every_relative_link_in_the_guide_resolves(name):
    path = ROOT / name
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)  # examples in code are not links
    problems = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            problems.append(f"{name}: link to {target!r}: {file_part} does not exist")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{name}: link to {target!r}: no heading or anchor #{anchor}")
    assert not problems, "\n".join(problems)


def test_the_setup_guide_uses_exactly_the_readme_commands():
    setup = (ROOT / "learners" / "setup.md").read_text(encoding="utf-8")
    assert BUILD in setup and TEST in setup
    assert ".venv\\Scripts\\" in setup, "say where the venv's programs are on Windows"
    readme = ROOT / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        assert BUILD in text and TEST in text, "README and setup.md give different commands"


def test_the_setup_guide_covers_every_platform_and_the_first_lesson():
    setup = (ROOT / "learners" / "setup.md").read_text(encoding="utf-8")
    for platform in ("Linux", "macOS", "Windows"):
        assert platform in setup
    assert OPEN_LESSON in setup
    assert "## Problems and what to do" in setup


def lesson_times() -> dict[str, tuple[int, int]]:
    """Each lesson's teaching and exercise minutes, as its title cell states them."""
    times = {}
    for entry in read_toc(ROOT):
        path = ROOT / "notebooks" / entry["file"]
        title = "".join(json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"])
        match = TIME.search(title)
        assert match, f"{entry['file']}: no 'Teaching: N min · Exercises: N min' in the title"
        times[entry["file"]] = (int(match[1]), int(match[2]))
    return times


def test_the_instructor_guide_times_match_the_lessons():
    """The guide's table lists every lesson with its minutes by the stated method (the title
    cell's agreement with the method is tests/test_lessons.py's; the table's freshness is
    tests/test_guide.py's)."""
    import nbformat

    from coursekit.course.budget import time_budget

    guide = (ROOT / "instructors" / "guide.md").read_text(encoding="utf-8")
    for file in lesson_times():
        budget = time_budget(nbformat.read(ROOT / "notebooks" / file, as_version=4))
        row = next((line for line in guide.splitlines()
                    if line.startswith("|") and f"notebooks/{file}" in line), None)
        assert row, f"instructors/guide.md: no table row for notebooks/{file}"
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2:4] == [str(budget["teaching"]), str(budget["exercises"])], (file, budget, row)


def test_the_instructor_guide_covers_the_whole_workflow():
    guide = (ROOT / "instructors" / "guide.md").read_text(encoding="utf-8")
    for command in ("coursekit build", "coursekit release", "coursekit grade", "coursekit keys",
                    "coursekit progress", "instructors/answers"):
        assert command in guide, command
    for artefact in ("slides", "handouts"):
        assert artefact in guide.lower()


def test_the_documented_jupyterlab_command_serves_the_whole_course(tmp_path):
    """setup.md's command opens lesson 00 *and* serves the course folder, so the lesson's
    glossary links and the exercise sets open (a plain `jupyter lab notebooks/00-...ipynb`
    would serve only notebooks/)."""
    args = OPEN_LESSON.split()[2:]  # after ".venv/bin/jupyter lab"
    token, runtime, port = "coursekit-docs-test", tmp_path / "runtime", free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("jupyter")), "lab", *args, "--no-browser",
         f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={token}", "--allow-root"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"

    def status(path: str) -> int:
        request = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
        try:
            return urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as exc:
            return exc.code

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if status("/api/status") == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"jupyter lab did not start: {server.stderr.read()}")
            time.sleep(0.5)
        for path in ("notebooks/00-start-here.ipynb", "learners/glossary.md", "exercises"):
            assert status(f"/api/contents/{path}?content=0") == 200, path
        opener = next(runtime.glob("jpserver-file-to-run-*-open.html")).read_text(encoding="utf-8")
        assert "/lab/tree/notebooks/00-start-here.ipynb" in opener
    finally:
        stop(server)
