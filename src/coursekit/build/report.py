"""What a build did: one row per notebook, the other steps, the failures, and the summary table.

>>> format_seconds(0.04), format_seconds(75.2)
('0.0 s', '1 min 15 s')
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BuildReport", "format_summary", "format_seconds", "problem_row"]


@dataclass
class BuildReport:
    """What a build did: one row per notebook, the other steps, the failures, the time."""

    rows: list[dict] = field(default_factory=list)
    steps: list[tuple[str, str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when everything built (skipped steps included), else 1."""
        return 1 if self.failures else 0

    def step(self, name: str, status: str, detail: str = "", failure: str | None = None) -> None:
        """Note a step (``failure``: also a failure of the build, with this message)."""
        self.steps.append((name, status, detail))
        if failure is not None:
            self.failures.append(failure)


def problem_row(name: str, kind: str, message: str) -> dict:
    """The row of a notebook that could not even be planned."""
    return {"name": name, "kind": kind, "execute": "failed", "export": "failed",
            "seconds": 0.0, "error": message}


def format_seconds(seconds: float) -> str:
    """Format a duration for the summary table."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def format_summary(report: BuildReport) -> str:
    """Return the summary table: each notebook, whether it ran or came from the cache, the time.

    >>> r = BuildReport(rows=[{"name": "notebooks/01-x.ipynb", "kind": "lesson", "execute": "ran",
    ...                        "export": "built", "seconds": 4.2, "error": None}], seconds=5.0)
    >>> print(format_summary(r))  # doctest: +NORMALIZE_WHITESPACE
    notebook              kind    execute  export  time
    notebooks/01-x.ipynb  lesson  ran      built   4.2 s
    1 notebook(s): 1 executed, 0 from the cache, 0 unchanged, 0 failed; 5.0 s in all
    """
    head = ("notebook", "kind", "execute", "export", "time")
    body = [(r["name"], r["kind"], r["execute"], r["export"],
             format_seconds(r["seconds"]) if r["seconds"] else "-") for r in report.rows]
    body += [(name, "step", status, "", detail) for name, status, detail in report.steps]
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [head, *body]]
    ran = sum(r["execute"] == "ran" for r in report.rows)
    cached = sum(r["execute"] == "cache" for r in report.rows)
    unchanged = sum(r["export"] == "cached" for r in report.rows)
    failed = sum(bool(r["error"]) for r in report.rows)
    lines.append(f"{len(report.rows)} notebook(s): {ran} executed, {cached} from the cache, "
                 f"{unchanged} unchanged, {failed} failed; {format_seconds(report.seconds)} in all")
    return "\n".join(lines)
