"""The coursekit command: help lists every command; each named module exists and is wired."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from coursekit import cli


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_listed_command_exists(name):
    module = importlib.import_module(cli.COMMANDS[name][0])
    assert callable(module.configure) and callable(module.run)


def test_help_imports_no_heavy_library():
    """--help stays fast because it imports neither pandas, nbconvert nor matplotlib."""
    code = ("import sys; from coursekit import cli\n"
            "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'nbconvert', 'matplotlib', 'nbclient') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def test_unknown_command_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "coursekit.cli", "teleport"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_keys_command_reports_a_bad_spec(tmp_path):
    spec = tmp_path / "bad.yml"
    spec.write_text("q: [unclosed\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "coursekit.cli", "keys", str(spec), "-o",
                             str(tmp_path / "checks.json")], capture_output=True, text=True)
    assert result.returncode == 1 and "bad.yml: not valid YAML" in result.stderr
    assert not (tmp_path / "checks.json").exists()


def test_commands_skip_the_iri_grammars_and_still_validate_notebooks(tmp_path):
    """A command's process does not compile rfc3987-syntax's grammars (1.4 s at every start);
    nbformat still rejects a broken notebook there."""
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"x": 1}]}',
                   encoding="utf-8")
    code = ("import sys\nfrom coursekit import cli\n"
            "cli.main(['progress', sys.argv[1]])\n"
            "import nbformat\n"
            "loaded = sys.modules.get('rfc3987_syntax') is not None\n"
            "try:\n    nbformat.validate(nbformat.read(sys.argv[1], as_version=4))\n"
            "    print('VALID')\nexcept nbformat.ValidationError:\n    print('INVALID')\n"
            "print('IRI', loaded)")
    out = subprocess.run([sys.executable, "-c", code, str(bad)], capture_output=True, text=True,
                         check=True).stdout
    assert "IRI False" in out and "INVALID" in out
