"""Read a submission's answers out of its kernel through a door its code cannot rewrite.

The old way sent the read-out as code to run, so it went through everything a notebook can
hook: IPython's input and AST transformers, the display formatters that turn a value into
text, events, and names in the user namespace (``get_ipython``, ``json``, the reader itself).
A submission that registered an input transformer could replace the read-out with one that
reported any values it liked.

Now the grader plants its reader *before the first cell of the submission runs*, while the
kernel is still exactly the fork of a clean one (no student code has run, so no hook exists):

- the reader is a closure compiled in its own globals, not in the user namespace, holding the
  real objects it needs (the user namespace dict, the session, the built-in functions);
- it is registered as the handler of a shell message whose type is random for each submission
  (the grader knows it; the notebook was never told), so it never passes through
  ``run_cell``, transformers, formatters or events, and the user's names are never looked up;
- it reads values by their exact built-in type (``type(v)`` and the base types' own C
  methods), never calling a method a submission defined, so a value cannot lie about itself or
  make the read-out hang; anything else is reported only by its type name.

What is left in a process the submission controls: code that goes after ipykernel's own
internals on purpose (replacing the session's sender, say) could still change what is sent. It
could only send values the notebook could have assigned to its variables anyway, which the
grader then judges with its own key; no key, hash or answer is in the kernel to be reported.

The reply is turned into the grader's own values here too (:func:`decode_nodes`): plain numbers,
text and lists, :data:`MISSING` for a name that is not defined, :class:`Opaque` for anything
the grader cannot judge.

>>> len(new_message_type()) > 20 and new_message_type() != new_message_type()
True
>>> values = decode_nodes({"gap": {"t": "float", "v": 22.9}, "memo": {"t": "missing"}},
...                       ["gap", "memo"])
>>> values["gap"], values["memo"] is MISSING
(22.9, True)
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

__all__ = ["new_message_type", "install_code", "plant_reader", "read_values", "run_tests", "outputs_of_test", "READER",
           "MISSING", "Opaque", "decode_nodes"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()  # the variable is not defined in the kernel


@dataclass(frozen=True)
class Opaque:
    """A value the grader cannot judge (a DataFrame, a function, ...): only its type name."""

    type_name: str
    problem: str = ""

READER = r'''
def _make(ip, msg_type, reply_type):
    kernel, ns = ip.kernel, ip.user_ns
    session = kernel.session
    send = session.send
    _type, _issub, _len, _repr, _int, _float = type, issubclass, len, repr, int, float
    str_slice, float_repr = str.__getitem__, float.__repr__
    int_bits, dict_get, isfinite = int.bit_length, dict.get, __import__("math").isfinite
    islice = __import__("itertools").islice
    _ast = __import__("ast")
    _sys, StringIO = __import__("sys"), __import__("io").StringIO
    parse, Expr, Expression = _ast.parse, _ast.Expr, _ast.Expression
    exec_, eval_, compile_ = exec, eval, compile
    seq_types = (list, tuple, set, frozenset)
    absent = object()

    def conv(v, depth, limit, items):
        t = _type(v)
        if v is None:
            return {"t": "none"}
        if v is Ellipsis:
            return {"t": "ellipsis"}
        if t is bool:
            return {"t": "bool", "v": v is True}
        if _issub(t, str):
            return {"t": "str", "v": str_slice(v, slice(0, limit + 1))}
        if _issub(t, int) and not _issub(t, bool):
            if int_bits(v) > 200:
                return {"t": "other", "type": "a very large integer"}
            return {"t": "int", "v": _int.__int__(v)}
        if _issub(t, float):
            f = _float.__float__(v)
            return {"t": "float", "v": f if isfinite(f) else float_repr(f)}
        module = getattr(t, "__module__", "") if _type(getattr(t, "__module__", "")) is str else ""
        if module == "numpy" and depth < 3:
            try:
                if t.__name__ != "ndarray" and hasattr(t, "item"):
                    return conv(t.item(v), depth + 1, limit, items)
                if t.__name__ == "ndarray" and depth < 2:
                    return conv(t.tolist(v), depth + 1, limit, items)
            except Exception:
                return {"t": "other", "type": t.__name__}
        if module.startswith("pandas") and depth < 2:
            try:
                return conv(list(islice(iter(v), items + 1)), depth + 1, limit, items)
            except Exception:
                return {"t": "other", "type": t.__name__}
        if depth < 2 and t in seq_types:
            seq = list(islice(iter(v), items + 1))
            return {"t": "list", "v": [conv(x, depth + 1, limit, items) for x in seq[:items]],
                    "more": _len(seq) > items}
        name = getattr(t, "__name__", "value")
        return {"t": "other", "type": name if _type(name) is str else "value"}

    def run_test(code, limit, items):
        # The grader's own test code, compiled here: no input transformer, AST hook, event or
        # display formatter of the submission sees it; a last expression is the test's value.
        # What it writes to sys.stderr is noted: nbgrader fails a test cell that wrote there.
        saved, buffer = _sys.stderr, StringIO()
        _sys.stderr = buffer
        try:
            tree = parse(code, "<test>", "exec")
            last = tree.body.pop() if tree.body and _type(tree.body[-1]) is Expr else None
            exec_(compile_(tree, "<test>", "exec"), ns)
            value = eval_(compile_(Expression(last.value), "<test>", "eval"), ns) if last else None
        except BaseException as exc:
            return {"ok": False, "ename": getattr(_type(exc), "__name__", "Exception")}
        finally:
            _sys.stderr = saved
        wrote = buffer.getvalue()
        return {"ok": True, "value": conv(value, 0, limit, items),
                "stderr": _type(wrote) is str and wrote != ""}

    def handler(stream, ident, parent):
        content = parent.get("content") or {}
        names = content.get("names") or []
        limit, items = _int(content.get("limit", 10000)), _int(content.get("items", 1000))
        if content.get("tests"):
            results = [run_test(code, limit, items) for code in content["tests"]]
            send(stream, reply_type, {"status": "ok", "tests": results}, parent, ident)
            return
        out = {}
        for name in names:
            value = dict_get(ns, name, absent)
            if value is absent:
                out[name] = {"t": "missing"}
                continue
            try:
                out[name] = conv(value, 0, limit, items)
            except BaseException as exc:
                out[name] = {"t": "unreadable", "why": _type(exc).__name__}
        send(stream, reply_type, {"status": "ok", "values": out}, parent, ident)

    kernel.shell_handlers[msg_type] = handler
'''


def new_message_type() -> str:
    """A shell message type no notebook can guess: the read-out's door for one submission."""
    return "x_" + secrets.token_hex(16) + "_request"


def install_code(msg_type: str) -> str:
    """The code, run silently before the first cell, that plants the reader (nothing in user_ns)."""
    reply = msg_type.removesuffix("_request") + "_reply"
    return (f"exec(compile({READER!r}, '<coursekit>', 'exec'), _g := {{}}) or "
            f"_g['_make'](get_ipython(), {msg_type!r}, {reply!r}); del _g")


async def _reply(kc, msg_id: str, wait: float):
    """The shell reply to ``msg_id`` within ``wait`` seconds (None if none came); other
    replies (to cells interrupted earlier, say) are passed over."""
    deadline = time.monotonic() + wait
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        reply = await kc.get_shell_msg(timeout=remaining)
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            return reply


async def plant_reader(kc, wait: float) -> str | None:
    """Plant the read-out before any submitted code runs.

    Returns:
        The message type that reads the answers, or None if the kernel did not take it.
    """
    door = new_message_type()
    try:
        msg_id = kc.execute(install_code(door), silent=True, store_history=False)
        reply = await _reply(kc, msg_id, wait)
    except Exception:  # a dead or hung kernel: the read-out is simply not there
        return None
    ok = reply is not None and reply.get("content", {}).get("status") == "ok"
    return door if ok else None


async def _ask(kc, door: str, content: dict, wait: float) -> dict:
    """Send ``content`` through the door; the reply's content, or {} if none came in time."""
    try:
        msg = kc.session.msg(door, content)
        kc.shell_channel.send(msg)
        reply = await _reply(kc, msg["header"]["msg_id"], wait)
    except Exception:
        return {}
    content = reply.get("content") if isinstance(reply, dict) else None
    return content if isinstance(content, dict) else {}


async def run_tests(kc, door: str, tests: list[str], wait: float, limit: int = 10_000):
    """Run the grader's ``tests`` (code) through the planted reader; one result each, or None.

    Each result is ``{"ok": True, "value": node}`` (the value of the test's last expression,
    read by exact type like an answer) or ``{"ok": False, "ename": "AssertionError"}``. The
    code never passes through ``run_cell``, so a submission's input transformers, AST hooks
    and events cannot rewrite or skip a test.
    """
    results = (await _ask(kc, door, {"tests": tests, "limit": limit, "items": 100}, wait)).get("tests")
    return results if isinstance(results, list) and len(results) == len(tests) else None


async def read_values(kc, door: str, names: list[str], wait: float, limit: int = 10_000):
    """Ask the planted reader for ``names``; return its reply's nodes (checked by the grader)."""
    values = (await _ask(kc, door, {"names": names, "limit": limit, "items": 1000}, wait)).get("values")
    return values if isinstance(values, dict) else None


def _value(node):
    kind = node.get("t") if isinstance(node, dict) else None
    if kind == "none":
        return None
    if kind == "ellipsis":
        return Ellipsis
    if kind in ("bool", "str", "int") and "v" in node:
        return node["v"]
    if kind == "float":
        return float(node["v"])
    if kind == "list":
        items = [_value(x) for x in node.get("v", [])]
        return Opaque("list", "it has too many items") if node.get("more") else items
    if kind == "missing":
        return MISSING
    if kind == "unreadable":
        return Opaque("value", f"reading it raised {node.get('why', 'an error')}")
    return Opaque(str(node.get("type", "value")) if isinstance(node, dict) else "value")


def decode_nodes(nodes, names: list[str]) -> dict | None:
    """The reader's reply as the grader's own values (a malformed reply reads as nothing).

    >>> decode_nodes({"n": {"t": "int", "v": 3}}, ["n", "gone"])
    {'n': 3, 'gone': MISSING}
    """
    if not isinstance(nodes, dict):
        return None
    try:
        return {name: _value(nodes.get(name, {"t": "missing"})) for name in names}
    except (RecursionError, MemoryError, TypeError, ValueError):
        return None



def outputs_of_test(result: dict | None) -> list[dict]:
    """The outputs a test would have shown had it run as a cell (what the scoring reads).

    >>> outputs_of_test({"ok": False, "ename": "AssertionError"})[0]["output_type"]
    'error'
    >>> outputs_of_test({"ok": True, "value": {"t": "bool", "v": True}})[0]["data"]
    {'text/plain': 'True'}
    >>> outputs_of_test({"ok": True, "value": {"t": "none"}})
    []
    >>> outputs_of_test({"ok": True, "value": {"t": "none"}, "stderr": True})[0]["name"]
    'stderr'
    """
    if not isinstance(result, dict):
        return [{"output_type": "error", "ename": "NoResult", "evalue": "", "traceback": []}]
    if not result.get("ok"):
        name = result.get("ename") if isinstance(result.get("ename"), str) else "Exception"
        return [{"output_type": "error", "ename": name[:100], "evalue": "", "traceback": []}]
    value = _value(result.get("value"))
    # Only that it wrote there: a test's own words may quote a hidden expected value.
    outputs = [{"output_type": "stream", "name": "stderr", "text": "(the test wrote to stderr)\n"}
               ] if result.get("stderr") is True else []
    if value is None:
        return outputs
    text = repr(value) if not isinstance(value, Opaque) else f"<{value.type_name}>"
    return outputs + [{"output_type": "execute_result", "data": {"text/plain": text},
                       "metadata": {}, "execution_count": None}]
