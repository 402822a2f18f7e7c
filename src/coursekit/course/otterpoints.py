"""otter-grader points, resolved as otter does: per test, and per question.

A question's ``points`` may be a total (shared among the tests that do not give their own in a
``BEGIN TEST CONFIG``), a list (test by test) or ``each: n``; with none, the question is worth 1
(an unset manual question 0), as in otter's ``resolve_test_file_points`` and
``determine_question_point_value``.
"""

from __future__ import annotations

from coursekit.course.otter import roles
from coursekit.errors import CourseError

__all__ = ["share_points", "question_points"]


def share_points(config: dict, own: list[float | None], where: str = "question") -> list[float]:
    """Each test's points as otter resolves them (``resolve_test_file_points``): a list gives
    them one by one, a total is shared among the tests without their own points, ``each: n``
    gives n to every test, and with no total the question is worth 1.

    >>> share_points({"points": 3}, [None, None, 1.0]), share_points({}, [None, None])
    ([1.0, 1.0, 1.0], [0.5, 0.5])
    """
    total = config.get("points")
    if isinstance(total, dict):
        total = total.get("each", 1) * len(own)
    if isinstance(total, list):
        if len(total) != len(own):
            raise CourseError(f"{where}: 'points' lists {len(total)} values for {len(own)} tests.")
        return [float(p) for p in total]
    fixed = sum(p for p in own if p is not None)
    free = sum(p is None for p in own)
    if total is not None:
        if fixed > total:
            raise CourseError(f"{where}: its tests claim {fixed:g} points, more than its {total:g}.")
        share = (total - fixed) / free if free else 0.0
    else:
        share = (1 / free if free else 0.0) if fixed == 0 else 0.0
    return [p if p is not None else share for p in own]


def question_points(nb, name: str = "notebook") -> dict[str, list[float]]:
    """Each question's points test by test (in notebook order); a question without tests has one
    entry, its own points (otter: 1 when unset, 0 for an unset manual question).

    >>> import nbformat
    >>> raw, code = nbformat.v4.new_raw_cell, nbformat.v4.new_code_cell
    >>> question_points(nbformat.v4.new_notebook(cells=[raw("# BEGIN QUESTION\\nname: q\\npoints: 2"),
    ...     raw("# BEGIN TESTS"), code("x == 1"), code("# HIDDEN\\nx > 0"), raw("# END TESTS"),
    ...     raw("# END QUESTION")]))
    {'q': [1.0, 1.0]}
    """
    configs: dict[str, dict] = {}
    own: dict[str, list] = {}
    for role in roles(nb, name):
        if role.question:
            configs.setdefault(role.question, role.config)
            own.setdefault(role.question, [])
            if role.kind in ("test", "hidden-test"):
                own[role.question].append(role.points)
    out = {}
    for qname, config in configs.items():
        if own[qname] and not config.get("manual"):
            out[qname] = share_points(config, own[qname], f"{name}, question {qname!r}")
        else:
            points = config.get("points")
            points = sum(points) if isinstance(points, list) else points
            out[qname] = [float(points) if isinstance(points, (int, float)) else
                          (0.0 if config.get("manual") else 1.0)]
    return out
