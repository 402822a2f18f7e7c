"""The repository as a Binder / JupyterHub source: repo2docker reads binder/ as intended, and
the post-build step, run in a clean virtual environment made the same way, installs the
package, opens Jupyter at 00-start-here and runs that lesson (and fails the build if it breaks).

The clean-environment test installs the course's dependencies from the package index into a
new venv (about two minutes); CI runs it like every other test. Offline, set
COURSEKIT_SKIP_CLEAN_VENV=1 to skip it (and only it) with a reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from servers import free_port, stop

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
FIRST_LESSON = "notebooks/00-start-here.ipynb"
LANDING = "/lab/tree/" + FIRST_LESSON
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# What the image adds to the course's own dependencies, for running it on a JupyterHub.
HUB_EXTRAS = ["nbgitpuller>=1.2"]
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def test_runtime_is_a_python_the_package_supports():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    assert runtime.startswith("python-"), "repo2docker wants 'python-X.Y' in binder/runtime.txt"
    version = Version(runtime.removeprefix("python-"))
    assert version in SpecifierSet(PYPROJECT["project"]["requires-python"])


def test_binder_requirements_are_exactly_the_package_dependencies():
    """binder/requirements.txt is a cached copy of [project].dependencies (plus the hub's
    nbgitpuller); the two must not drift apart."""
    assert requirement_lines(BINDER / "requirements.txt") == [*PYPROJECT["project"]["dependencies"],
                                                             *HUB_EXTRAS]


def test_post_build_is_an_executable_strict_bash_script():
    script = BINDER / "postBuild"
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert "\r\n" not in text, "Windows line endings break the shebang in the Linux image"
    if os.name != "nt":
        assert os.access(script, os.X_OK), "chmod +x binder/postBuild"
    if shutil.which("bash") or os.name != "nt":  # Windows without Git Bash: no syntax check
        subprocess.run(["bash", "-n", str(script)], check=True)
    tracked = subprocess.run(["git", "ls-files", "-s", "binder/postBuild"], cwd=ROOT,
                             capture_output=True, text=True)
    if tracked.returncode == 0 and tracked.stdout.strip():
        assert tracked.stdout.startswith("100755"), "git update-index --chmod=+x binder/postBuild"


@pytest.mark.filterwarnings("ignore:pythonjsonlogger.jsonlogger has been moved:DeprecationWarning")
def test_repo2docker_builds_a_python_image_that_runs_the_post_build_step(monkeypatch):
    """Ask repo2docker itself (no container engine needed) which build pack it picks and
    render the Dockerfile it would build."""
    from repo2docker.app import Repo2Docker

    monkeypatch.chdir(ROOT)
    app = Repo2Docker()
    picked = next(bp for bp in (BP(base_image=app.base_image) for BP in app.buildpacks)
                  if bp.detect())
    assert type(picked).__name__ == "PythonBuildPack"
    picked.platform = "linux/amd64"  # what Binder and most hubs run
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip().removeprefix("python-")
    assert picked.python_version == runtime
    assert picked.get_post_build_scripts() == ["binder/postBuild"]
    dockerfile = picked.render({"NB_USER": "jovyan", "NB_UID": "1000"})
    assert 'install --no-cache-dir -r "binder/requirements.txt"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile
    # The requirements are installed before the repository is copied in (a cached layer).
    assert dockerfile.index("binder/requirements.txt") < dockerfile.index("RUN ./binder/postBuild")


def test_no_other_build_file_competes_with_binder():
    """A root-level environment.yml or a .binder/ folder would change what repo2docker does."""
    assert not (ROOT / ".binder").exists()
    assert not (ROOT / "Dockerfile").exists() and not (BINDER / "Dockerfile").exists()
    assert not (BINDER / "environment.yml").exists(), "use requirements.txt, or switch wholly"


# --- the clean virtual environment ---------------------------------------------------------

def course_files() -> list[Path]:
    """The files a clone of the repository has: tracked plus new, not-ignored files."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True)
    if listed.returncode != 0:  # not a git checkout: copy the tree minus the usual clutter
        skip = {".git", ".venv", "build", "release", "__pycache__", ".pytest_cache",
                ".ruff_cache", ".ipynb_checkpoints"}
        return [p.relative_to(ROOT) for p in ROOT.rglob("*")
                if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]
    return [Path(name) for name in listed.stdout.split("\0")
            if name and (ROOT / name).is_file()]


def clean_env(home: Path, venv: Path) -> dict[str, str]:
    """The environment of the image build: the venv first on PATH, no Jupyter settings from
    this machine's user folders, no course root or virtualenv inherited from the test run."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "COURSEKIT", "PYTHON", "VIRTUAL_ENV", "CONDA"))}
    env.update(PATH=str(venv / BIN) + os.pathsep + env.get("PATH", ""),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def landing_page(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, int]:
    """Start a Jupyter server with ``command``; return where '/' redirects to and the status
    of the first lesson's page (the lesson must exist in the contents API and the page must
    load). The server is stopped before returning."""
    port, token = free_port(), "coursekit-test-token"
    args = [*command, "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
            "--allow-root"]  # CI containers often run as root; harmless otherwise
    server = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"token {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(urllib.request.Request(base + "/api/status", headers=auth),
                                       timeout=5)
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"{command[0]} did not start: {server.stderr.read()}") from None
                time.sleep(0.5)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(urllib.request.Request(base + "/", headers=auth), timeout=10)
            location = ""
        except urllib.error.HTTPError as exc:
            location = exc.headers.get("Location", "")
        contents = urllib.request.Request(f"{base}/api/contents/{FIRST_LESSON}?content=0",
                                          headers=auth)
        status = urllib.request.urlopen(contents, timeout=10).status
        page = urllib.request.Request(base + LANDING, headers=auth)
        return location, max(status, urllib.request.urlopen(page, timeout=30).status)
    finally:
        stop(server)


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 600):
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return result


@pytest.mark.skipif(os.name == "nt", reason="repo2docker images are Linux; postBuild is bash")
@pytest.mark.skipif(os.environ.get("COURSEKIT_SKIP_CLEAN_VENV") == "1",
                    reason="COURSEKIT_SKIP_CLEAN_VENV=1: offline, the clean install cannot run")
def test_post_build_installs_and_the_first_lesson_runs_in_a_clean_venv(tmp_path):
    repo, venv, home = tmp_path / "repo", tmp_path / "env", tmp_path / "home"
    for rel in course_files():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, repo / rel)
    assert (repo / FIRST_LESSON).is_file(), f"{FIRST_LESSON} is not in the repository"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = clean_env(home, venv)

    # As repo2docker does: the requirements file first, then postBuild from the repo root.
    pip = run([str(venv / BIN / f"python{EXE}"), "-m", "pip", "install", "-q", "-r",
               "binder/requirements.txt"], repo, env, timeout=900)
    assert pip.returncode == 0, pip.stderr[-3000:]
    build = run(["bash", "binder/postBuild"], repo, env)
    assert build.returncode == 0, f"postBuild failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    assert "postBuild: notebooks/00-start-here.ipynb runs" in build.stdout
    assert not (repo / "build").exists(), "postBuild left pip's build/ folder behind"

    # The package lives in the environment, not in the checkout (a hub may hide the checkout).
    where = run([str(venv / BIN / "python"), "-c", "import coursekit; print(coursekit.__file__)"],
                tmp_path, env)
    assert where.returncode == 0 and Path(where.stdout.strip()).is_relative_to(venv), where
    assert run([str(venv / BIN / "coursekit"), "--help"], repo, env).returncode == 0
    extensions = run([str(venv / BIN / "jupyter"), "server", "extension", "list"], repo, env)
    listing = re.sub(r"\x1b\[[0-9;]*m", "", extensions.stdout + extensions.stderr)  # colours
    assert re.search(r"nbgitpuller\s+enabled", listing), listing

    # Jupyter opens at the first lesson, whether started as JupyterLab or as a bare server.
    config = json.loads((venv / "etc" / "jupyter" / "jupyter_server_config.json").read_text())
    assert {app: config[app]["default_url"] for app in ("ServerApp", "LabApp", "NotebookApp")} \
        == dict.fromkeys(("ServerApp", "LabApp", "NotebookApp"), LANDING)
    # The course's JupyterLab settings reach the image: the news pop-up's plugin is off.
    page = json.loads((venv / "etc" / "jupyter" / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"]["@jupyterlab/apputils-extension:announcements"] is True
    for command in (["jupyter", "lab"], ["jupyter", "server"]):
        location, status = landing_page([str(venv / BIN / command[0]), *command[1:]], repo, env)
        assert location.split("?")[0].endswith(LANDING), (command, location)
        assert status == 200

    # The smoke test can fail: a first lesson with a broken cell fails the image build.
    nb = nbformat.read(repo / FIRST_LESSON, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("1 / 0"))
    nbformat.write(nb, repo / FIRST_LESSON)
    broken = run(["bash", "binder/postBuild"], repo, env)
    assert broken.returncode != 0
    assert "00-start-here.ipynb" in broken.stderr and "ZeroDivisionError" in broken.stderr
