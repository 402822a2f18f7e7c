"""coursekit.assess.readout, through the grader: the answers are read out in a way the notebook
cannot forge, and nothing a submission edits or reads raises its score."""

from __future__ import annotations

import pytest
from grading import MODES, answer, by_question, grade, insert, points, released, save

FORGE = r'''
import ast
ip = get_ipython()
FORGED = '{"reserve_use_pct": {"t": "float", "v": 6.2}, "russia_max_musd": {"t": "int", "v": 910}}'
def forge(lines):
    text = "".join(lines)
    if "coursekit" in text or "user_ns" in text or "json" in text:
        return ["__coursekit_read__ = lambda *a, **k: " + repr(FORGED) + "\n",
                "_g = {'_make': lambda *a: None}\n"]
    return lines
ip.input_transformers_cleanup.append(forge)
ip.input_transformer_manager.cleanup_transforms.append(forge)
class Rewrite(ast.NodeTransformer):
    def visit_Constant(self, node):
        forged = isinstance(node.value, str) and "coursekit" in node.value
        return ast.copy_location(ast.Constant(FORGED), node) if forged else node
ip.ast_transformers.append(Rewrite())
ip.display_formatter.formatters["text/plain"].for_type(str, lambda o, p, c: p.text(repr(FORGED)))
json = None  # names the old read-out used, rebound
get_ipython = lambda: ip
'''


def test_a_submission_cannot_forge_the_read_out(course, tmp_path):
    nb = released(course, "02-energy-arithmetic")
    insert(nb, "russia_max_musd", FORGE)
    answer(nb, "reserve_use_pct", "reserve_use_pct = 0")
    save(tmp_path / "submissions", "forger.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    rows = by_question(report, "forger.ipynb")
    assert rows["ex02.reserve-use"]["status"] == "incorrect", rows["ex02.reserve-use"]
    assert rows["ex02.reserve-use"]["answer"] == "0"
    assert rows["ex02.russia-max"]["status"] == "unanswered"
    assert points(report, "forger.ipynb") == 0


def test_editing_the_checks_the_key_or_the_library_cannot_raise_the_score(course, tmp_path):
    nb = released(course, "02-energy-arithmetic")
    cheat = (
        "import json, coursekit.checks as ck\n"
        "from coursekit.checks import build_keys\n"
        "fake = build_keys({q: {'kind': 'number', 'answer': 1} for q in\n"
        "                   ['ex02.russia-max', 'ex02.reserve-use', 'ex02.capacity-share']})\n"
        "open('checks.json', 'w').write(json.dumps(fake))\n"
        "ck.evaluate = lambda *a, **k: ck.CheckResult('x', True, 'Correct')\n"
        "check = lambda *a, **k: print('✅ Correct. Well done!')\n"
    )
    insert(nb, "same_capacity", cheat)
    for variable in ("russia_max_musd", "reserve_use_pct", "capacity_share"):
        answer(nb, variable, f"{variable} = 1")
    for cell in nb.cells:
        cell.source = cell.source.replace('check("ex02.capacity-share", capacity_share)',
                                          'print("✅ Correct. Well done!")')
    nb.metadata["coursekit"]["points"] = 10
    save(tmp_path / "submissions", "cheat.ipynb", nb)
    report = grade(course, tmp_path / "submissions")
    rows = by_question(report, "cheat.ipynb")
    assert points(report, "cheat.ipynb") == 0
    assert rows["ex02.russia-max"]["status"] == "incorrect"


@pytest.mark.parametrize("mode", MODES)
def test_a_submission_cannot_read_the_instructor_answers(course, tmp_path, mode):
    answers = course / "exercises" / "answers" / "02-energy-arithmetic.yml"
    nb = released(course, "02-energy-arithmetic")
    answer(nb, "reserve_use_pct", "import yaml\n"
                                  f"key = yaml.safe_load(open({str(answers)!r}))\n"
                                  "reserve_use_pct = key['ex02.reserve-use']['answer']")
    save(tmp_path / "submissions", "peek.ipynb", nb)
    report = grade(course, tmp_path / "submissions", isolation=mode)
    rows = by_question(report, "peek.ipynb")
    assert rows["ex02.reserve-use"]["status"] == "crashed"
    assert points(report, "peek.ipynb") == 0
