"""The client side of a kernel: an nbclient runner that reports what really happened, and how
a kernel is launched so that it never outlives the process that started it.

- :func:`runner_class`: nbclient with a cap on the output it keeps, and a record of the cells
  stopped at the time limit (nbclient's own timeout branch answers with a made-up reply and no
  exception) and of a ``quit()``/``exit()`` seen in a reply (used by
  :class:`coursekit.kernels.execute.Kernel`);
- :func:`spec_manager`: a kernel spec given by its command (the grader's sandboxed launcher);
- :func:`die_with_parent`: Popen options that kill a kernel when its parent dies, even by
  SIGKILL (``PR_SET_PDEATHSIG`` on Linux).

>>> output_size({"text": "abc", "data": {"text/plain": "xy"}})
5
"""

from __future__ import annotations

import json
import os
import signal
import sys

__all__ = ["runner_class", "spec_manager", "die_with_parent", "output_size"]


def output_size(content: dict) -> int:
    """The characters an output message adds to a notebook (text, data and traceback)."""
    size = len(content.get("text", "") or "") if isinstance(content.get("text"), str) else 0
    data = content.get("data")
    if isinstance(data, dict):
        size += sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values())
    size += sum(len(line) for line in content.get("traceback", []) if isinstance(line, str))
    return size


def runner_class():
    """The nbclient ``NotebookClient`` subclass that runs cells (imported only when needed)."""
    from nbclient import NotebookClient

    class Runner(NotebookClient):
        """nbclient with a cap on the output it keeps (the rest is dropped, with a note)."""

        def __init__(self, *args, output_limit: int | None = None, **kwargs):
            super().__init__(*args, **kwargs)
            self.output_limit = output_limit
            self.output_bytes = 0
            self.truncated: set[int] = set()
            self.timed_out: set[int] = set()  # cells stopped at the cell time limit
            self.current = -1
            self.exited: int | None = None

        async def _async_handle_timeout(self, timeout, cell=None):
            # nbclient answers a timeout with a made-up error reply (error_on_timeout) and no
            # exception, and the kernel's own KeyboardInterrupt may arrive after nbclient has
            # stopped listening: remember the cell here, where the timeout is certain.
            self.timed_out.add(self.current)
            return await super()._async_handle_timeout(timeout, cell)

        async def _async_poll_for_reply(self, msg_id, cell, timeout, *args):
            reply = await super()._async_poll_for_reply(msg_id, cell, timeout, *args)
            payload = reply.get("content", {}).get("payload") or []
            if any(isinstance(p, dict) and p.get("source") == "ask_exit" for p in payload):
                self.exited = self.current  # quit()/exit(): the kernel stops after this reply
            return reply

        def output(self, outs, msg, display_id, cell_index):
            if self.output_limit is None:  # the build keeps every output
                return super().output(outs, msg, display_id, cell_index)
            self.output_bytes += output_size(msg.get("content", {}))
            if self.output_bytes > self.output_limit:
                if cell_index not in self.truncated:
                    self.truncated.add(cell_index)
                    outs.append({"output_type": "stream", "name": "stderr",
                                 "text": "[coursekit: output truncated]\n"})
                return None
            return super().output(outs, msg, display_id, cell_index)

    return Runner


def spec_manager(argv: list[str]):
    """A kernel spec manager that knows one kernel: ``argv``, interrupted by message."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class SpecManager(KernelSpecManager):
        """One kernel spec: the sandboxed launcher, interrupted by message (not by signal)."""

        def get_kernel_spec(self, kernel_name, *args, **kwargs):
            return KernelSpec(argv=argv, display_name="coursekit grader", language="python",
                              interrupt_mode="message", env={}, metadata={})

    return SpecManager()


_PRCTL = []


def die_with_parent() -> dict:
    """Popen options that make the kernel's process (or its stub) die when its parent dies
    (the grader, or a build worker).

    ``PR_SET_PDEATHSIG`` (Linux) sends it SIGKILL the moment the parent's thread that started
    it ends, even if the parent itself was killed with SIGKILL and ran no clean-up. A warm
    kernel's stub dying closes its socket, on which the zygote kills the kernel and its
    processes; a cold kernel (or bwrap, which passes ``--die-with-parent`` on) is killed
    directly. Elsewhere (macOS, Windows) nothing is added.
    """
    if not sys.platform.startswith("linux"):
        return {}
    if not _PRCTL:
        try:
            import ctypes

            _PRCTL.append(ctypes.CDLL(None, use_errno=True).prctl)
        except (OSError, AttributeError):
            _PRCTL.append(None)
    prctl, parent = _PRCTL[0], os.getpid()
    if prctl is None:
        return {}

    def arm() -> None:  # runs in the child between fork and exec: no locks, no imports
        prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return {"preexec_fn": arm}
