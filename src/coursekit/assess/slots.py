"""The grader's folders: one temporary tree a run, one slot (lane) a parallel kernel, and each
submission's throwaway working copy of the course's data.

A slot keeps only its pristine font cache between two submissions (:func:`tidy`), so nothing
one submission leaves behind reaches the next; as root, a slot's folders belong to its
unprivileged user.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from coursekit.assess.model import Options
from coursekit.course.model import KEY_FILE, LAYOUT

__all__ = ["Paths", "Slot", "make_slots", "close_slots", "prepare_workdir", "hidden", "own",
           "tidy", "restart"]


@dataclass
class Paths:
    """Where a run reads and writes: the course, its data, the folders the kernels must not see."""

    course: Path
    data: Path
    submissions: Path
    output: Path
    exercises: Path
    temp: Path
    fontcache: list[Path]
    keys_text: str  # the students' form-only key, put in each working copy
    preload: tuple = ()  # what each slot's zygote imports (empty: everything a lesson needs)


@dataclass
class Slot:
    """One parallel lane of grading: its folder and, with warm kernels, its zygote."""

    folder: Path
    zygote: object = None
    uid: int | None = None  # the unprivileged user its sandboxes run as (grading as root)
    etc: Path | None = None  # its sandboxes' generated /etc


def prepare_workdir(workdir: Path, paths: Paths) -> Path:
    """Fill a submission's working copy (data, the form-only key, empty home folders); return
    the folder its kernel starts in."""
    course = workdir / "course"
    shutil.copytree(paths.data, course / LAYOUT["data"], symlinks=False)
    cwd = course / LAYOUT["exercises"]
    cwd.mkdir(parents=True)
    (cwd / KEY_FILE).write_text(paths.keys_text, encoding="utf-8")
    for name in ("home", "tmp", "ipython", "jupyter"):
        (workdir / name).mkdir()
    _copy_fonts(paths, workdir / "mpl")
    return cwd


def _copy_fonts(paths: Paths, folder: Path) -> None:
    """Matplotlib's font list, so that no kernel spends seconds rebuilding it."""
    folder.mkdir(parents=True, exist_ok=True)
    for font in paths.fontcache:
        if not (folder / font.name).exists():
            shutil.copy2(font, folder / font.name)


def hidden(paths: Paths) -> tuple[list[Path], list[Path]]:
    """What a kernel must not see, and what it must still read inside those folders."""
    keep = [Path(sys.prefix).resolve(), Path(__file__).resolve().parents[2]]
    hide = sorted({paths.course, paths.submissions, paths.output, paths.exercises, paths.temp})
    return hide, keep


async def make_slots(count: int, paths: Paths, options: Options, isolation) -> list[Slot]:
    """``count`` slots, each with its folder and (warm kernels) its started zygote; a slot
    whose zygote does not start runs cold kernels."""
    from coursekit.kernels import zygote as warm
    from coursekit.kernels.sandbox import etc_files, kernel_env, sandbox_uid

    slots = []
    for number in range(count):
        folder = paths.temp / f"slot{number}"
        _copy_fonts(paths, folder / "mpl")
        uid = sandbox_uid(number) if isolation.mode == "bubblewrap" else None
        slots.append(Slot(folder, uid=uid, etc=etc_files(paths.temp / f"etc{number}", uid)))
        own(folder, uid)
    if not (options.warm and warm.available()):
        return slots
    hide, keep = hidden(paths)
    for slot in slots:
        env = {**kernel_env(slot.folder), "MPLCONFIGDIR": str(slot.folder / "mpl")}
        slot.zygote = warm.Zygote(slot.folder, isolation, hide=hide, keep=keep, env=env,
                                  log=paths.temp / f"{slot.folder.name}.log", uid=slot.uid,
                                  etc=slot.etc, preload=paths.preload or warm.PRELOAD)
    started = await asyncio.gather(*(asyncio.to_thread(s.zygote.start) for s in slots),
                                   return_exceptions=True)
    for slot, result in zip(slots, started, strict=True):
        if isinstance(result, BaseException):
            slot.zygote = None  # this slot runs cold kernels
    return slots


def own(folder: Path, uid: int | None) -> None:
    """Give a sandbox's writable folder to the slot's unprivileged user (grading as root)."""
    if uid is None:
        return
    for path in [folder, *folder.rglob("*")]:
        os.lchown(path, uid, uid)


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)


def tidy(slot: Slot, paths: Paths) -> None:
    """Empty a slot's folder between two submissions: only its pristine font cache stays."""
    fonts = slot.folder / "mpl"
    for entry in slot.folder.iterdir():
        if entry != fonts or entry.is_symlink() or not entry.is_dir():
            _remove(entry)
    fonts.mkdir(exist_ok=True)
    if slot.uid is not None:
        os.lchown(fonts, slot.uid, slot.uid)
    wanted = {font.name: font for font in paths.fontcache}
    for entry in fonts.iterdir():
        original = wanted.get(entry.name)
        if (original is None or entry.is_symlink() or not entry.is_file()
                or entry.read_bytes() != original.read_bytes()):
            _remove(entry)
    _copy_fonts(paths, fonts)


async def restart(slot: Slot) -> None:
    """Replace a slot's zygote (a submission may have killed it); go cold if that fails."""
    if slot.zygote is None:
        return
    try:
        await asyncio.to_thread(slot.zygote.start)
    except OSError:
        slot.zygote.close()
        slot.zygote = None


def close_slots(slots) -> None:
    """Stop every slot's zygote (and so the kernels it forked)."""
    for slot in slots:
        if slot.zygote is not None:
            slot.zygote.close()
