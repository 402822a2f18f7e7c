"""The grader's journal: each submission's result saved the moment it is graded.

``coursekit grade`` appends one JSON line per graded submission to
``.coursekit-grade-journal.jsonl`` in the output folder and flushes it, so a run that is
interrupted (Ctrl+C, a closed laptop, a killed job) loses at most the submissions that were
running. The next run over the same folder takes each result whose submission has the same
content digest, graded with the same key, limits and coursekit version, from the journal
instead of running it again: it resumes where the last run stopped.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> j = Journal(folder, fingerprint="k1")
>>> j.record("a.ipynb", "d1", {"student": "a.ipynb", "rows": []})
>>> Journal(folder, fingerprint="k1").done[("a.ipynb", "d1")]["student"]
'a.ipynb'
>>> Journal(folder, fingerprint="k2").done
{}
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["Journal", "JOURNAL"]

JOURNAL = ".coursekit-grade-journal.jsonl"
FORMAT = "coursekit-grade-journal/1"


class Journal:
    """Results of earlier runs with the same ``fingerprint``, and the appender for this one."""

    def __init__(self, folder: str | os.PathLike[str], *, fingerprint: str):
        self.path = Path(folder) / JOURNAL
        self.fingerprint = fingerprint
        self.done: dict[tuple[str, str], dict] = {}
        self._handle = None
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        head = _load(lines[0]) if lines else None
        if isinstance(head, dict) and head.get("format") == FORMAT and \
                head.get("fingerprint") == fingerprint:
            for line in lines[1:]:
                entry = _load(line)  # a line cut short by a kill is skipped
                if isinstance(entry, dict) and isinstance(entry.get("outcome"), dict):
                    self.done[(str(entry.get("student")), str(entry.get("digest")))] = \
                        entry["outcome"]
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"format": FORMAT, "fingerprint": fingerprint})
                                 + "\n", encoding="utf-8")

    def record(self, student: str, digest: str, outcome: dict) -> None:
        """Append one result and flush it to the file at once."""
        if self._handle is None:
            self._handle = open(self.path, "a", encoding="utf-8")
        line = json.dumps({"student": student, "digest": digest, "outcome": outcome})
        self._handle.write(line + "\n")
        self._handle.flush()
        self.done[(student, digest)] = outcome

    def close(self) -> None:
        """Close the file (results already written stay)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _load(line: str):
    try:
        return json.loads(line)
    except ValueError:
        return None
