"""coursekit.assess.selfchecks: the questions a saved notebook asks and the state of each."""

from __future__ import annotations

from saved_cells import saved_check

from coursekit.assess import selfchecks
from coursekit.assess.selfchecks import NOT_RUN, NOT_YET, PASSED
from coursekit.checks import build_keys, evaluate


def test_placeholder_message_is_what_the_checks_module_says():
    """The 'not run' rule reads the placeholder message; it must match checks.evaluate."""
    entry = build_keys({"q": {"kind": "number", "answer": 1}}, salt_seed="t")["questions"]["q"]
    assert evaluate(entry, None, "q").message.startswith(selfchecks.PLACEHOLDER_PREFIX)
    assert not evaluate(entry, 2, "q").message.startswith(selfchecks.PLACEHOLDER_PREFIX)


def test_the_last_saved_result_counts_and_stray_results_are_kept():
    """A lesson may demonstrate a wrong answer before the student's own cell: the last
    saved result of a question decides, as a reader scrolling down sees it."""
    demo_then_placeholder = [saved_check('check("q.a", "two days")', passed=False),
                             saved_check('check("q.a", days)', passed=False, answered=False)]
    assert selfchecks.notebook_status({"cells": demo_then_placeholder}) == {"q.a": NOT_RUN}
    nb = {"cells": [saved_check('check("q.a", 1)', passed=False),
                    saved_check('check("q.a", 2)', passed=True),
                    saved_check('check("q.b", 3)', passed=True),
                    saved_check('check("q.b", 4)', passed=False),
                    saved_check('print("rewritten")'),
                    saved_check('check("q.c", x)', passed=False, answered=False)]}
    # A saved result whose check() call the student has since deleted still counts.
    nb["cells"][4]["outputs"] = saved_check('check("q.gone", 1)', passed=True)["outputs"]
    assert selfchecks.notebook_status(nb) == {"q.a": PASSED, "q.b": NOT_YET, "q.c": NOT_RUN,
                                            "q.gone": PASSED}


def test_malformed_markers_are_ignored_not_fatal():
    cell = saved_check('check("q.a", 1)')
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi"},
                       {"output_type": "display_data", "data": {}, "metadata": {"coursekit": 3}},
                       {"output_type": "display_data", "data": {},
                        "metadata": {"coursekit": {"question": "q.a", "passed": "yes"}}},
                       "not even a dict"]
    assert selfchecks.notebook_status({"cells": [cell]}) == {"q.a": NOT_RUN}


def test_question_ids_come_in_order_once_each_and_survive_broken_code():
    cells = [saved_check('check("a.one", x)\ncheck(question_id="a.two", y)'),
             saved_check('%timeit check("a.three", z)'), saved_check('check("a.one", 2022 - )')]
    assert selfchecks.question_ids({"cells": cells}) == ["a.one", "a.two", "a.three"]
