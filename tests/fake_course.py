"""A small, complete fake course for the build and export tests (built in tmp_path).

Three datasets (``sources``, ``timeline``, ``agreements``; the last two cite ``sources`` by
foreign key) and lessons that each read a known subset of them, so a test can change one
data file and know which lessons must run again.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

SOURCES = """source_id,author,publisher,title,published,url
src-a,Doe,Example Press,A history of the visit,2022-03-03,https://example.org/a
src-b,,Example Ministry,Joint statement,2022-02-24,
"""
TIMELINE = """event_id,date,event,source_id
e1,1999-03-01,First visit,src-a
e2,2022-02-23,Second visit,src-b
"""
AGREEMENTS = """agreement_id,name,source_id
a1,Pipeline agreement,src-a
"""


def _resource(name: str, fields: list[str], key: str, cites: bool = True) -> dict:
    schema = {"fields": [{"name": f, "type": "string"} for f in fields], "primaryKey": key}
    if cites:
        schema["foreignKeys"] = [{"fields": "source_id",
                                  "reference": {"resource": "sources", "fields": "source_id"}}]
    return {"name": name, "path": f"{name}.csv", "schema": schema}


def make_course(root: Path, lessons: dict[str, list] | None = None) -> Path:
    """Write a fake course at ``root``; ``lessons`` maps file names to cell lists (default: 2)."""
    data = root / "data"
    data.mkdir(parents=True)
    package = {"name": "fake", "resources": [
        _resource("sources", ["source_id", "author", "publisher", "title", "published", "url"],
                  "source_id", cites=False),
        _resource("timeline", ["event_id", "date", "event", "source_id"], "event_id"),
        _resource("agreements", ["agreement_id", "name", "source_id"], "agreement_id"),
    ]}
    (data / "datapackage.json").write_text(json.dumps(package, indent=1), encoding="utf-8")
    (data / "sources.csv").write_text(SOURCES, encoding="utf-8")
    (data / "timeline.csv").write_text(TIMELINE, encoding="utf-8")
    (data / "agreements.csv").write_text(AGREEMENTS, encoding="utf-8")
    lessons = lessons or {
        "01-timeline.ipynb": lesson_cells("01 · Timeline", "timeline", figure=True),
        "02-agreements.ipynb": lesson_cells("02 · Agreements", "agreements"),
    }
    notebooks = root / "notebooks"
    notebooks.mkdir()
    toc = "lessons:\n" + "".join(
        f'  - file: {name}\n    title: "{cells[0]}"\n' for name, cells in lessons.items())
    (notebooks / "toc.yml").write_text(toc, encoding="utf-8")
    for name, (_, cells) in lessons.items():
        write_lesson(notebooks / name, cells)
    return root


def cell(kind: str, source: str, slide: str = "-", tags: tuple[str, ...] = (), outputs=None):
    """A Markdown or code cell with slide metadata (and tags)."""
    made = new_markdown_cell(source) if kind == "md" else new_code_cell(source, outputs=outputs or [])
    made.metadata["slideshow"] = {"slide_type": slide}
    if tags:
        made.metadata["tags"] = list(tags)
    return made


def lesson_cells(title: str, dataset: str | None, *, figure: bool = False,
                 extra: list | None = None) -> tuple[str, list]:
    """A lint-clean lesson that reads ``dataset`` (None: no data at all but a citation)."""
    cells = [
        cell("md", f"# {title}\n\nTeaching: 5 min · Exercises: 5 min", "slide"),
        cell("md", "## Learning objectives\n\n- Count the rows of a dataset.\n\n"
                   "## Questions\n\n- How many events are there?", "slide"),
        cell("code", "from IPython.display import Markdown\nfrom coursekit import data, plots",
             "skip", ("setup",)),
        cell("md", "## Counting\n\nThe next cell counts the rows.", "slide"),
        cell("md", "**Speaker notes.** Stress that every row has a source.", "notes"),
    ]
    if dataset:
        cells.append(cell("code", f'rows = data.load("{dataset}")\nprint(len(rows), "rows")'))
    else:
        cells.append(cell("code", 'print("no data here")'))
    if figure:
        cells.append(cell("md", "### A figure", "subslide"))
        cells.append(cell("code", (
            "fig, ax = plots.figure(4, 2)\n"
            "ax.plot([1999, 2022], [1, 2])\n"
            "ax.set_xlabel('Year')\n"
            "plots.show(fig, caption='Two visits, one line.', "
            "alt='A line rising from 1999 to 2022, one point per visit.', sources=['src-a'])")))
    cells.extend(extra or [])
    cells += [
        cell("md", "## Key points\n\n- Every row names its source.", "slide"),
        cell("md", "## Sources", "slide"),
        cell("code", "Markdown(data.bibliography(['src-a']))"),
    ]
    return title, cells


def write_lesson(path: Path, cells: list) -> Path:
    """Write a notebook of ``cells`` with the python3 kernelspec."""
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, path)
    return path


ANSWERS = """ex01.events:
  kind: number
  answer: {answer}
  step: 1
  variable: events
  points: 1
  hint: "Count the rows of the timeline."
"""


def make_exercise(root: Path, *, answer: int = 2) -> Path:
    """Write ``exercises/01-count.ipynb`` (solution marked) with its answers and hashed key.

    With the default ``answer`` the solution passes its self-check; another value makes the
    answer key disagree with the solution, which the build must report.
    """
    from coursekit.assess.release import check_instructor_keys

    folder = root / "exercises"
    (folder / "answers").mkdir(parents=True)
    (folder / "answers" / "01-count.yml").write_text(ANSWERS.format(answer=answer), encoding="utf-8")
    cells = [
        cell("md", "# Exercise 01 · Count the events", "slide"),
        cell("code", "from coursekit import data\nfrom coursekit.checks import check", "skip",
             ("setup",)),
        cell("md", "How many events does the timeline hold?"),
        cell("code", "### BEGIN SOLUTION\nevents = len(data.load('timeline'))\n### END SOLUTION\n"
                     "check('ex01.events', events)"),
    ]
    path = write_lesson(folder / "01-count.ipynb", cells)
    check_instructor_keys(folder, update=True)
    return path


# A lesson with saved outputs, for the export and browser tests (never executed).

ALT = "A line rising from 1999 to 2022: one dot per visit."


def demo_png() -> str:
    """A valid 1x1 PNG, base64-encoded (no matplotlib needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    raw += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    return base64.b64encode(raw).decode()


def figure_output(alt: str | None = ALT):
    """A figure output as coursekit.plots.show() writes it (alt text in the metadata)."""
    metadata = {"image/png": {"alt": alt}} if alt is not None else {}
    return new_output("display_data", data={"image/png": demo_png(), "text/plain": "[Figure]"},
                      metadata=metadata)


def demo_lesson(extra=(), figure_alt: str | None = ALT) -> nbformat.NotebookNode:
    """A lesson shaped like the course's: title, objectives + questions, setup, notes, figure."""
    cells = [
        cell("md", "# 04 · A test lesson\n\nTeaching: 10 min · Exercises: 5 min", "slide"),
        cell("md", "## Learning objectives\n\n- Place two visits on a timeline.\n"
                    "- Compute the gap between them.\n\n## Questions\n\n- Why did timing matter?",
              "slide"),
        cell("code", "import secret_setup_module  # SETUP-MARKER", "skip", ("setup",)),
        cell("md", "## Section\n\nSee [the report](https://example.org/report) and "
                    "https://example.org/bare and [lesson five](05-next.ipynb#top).", "slide"),
        cell("md", "**Speaker notes.** Stress the 23-year gap.", "notes"),
        cell("code", "print(6 * 7)", outputs=[new_output("stream", name="stdout", text="42\n")]),
        cell("md", "### The figure", "subslide"),
        cell("code", "plots.show(fig)", outputs=[figure_output(figure_alt)]),
        cell("md", "A fragment of prose.", "fragment"),
        cell("code", "gap = None\n### BEGIN SOLUTION\ngap = 23  # SOLUTION-MARKER\n### END SOLUTION"),
        cell("code", "answer = 'tagged'  # TAGGED-SOLUTION", tags=("solution",)),
        *extra,
        cell("md", "## Key points\n\n- One.", "slide"),
        cell("md", "**Previous:** none · **Next:** [05](05-next.ipynb)", "skip", ("navigation",)),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3",
                                                              "display_name": "Python 3",
                                                              "language": "python"}})


def public_notebook(folder: Path) -> Path:
    """A notebook shaped like an ordinary public teaching notebook: no slide metadata, a figure
    without alt text, maths, and a local Markdown image beside it."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def png(kind: str) -> bytes:  # a real 640×480 figure, as plt.show() leaves in a notebook
        fig, ax = plt.subplots()
        xs = [i / 5 for i in range(50)]
        (ax.plot if kind == "line" else ax.scatter)(xs, [((x * 7) % 3) - 1.5 for x in xs])
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})
        plt.close(fig)
        return buffer.getvalue()

    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "scatter.png").write_bytes(png("scatter"))
    plain = nbformat.v4.new_output("display_data", data={
        "image/png": base64.b64encode(png("line")).decode(), "text/plain": "<Figure size 640x480>"})
    cells = [
        nbformat.v4.new_markdown_cell("# Visualization with Matplotlib\n\nWe begin with scatter plots."),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nimport numpy as np"),
        nbformat.v4.new_markdown_cell("## Simple line plots\n\nThe function is $y = \\sin x$, and\n\n"
                                      "$$\\int_0^\\pi \\sin x \\, dx = 2.$$"),
        nbformat.v4.new_code_cell("x = np.linspace(0, 10)\nplt.plot(x, np.sin(x));", outputs=[plain]),
        nbformat.v4.new_markdown_cell("## Scatter plots\n\n![](figures/scatter.png)\n\nA saved figure."),
        nbformat.v4.new_markdown_cell("## Summary\n\nLine plots and scatter plots."),
    ]
    path = folder / "04.02-Simple-Line-Plots.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path
