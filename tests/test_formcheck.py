"""coursekit.formcheck: a graded question's student check judges the form only and holds no answer."""

from __future__ import annotations

import json

from coursekit.checks import build_keys, evaluate
from coursekit.formcheck import FORM_FIELDS, form_entry

KEYS = build_keys({"ex.gap": {"kind": "number", "answer": 24.5, "step": 0.1, "unit": "years"},
                   "ex.mc": {"kind": "choice", "answer": "b", "choices": ["a", "b", "c"]}},
                  salt_seed="form")["questions"]


def test_a_form_entry_holds_no_hash_salt_hint_or_answer():
    for entry in KEYS.values():
        form = form_entry(entry)
        assert set(form) <= set(FORM_FIELDS) and form["check"] == "form"
        assert "24.5" not in json.dumps(form) and "salt" not in form and "accept" not in form


def test_any_well_formed_answer_passes_the_form_and_says_so():
    right, wrong = evaluate(form_entry(KEYS["ex.gap"]), 24.5), evaluate(form_entry(KEYS["ex.gap"]), 3)
    assert right.passed and wrong.passed       # the form cannot tell them apart: nothing to steal
    assert "your instructor's grader judges it" in right.message


def test_a_badly_formed_answer_gets_a_kind_specific_reply():
    result = evaluate(form_entry(KEYS["ex.mc"]), "z")
    assert not result.passed and result.message.startswith("Not yet: choose one of: a, b, c.")
    assert evaluate(form_entry(KEYS["ex.gap"]), ...).message.startswith("Not yet answered")
