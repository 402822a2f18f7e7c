"""docs/architecture.md's module map is generated from the package and must be current."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_module_map_lists_every_module_as_it_is():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "architecture.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_points_to_the_architecture():
    assert "docs/architecture.md" in (ROOT / "README.md").read_text(encoding="utf-8")
