"""coursekit lab and the student quick start: one command, no test tools, the course's settings.

(The JupyterLab these commands start is opened in a real browser by tests/test_jupyterlab.py.)
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from coursekit.cli import lab
from coursekit.errors import CourseError

ROOT = Path(__file__).resolve().parents[1]
STUDENT = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/coursekit lab"


def test_lab_opens_the_first_lesson_with_the_course_settings_first_on_the_config_path(monkeypatch):
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", "/elsewhere")
    monkeypatch.setattr(lab, "_is_root", lambda: False)
    cmd, env = lab.command(ROOT)
    assert cmd[-1] == "notebooks/00-start-here.ipynb" and f"--notebook-dir={ROOT}" in cmd
    assert "--allow-root" not in cmd
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(ROOT / "jupyter"), "/elsewhere"]


def test_as_root_lab_adds_allow_root_and_says_why(monkeypatch, capsys):
    monkeypatch.setattr(lab, "_is_root", lambda: True)
    cmd, _ = lab.command(ROOT, extra=["--no-browser"])
    assert "--allow-root" in cmd and cmd.index("--allow-root") < len(cmd) - 1
    calls = []
    monkeypatch.setattr(lab.subprocess, "call", lambda c, **k: calls.append(c) or 0)
    monkeypatch.chdir(ROOT)
    assert lab.run(type("Args", (), {"notebook": None, "no_browser": True})()) == 0
    assert "running as root" in capsys.readouterr().err and "--allow-root" in calls[0]


def test_lab_names_a_missing_notebook():
    with pytest.raises(CourseError, match="does not exist"):
        lab.command(ROOT, "notebooks/99-nothing.ipynb")


def test_the_course_settings_turn_the_news_plugin_off():
    page = json.loads((ROOT / "jupyter" / "labconfig" / "page_config.json").read_text(encoding="utf-8"))
    assert page["disabledExtensions"]["@jupyterlab/apputils-extension:announcements"] is True


def test_the_readme_gives_students_one_command_without_the_test_extra():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert STUDENT in readme
    section = readme.split("## Student quick start", 1)[1].split("\n## ", 1)[0]
    assert "[test]" not in section and "pytest" not in section and "--allow-root" in section
    # The two instructor/contributor set-up commands are still there, unchanged.
    assert 'pip install -e ".[test]" && .venv/bin/coursekit build' in readme
    assert re.search(r"^\.venv/bin/python -m pytest$", readme, re.M)
