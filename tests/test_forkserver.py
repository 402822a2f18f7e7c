"""coursekit.kernels.forkserver: the zygote's command line, and tool start-up (startup.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coursekit.kernels.forkserver import parse_args


def test_the_command_line_names_mode_user_and_socket():
    assert parse_args(["serve", "5", "sandboxed", "1234"]) == (5, True, 1234, None)
    assert parse_args(["serve", "5", "shared", "--listen", "/s"]) == (5, False, None, "/s")


@pytest.mark.parametrize("argv", [[], ["serve", "5"], ["serve", "5", "open"],
                                  ["serve", "5", "shared", "--listen"]])
def test_a_malformed_command_line_stops_with_the_usage(argv):
    with pytest.raises(SystemExit, match="usage: python -m coursekit.kernels.forkserver"):
        parse_args(argv)


def test_skip_slow_imports_blocks_the_iri_checker_only_before_jsonschema():
    code = ("import sys\nfrom coursekit.kernels.startup import skip_slow_imports\n"
            "skip_slow_imports()\nprint(sys.modules.get('rfc3987_syntax', 'absent'))\n"
            "import jsonschema\ndel sys.modules['rfc3987_syntax']\nskip_slow_imports()\n"
            "print(sys.modules.get('rfc3987_syntax', 'absent'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["None", "absent"]
