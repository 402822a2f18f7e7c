"""coursekit.assess.slots: a slot keeps nothing of one submission for the next but its pristine
font cache, and a working copy holds the data, the students' key and empty home folders."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import coursekit
from coursekit.assess.slots import Paths, Slot, hidden, prepare_workdir, tidy

ROOT = Path(__file__).resolve().parents[1]


def _paths(tmp_path: Path) -> Paths:
    fonts = tmp_path / "cache"
    fonts.mkdir()
    (fonts / "fontlist-v390.json").write_text('{"fonts": []}', encoding="utf-8")
    data = tmp_path / "course" / "data"
    data.mkdir(parents=True)
    (data / "timeline.csv").write_text("id,date\n", encoding="utf-8")
    return Paths(course=tmp_path / "course", data=data, submissions=tmp_path / "subs",
                 output=tmp_path / "grades", exercises=tmp_path / "course" / "exercises",
                 temp=tmp_path / "tmp", fontcache=sorted(fonts.glob("*.json")),
                 keys_text='{"questions": {}}')


def test_tidy_leaves_only_the_pristine_font_cache(tmp_path):
    paths = _paths(tmp_path)
    slot = Slot(tmp_path / "slot0")
    (slot.folder / "mpl").mkdir(parents=True)
    (slot.folder / "mpl" / "fontlist-v390.json").write_text("tampered", encoding="utf-8")
    (slot.folder / "mpl" / "planted.py").write_text("INJECTED = True", encoding="utf-8")
    (slot.folder / "s00001" / "deep").mkdir(parents=True)
    (slot.folder / "note.txt").write_text("from a", encoding="utf-8")
    (slot.folder / "link").symlink_to(tmp_path / "cache")
    tidy(slot, paths)
    left = sorted(p.relative_to(slot.folder).as_posix() for p in slot.folder.rglob("*"))
    assert left == ["mpl", "mpl/fontlist-v390.json"]
    assert (slot.folder / "mpl" / "fontlist-v390.json").read_text() == '{"fonts": []}'
    assert (tmp_path / "cache" / "fontlist-v390.json").exists()  # the link was not followed


def test_a_working_copy_has_the_data_the_students_key_and_empty_homes(tmp_path):
    paths = _paths(tmp_path)
    workdir = tmp_path / "s00000"
    workdir.mkdir()
    cwd = prepare_workdir(workdir, paths)
    assert cwd == workdir / "course" / "exercises"
    assert (cwd / "checks.json").read_text(encoding="utf-8") == paths.keys_text
    assert (workdir / "course" / "data" / "timeline.csv").is_file()
    assert all((workdir / name).is_dir() for name in ("home", "tmp", "ipython", "jupyter"))
    assert (workdir / "mpl" / "fontlist-v390.json").is_file()


def test_the_kernel_is_hidden_from_the_course_submissions_report_and_temp(tmp_path):
    paths = _paths(tmp_path)
    hide, keep = hidden(paths)
    assert set(hide) == {paths.course, paths.submissions, paths.output, paths.exercises,
                         paths.temp}
    # The interpreter and the library stay readable, even where they lie in a hidden folder.
    assert keep == [Path(sys.prefix).resolve(), Path(coursekit.__file__).resolve().parents[1]]


def test_the_slots_preload_what_the_instructor_notebooks_import_never_a_submission(tmp_path,
                                                                                   monkeypatch):
    """The zygotes' imports come from the sets' instructor notebooks: an nbgrader set that
    imports nothing gets only ipykernel's, and a submission that imports pandas cannot make
    every later kernel of its slot start with it."""
    import nbformat
    from foreign_notebooks import nbgrader_notebook
    from nbformat.v4 import new_code_cell

    from coursekit.assess import batch
    from coursekit.kernels.kernelside import BASE

    shutil.copytree(ROOT / "data", tmp_path / "course" / "data")
    (tmp_path / "course" / "exercises").mkdir()
    nbformat.write(nbgrader_notebook(), tmp_path / "course" / "exercises" / "problem1.ipynb")
    sub = nbgrader_notebook()
    sub.cells.insert(0, new_code_cell("import pandas as pd\nimport matplotlib.pyplot as plt"))
    (tmp_path / "subs" / "ana").mkdir(parents=True)
    nbformat.write(sub, tmp_path / "subs" / "ana" / "problem1.ipynb")
    seen = []

    async def fake_grade_all(subs, keys, paths, *rest, **kw):
        seen.append(([s.exercise.name for s in subs], paths.preload))

    monkeypatch.setattr(batch, "_grade_all", fake_grade_all)
    batch.grade_folder(tmp_path / "subs", exercises_dir=tmp_path / "course" / "exercises")
    assert seen == [(["problem1"], BASE)]
