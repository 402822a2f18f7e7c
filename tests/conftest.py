"""Shared test helpers: a throwaway copy of the course to break on purpose."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from coursekit.kernels.execute import KERNEL_ENV

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """A copy of data/ and notebooks/toc.yml in tmp_path, so a test can corrupt it freely."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "toc.yml", tmp_path / "notebooks" / "toc.yml")
    return tmp_path


def rewrite_csv(path: Path, edit) -> None:
    """Apply ``edit(lines) -> lines`` to a CSV file's lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A throwaway course (data, exercises with answers) and its student release, for the
    grading tests (tests/grading.py builds submissions from it)."""
    from grading import make_course

    return make_course(tmp_path_factory.mktemp("course"))


# Kernels started by nbval inherit the build's kernel settings, so saved outputs compare equal.
os.environ.update(KERNEL_ENV)
