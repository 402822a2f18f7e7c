"""assess.journal: an interrupted grading run resumes where it stopped, and only for the same key."""

from __future__ import annotations

from coursekit.assess.journal import JOURNAL, Journal


def test_results_come_back_for_the_same_fingerprint(tmp_path):
    journal = Journal(tmp_path, fingerprint="k1")
    journal.record("ada.ipynb", "d1", {"rows": [1]})
    journal.close()
    assert Journal(tmp_path, fingerprint="k1").done == {("ada.ipynb", "d1"): {"rows": [1]}}


def test_another_key_starts_afresh(tmp_path):
    journal = Journal(tmp_path, fingerprint="k1")
    journal.record("ada.ipynb", "d1", {"rows": [1]})
    journal.close()
    assert Journal(tmp_path, fingerprint="k2").done == {}


def test_a_line_cut_short_by_a_kill_is_skipped(tmp_path):
    journal = Journal(tmp_path, fingerprint="k1")
    journal.record("ada.ipynb", "d1", {"rows": [1]})
    journal.close()
    with open(tmp_path / JOURNAL, "a", encoding="utf-8") as handle:
        handle.write('{"student": "bo.ipynb", "digest": "d2", "outc')
    assert list(Journal(tmp_path, fingerprint="k1").done) == [("ada.ipynb", "d1")]
