"""coursekit.kernels.zygote for the build: forked kernels behave like cold ones and never outlive
what started them (their stub, the build process)."""

from __future__ import annotations

import copy
import os

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from coursekit.errors import NotebookError
from coursekit.kernels import zygote
from coursekit.kernels.execute import KERNEL_ENV, run_notebook

pytestmark = pytest.mark.skipif(not zygote.available(), reason="warm kernels need Linux pidfds")

CODE = [
    "import os, sys\nfrom coursekit import data, plots",
    "print(os.path.basename(os.getcwd()), os.environ.get('COURSEKIT_TEST_MARK'))",
    "fig, ax = plots.figure(3, 2)\nax.plot([1, 2], [3, 4])\n"
    "plots.render_png(fig)[:8]",
    "print(sorted(k for k in ('PYTHONHASHSEED', 'MPLBACKEND') if k in os.environ), hash('coursekit'))",
]


def _outputs(nb):
    return [(c.execution_count, c.outputs) for c in nb.cells]


@pytest.fixture
def warm(monkeypatch):
    monkeypatch.setenv("COURSEKIT_TEST_MARK", "from-the-worker")
    with zygote.build_kernels({**os.environ, **KERNEL_ENV}) as kernels:
        yield kernels


def test_a_forked_kernel_gives_the_outputs_of_a_cold_one(tmp_path, monkeypatch):
    folder = tmp_path / "lesson-folder"
    folder.mkdir()
    monkeypatch.setenv("COURSEKIT_TEST_MARK", "from-the-worker")
    nb = new_notebook(cells=[new_code_cell(c) for c in CODE])
    cold = run_notebook(copy.deepcopy(nb), cwd=folder)
    with zygote.build_kernels({**os.environ, **KERNEL_ENV}):
        warm = run_notebook(copy.deepcopy(nb), cwd=folder)
        again = run_notebook(copy.deepcopy(nb), cwd=folder)
    assert _outputs(warm) == _outputs(cold) == _outputs(again)
    assert warm.cells[1].outputs[0]["text"] == "lesson-folder from-the-worker\n"


def test_a_runaway_cell_is_interrupted_and_reported(warm, tmp_path):
    nb = new_notebook(cells=[new_code_cell("while True:\n    pass")])
    with pytest.raises(NotebookError, match="longer than 3 s"):
        run_notebook(nb, cwd=tmp_path, timeout=3, name="loop.ipynb")


def test_no_kernel_outlives_the_build(warm, tmp_path):
    nb = new_notebook(cells=[new_code_cell("import os\nprint(os.getpid())")])
    pid = int(run_notebook(nb, cwd=tmp_path).cells[0].outputs[0]["text"])
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        import time
        time.sleep(0.05)
    else:
        pytest.fail(f"kernel {pid} is still running after its notebook finished")


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        return int(handle.read().rsplit(b")", 1)[1].split()[1])


def _gone(pids, seconds: float = 15) -> set[int]:
    """The pids of ``pids`` still running after waiting up to ``seconds``."""
    import time

    deadline = time.monotonic() + seconds
    left = set(pids)
    while left and time.monotonic() < deadline:
        for pid in list(left):
            try:
                os.kill(pid, 0)
                with open(f"/proc/{pid}/stat", "rb") as handle:
                    if handle.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                        left.discard(pid)  # a zombie has ended; only its parent has not reaped it
            except (ProcessLookupError, FileNotFoundError):
                left.discard(pid)
        time.sleep(0.1)
    return left


def test_kernels_are_forked_from_the_zygote_through_the_kernelspec(warm, tmp_path):
    """A kernel started by name is a grandchild of the zygote (zygote, supervisor, kernel)."""
    nb = new_notebook(cells=[new_code_cell("import os\nprint(os.getpid(), os.getppid())")])
    pid, parent = map(int, run_notebook(nb, cwd=tmp_path).cells[0].outputs[0]["text"].split())
    assert pid != parent and warm is not None
    assert _parent(parent) == warm.process.pid


def test_the_zygote_dies_with_the_process_that_started_it(tmp_path):
    """SIGKILL of the starter (no clean-up runs) takes the zygote and its kernels with it."""
    import signal
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import os, sys, time
        from coursekit.kernels import zygote
        from coursekit.kernels.execute import KERNEL_ENV
        with zygote.build_kernels({**os.environ, **KERNEL_ENV}) as z:
            print(z.process.pid, flush=True)
            time.sleep(600)
    """)
    starter = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    zygote_pid = int(starter.stdout.readline())
    assert _parent(zygote_pid) == starter.pid
    starter.send_signal(signal.SIGKILL)
    starter.wait()
    assert not _gone([zygote_pid]), "the zygote outlived the process that started it"


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                children.setdefault(_parent(int(entry)), []).append(int(entry))
            except (OSError, IndexError):
                continue
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def test_sigkill_of_coursekit_build_leaves_no_kernel_behind(tmp_path):
    """Kill the build mid-notebook: its workers, the zygote, the stubs and the kernels all end."""
    import signal
    import subprocess
    import sys
    import time

    from fake_course import cell, lesson_cells, make_course

    marks = tmp_path / "kernels"
    marks.mkdir()
    stuck = (f"import os, time\nopen(os.path.join({str(marks)!r}, str(os.getpid())), 'w').close()\n"
             "time.sleep(600)")
    root = make_course(tmp_path / "course", lessons={
        f"0{n}-slow.ipynb": lesson_cells(f"0{n} · Slow", None, extra=[cell("code", stuck)])
        for n in (1, 2)})
    env = {**os.environ, "COURSEKIT_ROOT": str(root)}
    build = subprocess.Popen([sys.executable, "-m", "coursekit.cli", "build", "--no-pdf", "-j", "2",
                              "--no-progress"], cwd=root, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline and build.poll() is None:
        time.sleep(0.2)
    kernels = {int(p.name) for p in marks.iterdir()}
    assert len(kernels) == 2, "the two kernels did not start"
    family = _descendants(build.pid)
    assert kernels <= family
    build.send_signal(signal.SIGKILL)
    build.wait()
    left = _gone(family | kernels)
    assert not left, f"left behind: {sorted(left)}"


def test_an_interrupt_stops_a_runaway_cell_in_a_forked_kernel(warm, tmp_path):
    """jupyter_client's interrupt (by message: the stub ignores SIGINT) reaches the kernel, which
    raises KeyboardInterrupt in the cell and stays usable."""
    import queue
    import time

    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    assert km.kernel_spec.interrupt_mode == "message" and str(warm.folder) in km.kernel_spec.resource_dir
    km.start_kernel(cwd=str(tmp_path), env={**os.environ, **KERNEL_ENV})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        msg_id = kc.execute("while True:\n    pass")
        # Interrupt only once the cell runs (an interrupt that comes before would be lost on a
        # loaded machine), and again while no reply comes: the test is of delivery, not timing.
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["msg_type"] == "execute_input" and msg["parent_header"].get("msg_id") == msg_id:
                break
        time.sleep(0.5)
        reply = None
        for _ in range(6):
            km.interrupt_kernel()
            try:
                reply = kc.get_shell_msg(timeout=10)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply is not None, "the interrupt never reached the kernel"
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        after = kc.execute_interactive("print('still alive')", timeout=30)
        assert after["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.mark.parametrize("names, has_pandas", [(None, True), ("base", False)])
def test_a_zygote_imports_what_it_is_told_and_its_kernels_do_not_see_the_list(tmp_path, names,
                                                                                has_pandas):
    from coursekit.kernels.kernelside import BASE

    preload = {} if names is None else {"preload": BASE}
    z = zygote.Zygote(tmp_path, env={**os.environ, **KERNEL_ENV}, listen=True, **preload)
    nb = new_notebook(cells=[new_code_cell(
        "import os, sys\nprint('pandas' in sys.modules, 'ipykernel.debugger' in sys.modules, "
        "'COURSEKIT_PRELOAD' in os.environ)")])
    try:
        z.start()
        with z.kernelspec():
            out = run_notebook(nb, cwd=tmp_path).cells[0].outputs[0]["text"]
    finally:
        z.close()
    assert out == f"{has_pandas} True False\n"
