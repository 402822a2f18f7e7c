"""Write generated files into a folder without ever overwriting a file someone else changed.

The folder keeps a manifest (``.coursekit-manifest.json``) of the SHA-256 of every file coursekit
last wrote there. A file may be replaced only if it is still exactly what coursekit wrote (or
already holds the new content). Anything else, a student's or an instructor's edit or a file
coursekit never wrote, is a conflict: nothing is written and the error lists each file and says
how to force it. With ``force=True`` each conflicting file is first copied to ``NAME.bak``
(``NAME.bak2``, ... if that exists), so even a forced run loses nothing.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> out = GeneratedFiles(folder, command="coursekit release")
>>> out.add("a.txt", b"first")
>>> [p.name for p in out.commit()]
['a.txt']
>>> _ = (folder / "a.txt").write_text("a student's edit")
>>> again = GeneratedFiles(folder, command="coursekit release")
>>> again.add("a.txt", b"second")
>>> again.commit()
Traceback (most recent call last):
...
coursekit.errors.CourseError: coursekit release would overwrite 1 file that changed since it was last written: ...
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from coursekit.course.files import atomic_write_bytes
from coursekit.errors import CourseError

__all__ = ["GeneratedFiles", "MANIFEST"]

MANIFEST = ".coursekit-manifest.json"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class GeneratedFiles:
    """A batch of files to write into ``folder``, checked against the manifest before writing.

    Args:
        folder: where the files go (created if needed).
        command: how the conflict message names the command (``"coursekit release"``).
        force_hint: the option that forces the overwrite, as the user types it.
    """

    def __init__(self, folder: str | os.PathLike[str], *, command: str, force_hint: str = "--force"):
        self.folder = Path(folder)
        self.command = command
        self.force_hint = force_hint
        self.planned: dict[str, bytes] = {}

    def manifest(self) -> dict[str, str]:
        """Return ``{relative path: sha256}`` of the files coursekit last wrote here.

        A missing, unreadable or hand-edited manifest counts as empty, which is the safe side:
        every existing file is then treated as someone else's.
        """
        try:
            doc = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        files = doc.get("files") if isinstance(doc, dict) else None
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}

    def add(self, relative: str, data: bytes) -> None:
        """Plan to write ``data`` to ``folder/relative`` (nothing is written yet).

        Raises:
            CourseError: the path leaves the folder.
        """
        path = (self.folder / relative).resolve()
        if not path.is_relative_to(self.folder.resolve()) or relative == MANIFEST:
            raise CourseError(f"{relative}: a generated file must stay inside {self.folder}.")
        self.planned[Path(relative).as_posix()] = data

    def conflicts(self) -> list[str]:
        """Return the planned files that exist and differ from what coursekit last wrote there."""
        known = self.manifest()
        found = []
        for relative, data in self.planned.items():
            path = self.folder / relative
            if path.is_symlink() or (path.exists() and not path.is_file()):
                found.append(relative)
                continue
            if not path.exists():
                continue
            current = _digest(path.read_bytes())
            if current != _digest(data) and current != known.get(relative):
                found.append(relative)
        return found

    def commit(self, *, force: bool = False, replace=()) -> list[Path]:
        """Write every planned file (atomically) and update the manifest; return their paths.

        Args:
            force: replace conflicting files too, after copying each to ``NAME.bak``.
            replace: conflicting files the caller has read and carried over (say, points
                typed into a gradebook): replaced without ``force``, each kept as ``NAME.bak``.

        Raises:
            CourseError: some planned files changed since coursekit wrote them (and no force);
                nothing at all is written then.
        """
        conflicts = self.conflicts()
        blocking = [c for c in conflicts if c not in set(replace)]
        if blocking and not force:
            conflicts = blocking
            listing = "\n  ".join(str(self.folder / c) for c in conflicts)
            count = len(conflicts)
            raise CourseError(
                f"{self.command} would overwrite {count} file{'s' if count > 1 else ''} that "
                f"changed since it was last written:\n  {listing}\n"
                "Nothing was written. These are someone's edits (or files coursekit did not "
                "write). Move them somewhere safe, or rerun with "
                f"{self.force_hint} to replace them (each is first copied to NAME.bak)."
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        known = self.manifest()
        written = []
        for relative in conflicts:
            path = self.folder / relative
            backup = path.with_name(path.name + ".bak")
            number = 2
            while backup.exists():
                backup = path.with_name(f"{path.name}.bak{number}")
                number += 1
            if path.is_dir() and not path.is_symlink():
                shutil.move(str(path), str(backup))
            else:
                shutil.copy2(path, backup, follow_symlinks=False)
                path.unlink()
        for relative, data in self.planned.items():
            path = self.folder / relative
            if not (path.is_file() and path.read_bytes() == data):
                atomic_write_bytes(path, data)
            known[relative] = _digest(data)
            written.append(path)
        manifest = {"about": f"Files written by {self.command}; edits to them are protected.",
                    "files": dict(sorted(known.items()))}
        atomic_write_bytes(self.folder / MANIFEST,
                           (json.dumps(manifest, indent=1) + "\n").encode("utf-8"))
        return written
