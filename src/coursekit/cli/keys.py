"""``coursekit keys``: build a hashed ``checks.json`` from an instructor's plaintext YAML.

The YAML maps question ids to ``kind``, ``answer`` (or ``answers``), ``hint`` and the optional
``step``, ``tolerance``, ``choices``, ``wrong`` and ``points`` (see :mod:`coursekit.checks`).

>>> import tempfile, pathlib, json
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.yml").write_text("q1:\\n  kind: text\\n  answer: Tashkent\\n")
>>> write_keys([folder / "a.yml"], folder / "checks.json", salt_seed="doc")
1
>>> "Tashkent" in (folder / "checks.json").read_text()
False
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from coursekit.checks import build_keys
from coursekit.errors import CheckError

__all__ = ["read_spec", "write_keys", "configure", "run"]


def read_spec(path: str | os.PathLike[str]) -> dict:
    """Read one plaintext answers file (YAML mapping of question id to its answer)."""
    import yaml

    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckError(f"{path}: no such answers file.") from None
    except yaml.YAMLError as exc:
        raise CheckError(f"{path}: not valid YAML ({exc}). Fix the indentation or quoting.") from None
    if not isinstance(spec, dict):
        raise CheckError(f"{path}: expected a mapping of question ids to answers at the top level.")
    return spec


def write_keys(specs, out: str | os.PathLike[str], *, salt_seed: str | None = None) -> int:
    """Hash the answers in ``specs`` (YAML paths) into key file ``out``; return the count.

    The file is written atomically (a temporary file renamed into place).
    """
    merged: dict = {}
    for path in specs:
        for qid, item in read_spec(path).items():
            if qid in merged:
                raise CheckError(f"{path}: question {qid!r} is defined twice; ids must be unique.")
            merged[qid] = item
    keys = build_keys(merged, salt_seed=salt_seed)
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(keys, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    os.replace(tmp, out)
    return len(keys["questions"])


def configure(parser, name: str) -> None:
    parser.add_argument("specs", nargs="+", type=Path, help="plaintext answer files (YAML)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="key file to write")
    parser.add_argument("--salt-seed", help="reproducible salts (for a key file kept in git)")


def run(args) -> int:
    count = write_keys(args.specs, args.output, salt_seed=args.salt_seed)
    print(f"wrote {count} hashed question(s) to {args.output}")
    return 0
