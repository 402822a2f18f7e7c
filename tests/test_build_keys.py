"""coursekit.build.keys: execution keys change with what changes outputs, and only with that."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_course import make_course

from coursekit.build import keys


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("COURSEKIT_ROOT", str(tmp_path))
    return make_course(tmp_path)


def _nb(*cells) -> dict:
    return {"metadata": {"kernelspec": {"name": "python3"}},
            "cells": [{"cell_type": kind, "source": src, "metadata": {}} for kind, src in cells]}


def test_execution_key_changes_with_code_inputs_and_environment_not_with_prose(course):
    env = keys.environment_fingerprint()
    nb = _nb(("markdown", "# Title"), ("code", "data.load('timeline')"))
    inputs = [course / "data" / "timeline.csv"]
    key = keys.execution_key(nb, inputs, env, course)
    assert keys.execution_key(nb, inputs, env, course) == key  # stable
    prose = _nb(("markdown", "# Another title"), ("code", "data.load('timeline')"))
    assert keys.execution_key(prose, inputs, env, course) == key
    code = _nb(("markdown", "# Title"), ("code", "data.load('timeline')  # edited"))
    assert keys.execution_key(code, inputs, env, course) != key
    (course / "data" / "timeline.csv").write_text("event_id,date,event,source_id\n", encoding="utf-8")
    assert keys.execution_key(nb, inputs, env, course) != key
    for part in ("packages", "python", "kernel"):
        assert keys.execution_key(nb, inputs, {**env, part: "changed"}, course) != key


def test_environment_fingerprint_covers_python_and_installed_versions():
    env = keys.environment_fingerprint()
    assert len(env["packages"]) == 64 and env["python"]
    assert json.dumps(env)  # JSON-able: it goes into the keys


def test_content_key_covers_prose_and_parts_but_not_outputs():
    nb = _nb(("markdown", "# Title"), ("code", "1 + 1"))
    key = keys.content_key(nb, "exec-key")
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "2"}]
    assert keys.content_key(nb, "exec-key") == key
    assert keys.content_key(nb, "another-exec-key") != key
    assert keys.content_key(_nb(("markdown", "# Retitled"), ("code", "1 + 1")), "exec-key") != key
