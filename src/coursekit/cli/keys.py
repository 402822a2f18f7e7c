"""``coursekit keys``: build a hashed ``checks.json`` from an instructor's plaintext YAML.

The work is :func:`coursekit.course.answerkeys.write_keys`; this module only reads the command line.
"""

from __future__ import annotations

from pathlib import Path

from coursekit.course.answerkeys import write_keys

__all__ = ["configure", "run"]


def configure(parser, name: str) -> None:
    """Add the ``coursekit keys`` options to ``parser``."""
    parser.add_argument("specs", nargs="+", type=Path, help="plaintext answer files (YAML)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="key file to write")
    parser.add_argument("--salt-seed", help="reproducible salts (for a key file kept in git)")


def run(args) -> int:
    """Write the key file; print how many questions it holds."""
    count = write_keys(args.specs, args.output, salt_seed=args.salt_seed)
    print(f"wrote {count} hashed question(s) to {args.output}")
    return 0
