"""``coursekit lab``: open JupyterLab at the first lesson, with the course's own JupyterLab settings.

It runs ``python -m jupyterlab`` from the course folder with the course's ``jupyter/`` folder
first on the Jupyter configuration path (``JUPYTER_CONFIG_PATH``), which turns off the news
pop-up (``jupyter/labconfig/page_config.json``). As root (common in containers) JupyterLab
refuses to start unless told ``--allow-root``; the command adds it and says why.

>>> cmd, env = command(course_root())
>>> cmd[1:3], cmd[-1]
(['-m', 'jupyterlab'], 'notebooks/00-start-here.ipynb')
>>> env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0].endswith("jupyter")
True
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from coursekit.errors import CourseError
from coursekit.paths import course_root

__all__ = ["command", "config_dir", "configure", "run", "CONFIG_DIR"]

CONFIG_DIR = "jupyter"  # the course's Jupyter configuration folder (labconfig/page_config.json)
ROOT_NOTE = ("coursekit lab: you are running as root (usual in a container), so JupyterLab is "
             "started with --allow-root. On your own computer, run it as your usual user.")


def config_dir(root: Path) -> Path:
    """Return the course's Jupyter configuration folder (``jupyter/`` in the course root)."""
    return root / CONFIG_DIR


def _first_lesson(root: Path) -> str:
    from coursekit.course.lessons import read_toc

    return f"notebooks/{read_toc(root)[0]['file']}"


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def command(root: Path, notebook: str | None = None, extra=()) -> tuple[list[str], dict]:
    """Return the command line and environment that open ``notebook`` in JupyterLab.

    Args:
        root: the course folder.
        notebook: a path relative to ``root`` (default: the first lesson of ``notebooks/toc.yml``).
        extra: further JupyterLab options, e.g. ``["--no-browser"]``.

    Raises:
        CourseError: the notebook does not exist (the message lists the lessons' folder).
    """
    notebook = notebook or _first_lesson(root)
    if not (root / notebook).is_file():
        raise CourseError(f"{root / notebook} does not exist. Give a notebook inside the course, "
                          "e.g. notebooks/00-start-here.ipynb.")
    env = dict(os.environ)
    paths = [str(config_dir(root))] + [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={root}", *extra]
    if _is_root() and "--allow-root" not in cmd:
        cmd.append("--allow-root")
    cmd.append(Path(notebook).as_posix())
    return cmd, env


def configure(parser, name: str) -> None:
    parser.add_argument("notebook", nargs="?", help="the notebook to open (default: the first lesson)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser; print the address")


def run(args) -> int:
    root = course_root()
    cmd, env = command(root, args.notebook, ["--no-browser"] if args.no_browser else [])
    if "--allow-root" in cmd:
        print(ROOT_NOTE, file=sys.stderr)
    print("coursekit lab: starting JupyterLab (stop it with Ctrl+C in this window).", file=sys.stderr)
    return subprocess.call(cmd, cwd=root, env=env)
