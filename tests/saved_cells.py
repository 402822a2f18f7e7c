"""Cells as a saved notebook holds them, for tests of what is read back from saved outputs."""

from __future__ import annotations

from coursekit.assess.selfchecks import CHECK_CALL, PLACEHOLDER_PREFIX

__all__ = ["saved_check"]


def saved_check(source: str, passed: bool | None = None, answered: bool = True) -> dict:
    """A code cell running ``source``; with ``passed`` given, the saved result of its check:
    right, not yet right, or (``answered=False``) the placeholder still in place."""
    outputs = []
    if passed is not None:
        text = ("Correct." if passed else "Not yet: look again." if answered
                else f"{PLACEHOLDER_PREFIX}: replace the placeholder with your answer.")
        qid = CHECK_CALL.search(source).group(2)
        outputs.append({"output_type": "execute_result", "execution_count": 1,
                        "data": {"text/plain": text},
                        "metadata": {"coursekit": {"question": qid, "passed": passed}}})
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": outputs,
            "execution_count": 1 if outputs else None}
