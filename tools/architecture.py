"""Write the module map of docs/architecture.md from the package itself (each module's first line).

    .venv/bin/python tools/architecture.py          # rewrite the generated region
    .venv/bin/python tools/architecture.py --check  # exit 1 if it is stale (tests/test_docs.py)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "coursekit"
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- generated: module map (python tools/architecture.py writes it; do not edit by hand) -->"
END = "<!-- end generated: module map -->"
ORDER = ["runtime", "course", "kernels", "export", "assess", "build", "cli"]


def _first_line(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return " ".join(doc.strip().split("\n\n")[0].split()) if doc else "(no docstring)"


def module_map() -> str:
    rows: dict[str, list[str]] = {layer: [] for layer in ORDER}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts or path.name == "__main__.py":
            continue
        rel = path.relative_to(PACKAGE)
        layer = rel.parts[0] if len(rel.parts) > 1 else "runtime"
        name = "coursekit." + ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        if name == "coursekit.__init__":
            name = "coursekit"
        concern = _first_line(path).replace("|", "\\|")
        rows[layer].append(f"| `{name}` | {concern} |")
    out = []
    for layer in ORDER:
        out += [f"\n**{layer}**\n", "| module | concern |", "|---|---|", *rows[layer]]
    return "\n".join(out).strip() + "\n"


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    new = f"{head}{BEGIN}\n{module_map()}{END}{tail}"
    if "--check" in argv:
        if new != text:
            print("docs/architecture.md: the module map is stale; run python tools/architecture.py")
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
