"""coursekit.checks: right answers pass in every normal form, wrong ones get kind feedback,
bad input never raises, and the expected answer is never shown or stored."""

from __future__ import annotations

import json

import nbformat
import pytest

from coursekit import checks
from coursekit.checks import CheckResult, build_keys, check, evaluate
from coursekit.errors import CheckError
from coursekit.kernels.execute import run_notebook

SPEC = {
    "t.gap": {"kind": "number", "answer": 22.9, "step": 0.1, "tolerance": 0.1,
              "hint": "Count from the 1999 visit to February 2022 in years.",
              "wrong": {"23.9": "Not quite: the 1999 visit was in spring, not early 1998."}},
    "t.name": {"kind": "text", "answers": ["Tashkent Declaration", "the Tashkent Declaration"],
               "hint": "Think of the 1966 agreement Kosygin brokered."},
    "t.bodies": {"kind": "set", "answer": ["NSG", "FATF"], "hint": "Two bodies: one nuclear."},
    "t.mc": {"kind": "choice", "choices": ["a", "b", "c", "d"], "answer": "c",
             "hint": "Look at the date of the invasion."},
    "t.count": {"kind": "number", "answer": 4, "hint": "Count the phases."},
}
PLAINTEXT = ["22.9", "Tashkent", "NSG", "FATF"]


@pytest.fixture
def keys():
    return build_keys(SPEC, salt_seed="tests")["questions"]


@pytest.mark.parametrize("answer", [22.9, "22.9", " 22.90 ", 22.85, 23.0, 22.8, "2.29e1"])
def test_numbers_pass_within_tolerance(keys, answer):
    assert evaluate(keys["t.gap"], answer, "t.gap").passed


@pytest.mark.parametrize("answer", [22.6, 24, "23.2", -22.9])
def test_numbers_outside_tolerance_fail(keys, answer):
    result = evaluate(keys["t.gap"], answer, "t.gap")
    assert not result.passed and result.message.startswith("Not yet")


def test_numpy_and_pandas_scalars_are_numbers(keys):
    import numpy as np
    import pandas as pd

    assert evaluate(keys["t.count"], np.int64(4), "t.count").passed
    assert evaluate(keys["t.count"], pd.Series([4.0]).sum(), "t.count").passed
    assert evaluate(keys["t.count"], pd.Series([4]), "t.count").passed


@pytest.mark.parametrize("answer", ["Tashkent Declaration", "tashkent   declaration.",
                                    "THE TASHKENT DECLARATION!", " The Tashkent—Declaration "])
def test_text_ignores_case_spacing_and_punctuation(keys, answer):
    assert evaluate(keys["t.name"], answer, "t.name").passed


@pytest.mark.parametrize("answer", [["NSG", "FATF"], ("fatf", "nsg"), {"Nsg", "FATF"},
                                    ["FATF", "nsg", "NSG"]])
def test_sets_ignore_order_case_and_repeats(keys, answer):
    assert evaluate(keys["t.bodies"], answer, "t.bodies").passed


@pytest.mark.parametrize("answer", ["c", "C", "c)", " (c) "])
def test_choice_labels_in_any_form(keys, answer):
    assert evaluate(keys["t.mc"], answer, "t.mc").passed


def test_wrong_answers_get_the_question_hint(keys):
    assert evaluate(keys["t.name"], "Simla", "t.name").message == (
        "Not yet: Think of the 1966 agreement Kosygin brokered.")
    assert "one nuclear" in evaluate(keys["t.bodies"], ["NSG"], "t.bodies").message
    assert "invasion" in evaluate(keys["t.mc"], "a", "t.mc").message


def test_a_common_wrong_answer_gets_its_own_feedback(keys):
    assert "spring" in evaluate(keys["t.gap"], 23.9, "t.gap").message


@pytest.mark.parametrize("bad, words", [
    (None, "replace the placeholder"),
    (..., "replace the placeholder"),
    (float("nan"), "NaN"),
    (float("inf"), "not a finite number"),
    ("x" * 200_000, "characters long"),
    (True, "not True or False"),
    ({"a": 1}, "one number"),
    ([1, 2], "one number"),
    ("twenty-three", "is not a number"),
    (object(), "one number"),
])
def test_bad_input_gets_a_clear_message_never_a_traceback(keys, bad, words):
    result = evaluate(keys["t.gap"], bad, "t.gap")
    assert not result.passed and words in result.message


def test_bad_input_for_text_set_and_choice(keys):
    assert "wants text" in evaluate(keys["t.name"], 1966, "t.name").message
    assert "several items" in evaluate(keys["t.bodies"], "NSG", "t.bodies").message
    assert "empty" in evaluate(keys["t.bodies"], [], "t.bodies").message
    assert "choose one of: a, b, c, d" in evaluate(keys["t.mc"], "e", "t.mc").message
    loop = []
    loop.append(loop)
    assert not evaluate(keys["t.bodies"], loop, "t.bodies").passed


def test_key_file_holds_no_plaintext(tmp_path):
    import yaml

    from coursekit.course.answerkeys import write_keys

    spec = tmp_path / "answers.yml"
    spec.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    write_keys([spec], tmp_path / "checks.json")
    text = (tmp_path / "checks.json").read_text(encoding="utf-8")
    for secret in PLAINTEXT:
        assert secret.lower() not in text.lower()
    assert json.loads(text)["format"] == checks.KEY_FORMAT


def test_result_shows_nothing_of_the_answer(keys):
    for qid, answer in [("t.gap", 1.0), ("t.name", "Simla"), ("t.bodies", ["SCO"]), ("t.mc", "a")]:
        result = evaluate(keys[qid], answer, qid)
        data, meta = result._repr_mimebundle_()
        shown = repr(result) + json.dumps(data) + json.dumps(meta)
        for secret in PLAINTEXT:
            assert secret.lower() not in shown.lower()
        assert set(vars(result)) == {"question", "passed", "message", "answered"}  # no answer


def test_check_finds_the_key_file_above_the_working_directory(tmp_path, monkeypatch):
    import yaml

    from coursekit.course.answerkeys import write_keys

    (tmp_path / "a.yml").write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    write_keys([tmp_path / "a.yml"], tmp_path / "checks.json")
    (tmp_path / "lesson").mkdir()
    monkeypatch.chdir(tmp_path / "lesson")
    monkeypatch.delenv("COURSEKIT_KEYS", raising=False)
    assert check("t.count", 4).passed
    unknown = check("t.cont", 4)
    assert not unknown.passed and "Did you mean 't.count'" in unknown.message


def test_unknown_question_without_key_file_explains(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COURSEKIT_KEYS", raising=False)
    result = check("x.y", 1)
    assert isinstance(result, CheckResult) and not result.passed
    assert "No key file" in result.message
    assert not check(None, 1).passed  # a non-string id is a message too


def test_broken_key_file_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    (tmp_path / "checks.json").write_text("{not json", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COURSEKIT_KEYS", raising=False)
    result = check("t.gap", 1)
    assert not result.passed and "not valid JSON" in result.message


def test_build_keys_rejects_bad_specs():
    with pytest.raises(CheckError, match="'q'.*kind 'essay'"):
        build_keys({"q": {"kind": "essay", "answer": "x"}})
    with pytest.raises(CheckError, match="'q'.*give its answer"):
        build_keys({"q": {"kind": "text"}})
    with pytest.raises(CheckError, match="'q'.*does not fit kind 'number'"):
        build_keys({"q": {"kind": "number", "answer": "many"}})


def test_salts_differ_per_question_and_seeded_keys_are_reproducible():
    one = build_keys(SPEC, salt_seed="s")
    assert one == build_keys(SPEC, salt_seed="s")
    salts = {q["salt"] for q in one["questions"].values()}
    assert len(salts) == len(SPEC)
    assert build_keys(SPEC)["questions"]["t.gap"]["salt"] != build_keys(SPEC)["questions"]["t.gap"]["salt"]


def test_in_a_real_notebook_nothing_visible_reveals_the_answer(tmp_path):
    """Run check() in a kernel; the saved notebook (outputs, metadata) holds no answer."""
    import yaml

    from coursekit.course.answerkeys import write_keys

    (tmp_path / "a.yml").write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    write_keys([tmp_path / "a.yml"], tmp_path / "checks.json")
    cells = [
        "from coursekit.checks import check",
        "check('t.name', 'Simla')",
        "check('t.gap', 10)",
        "r = check('t.bodies', ['SCO']); print(r); print(vars(r))",
        "check('t.mc', 'c')",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    run_notebook(nb, cwd=tmp_path)
    saved = nbformat.writes(nb)
    for secret in ["Tashkent", "22.9", "NSG", "FATF"]:
        assert secret.lower() not in saved.lower()
    outputs = [o for c in nb.cells for o in c.outputs]
    assert "Not yet" in json.dumps(outputs[0]) and "Correct" in json.dumps(outputs[-1])
    assert outputs[-1]["metadata"]["coursekit"] == {"question": "t.mc", "passed": True}


def test_module_exports_are_explicit():
    """__all__ names the public API, and every name in it exists."""
    assert set(checks.__all__) >= {"check", "evaluate", "build_keys", "load_keys"}
    assert all(hasattr(checks, name) for name in checks.__all__)


# --------------------------------------------------------------- tolerant, kind matching

TOLERANT = {
    "t.mediator": {"kind": "text", "typos": 1,
                   "answers": ["Kosygin", "Alexei Kosygin", "Alexey Kosygin", "Soviet premier Kosygin"],
                   "wrong": {"Brezhnev": "Brezhnev appears later."}},
    "t.body": {"kind": "text", "answers": ["STZA", "Special Technology Zones Authority", "Pakistan's STZA"]},
    "t.pct": {"kind": "number", "answer": 58.8, "step": 0.1, "tolerance": 0.1, "unit": "%"},
    "t.days": {"kind": "number", "answer": 6, "unit": "days"},
    "t.gap": {"kind": "number", "answer": 253.15, "step": 0.01},
}


@pytest.fixture
def tolerant():
    return build_keys(TOLERANT, salt_seed="tests")["questions"]


@pytest.mark.parametrize("answer", ["Alexey Kosygin", "soviet premier kosygin", "KOSYGIN.", "Kosýgin",
                                    "kosigin", "Kosygyn"])
def test_names_pass_with_titles_transliterations_and_one_slip(tolerant, answer):
    assert evaluate(tolerant["t.mediator"], answer, "t.mediator").passed


@pytest.mark.parametrize("answer", ["Brezhnev", "Kosy", "Kasigan", "Shastri", "Premier"])
def test_a_different_name_or_two_slips_do_not_pass(tolerant, answer):
    assert not evaluate(tolerant["t.mediator"], answer, "t.mediator").passed


def test_typos_are_refused_where_a_slip_could_reach_a_listed_wrong_answer():
    spec = {"q": {"kind": "text", "answer": "Kosygin", "typos": 1, "wrong": {"Kosygan": "no"}}}
    with pytest.raises(CheckError, match="one slip of spelling"):
        build_keys(spec)


def test_typos_never_apply_to_short_answers(tolerant):
    keys = build_keys({"q": {"kind": "text", "answer": "STZA", "typos": 1}}, salt_seed="t")["questions"]
    assert not evaluate(keys["q"], "STZB", "q").passed
    assert "near" not in keys["q"]


@pytest.mark.parametrize("answer", ["Pakistan's STZA", "pakistan’s  stza", "Pakistan STZA",
                                    "the Special Technology Zones Authority"])
def test_abbreviations_possessives_and_articles(tolerant, answer):
    assert evaluate(tolerant["t.body"], answer, "t.body").passed


@pytest.mark.parametrize("answer", ["58.8%", "58.8 %", "58.8 percent", "58.8 per cent", 58.8])
def test_a_percentage_may_carry_its_sign(tolerant, answer):
    assert evaluate(tolerant["t.pct"], answer, "t.pct").passed


def test_a_unit_is_read_off_only_where_the_question_names_it(tolerant):
    assert evaluate(tolerant["t.days"], "6 days", "t.days").passed
    assert evaluate(tolerant["t.days"], "1 day", "t.days").message.startswith("Not yet")
    wrong_unit = evaluate(tolerant["t.days"], "6 months", "t.days")
    assert not wrong_unit.passed and "not the unit" in wrong_unit.message
    plain = evaluate(tolerant["t.gap"], "253.15%", "t.gap")
    assert not plain.passed and "plain number" in plain.message


@pytest.mark.parametrize("answer", [0.588, "0.588", "0.59"])
def test_a_fraction_for_a_percentage_is_named_as_that_slip(tolerant, answer):
    result = evaluate(tolerant["t.pct"], answer, "t.pct")
    assert not result.passed and "fraction" in result.message and "multiply by 100" in result.message


def test_a_wrong_sign_is_named_without_saying_the_size_was_right(tolerant):
    message = evaluate(tolerant["t.gap"], -253.15, "t.gap").message
    assert "order of your subtraction" in message
    assert "size" not in message.split("subtraction")[0] and "right" not in message.lower()
    # A number that is not the answer negated gets the question's ordinary hint instead.
    assert "order of your subtraction" not in evaluate(tolerant["t.gap"], -100, "t.gap").message


def test_options_and_asks_are_checked():
    with pytest.raises(CheckError, match="asks"):
        build_keys({"q": {"kind": "number", "answer": 1, "asks": "maths"}})
    with pytest.raises(CheckError, match="options"):
        build_keys({"q": {"kind": "choice", "choices": ["a", "b"], "answer": "a", "options": {"a": "x"}}})
    keys = build_keys({"q": {"kind": "choice", "choices": ["a", "b"], "answer": "a", "asks": "judgement",
                             "options": {"a": "One text", "b": "Another"}}})
    assert "One text" not in json.dumps(keys)  # option texts stay with the instructor


# --- pathological answers: check() never raises and always returns quickly -----------------

class _Raises:
    def __str__(self):
        raise RuntimeError("str")

    __repr__ = __str__

    def __eq__(self, other):
        raise RuntimeError("eq")

    __hash__ = object.__hash__


class _Sleeps:
    def __str__(self):
        import time
        time.sleep(30)
        return "x"

    __repr__ = __str__

    def __iter__(self):
        import time
        time.sleep(30)
        return iter([])

    def __float__(self):
        import time
        time.sleep(30)
        return 1.0


class _StrThatLies(str):
    def __str__(self):
        raise RuntimeError("no")

    def strip(self, *args):
        raise RuntimeError("no")


def _deep(n):
    value = []
    for _ in range(n):
        value = [value]
    return value


@pytest.mark.parametrize("answer", [_Raises(), _Sleeps(), [_Raises()], {"a": _Raises()},
                                    10 ** 5000, -(10 ** 400), _deep(100_000), [1] * 2_000_000,
                                    _StrThatLies("Tashkent")],
                         ids=["raises", "sleeps", "list-of-raises", "dict", "huge-int",
                              "huge-negative", "deep", "long-list", "lying-str"])
@pytest.mark.parametrize("question", ["t.gap", "t.name", "t.bodies", "t.mc"])
def test_pathological_answers_never_raise_and_return_within_a_second(keys, question, answer):
    import time

    started = time.monotonic()
    result = evaluate(keys[question], answer, question)
    assert time.monotonic() - started < 1.0
    assert result.passed is False and result.message.startswith("Not yet")


def test_a_str_subclass_is_read_as_the_text_it_holds(keys):
    assert evaluate(keys["t.name"], _StrThatLies("Tashkent Declaration"), "t.name").passed


def test_check_with_an_id_whose_str_raises_does_not_raise():
    assert check(_Raises(), 1).passed is False
