"""The package's layout is its architecture: the import rules, read from the code with ``ast``.

runtime < course < kernels < export | assess < build < cli: a module imports only its own layer
or lower ones; export and assess never import each other; no cycles; no other module's private
names; no module over 400 lines; command-line parsing only in ``cli/``. Each rule is also shown
to catch a violation planted in a small package, so the checker cannot pass by seeing nothing.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from layers import MAX_LINES, modules, problems

import coursekit

PACKAGE = Path(coursekit.__file__).resolve().parent
# Launchers run as `python -m ...` inside a kernel's sandbox: their argv parsing is not a command.
LAUNCHERS = {"coursekit.kernels.sandbox", "coursekit.kernels.zygote", "coursekit.kernels.warmkernel"}


def test_the_package_keeps_its_layer_rules():
    found = problems(PACKAGE)
    assert not found, "layer rules broken:\n  " + "\n  ".join(found)


def test_the_checker_reads_every_module():
    names = modules(PACKAGE)
    assert {"coursekit.checks", "coursekit.course.model", "coursekit.cli"} <= set(names)
    assert {m.layer for m in names.values()} >= {"runtime", "course", "kernels", "export", "assess",
                                                 "build", "cli"}


def test_command_line_parsing_lives_in_cli_only():
    offenders = []
    for name, module in modules(PACKAGE).items():
        if module.layer == "cli" or name in LAUNCHERS:
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.FunctionDef) and node.name in {"configure", "run"} and \
                    node.col_offset == 0 and any(a.arg in {"parser", "args"} for a in node.args.args):
                offenders.append(f"{name}: def {node.name}({node.args.args[0].arg}, ...)")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if "argparse" in names:
                    offenders.append(f"{name}: imports argparse")
    assert not offenders, offenders


def test_importing_coursekit_stays_light():
    code = ("import sys, coursekit, coursekit.cli; heavy = {'pandas', 'matplotlib', 'nbformat', "
            "'nbconvert', 'coursekit.build.pipeline', 'coursekit.assess.grade'} & set(sys.modules); "
            "print(sorted(heavy))")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "coursekit"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            (root / parent / "__init__.py").touch()
        path.write_text(text, encoding="utf-8")
    return root


PLANTED = {
    "the runtime importing the tool half": (
        {"data.py": "from coursekit.build import plan\n", "build/plan.py": "X = 1\n"},
        "the runtime layer may not import the build layer"),
    "export importing assess": (
        {"export/render.py": "from coursekit.assess import grade\n", "assess/grade.py": "X = 1\n"},
        "export must never import assess"),
    "assess importing export inside a function": (
        {"assess/release.py": "def f():\n    from coursekit.export.prepare import t\n",
         "export/prepare.py": "t = 1\n"},
        "assess must never import export"),
    "course importing kernels": (
        {"course/model.py": "import coursekit.kernels.execute\n", "kernels/execute.py": "X = 1\n"},
        "the course layer may not import the kernels layer"),
    "a private name imported": (
        {"checks.py": "from coursekit.answers import _plain\n", "answers.py": "_plain = 1\n"},
        "private name coursekit.answers._plain"),
    "a private attribute used": (
        {"checks.py": "from coursekit import answers\nanswers._plain(1)\n", "answers.py": "X = 1\n"},
        "private name coursekit.answers._plain"),
    "a cycle": (
        {"course/a.py": "from coursekit.course import b\n", "course/b.py": "from coursekit.course import a\n"},
        "import cycle: coursekit.course.a -> coursekit.course.b -> coursekit.course.a"),
    "a long module": ({"course/big.py": "x = 1\n" * (MAX_LINES + 1)}, f"{MAX_LINES + 1} lines"),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_a_planted_violation_is_caught(tmp_path, case):
    files, expected = PLANTED[case]
    found = problems(_package(tmp_path, files))
    assert any(expected in line for line in found), found


def test_a_clean_planted_package_passes(tmp_path):
    files = {"data.py": "from coursekit import errors\n", "errors.py": "X = 1\n",
             "course/model.py": "from coursekit.data import X\n",
             "build/plan.py": "from coursekit.export import render\nfrom coursekit.assess import grade\n",
             "export/render.py": "from coursekit.course import model\n", "assess/grade.py": "Y = 2\n",
             "cli/__init__.py": "from coursekit.build import plan\n"}
    assert problems(_package(tmp_path, files)) == []
