"""A watcher that removes a process's temporary folders when the process dies, even by SIGKILL.

A process killed with SIGKILL (or by the MPI launcher tearing a job down) runs no handler,
so it cannot remove its hidden ``.partial`` result folder or the mesh it was writing.
The first time a process registers a temporary path
(:func:`solver.lifecycle.register_temporary`), it starts this watcher: a small Python
process in its own session (so a terminal's Ctrl-C or a launcher's signal to the job's
process group does not reach it), with SIGINT, SIGTERM, SIGHUP and SIGQUIT ignored, that
reads lines ``+HEX`` (watch a path, hex of its bytes) and ``-HEX`` (forget it) from a
pipe. The owner holds the only write end of the pipe; when the owner ends, however it
ends, the pipe reaches end-of-file and the watcher removes the paths still watched, then
exits (milliseconds after the owner). A path renamed into place on success is forgotten
first, so the watcher never touches a finished result.

If the watcher cannot start (no ``fork``), nothing else changes: the next run or
``dendrite clean`` removes partial folders whose owner is gone
(:mod:`solver.io.partials`).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys

__all__ = ["watch", "unwatch", "stop"]

_SCRIPT = r"""
import os, shutil, signal, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(s, signal.SIG_IGN)
held = set()
for line in sys.stdin.buffer:
    try:
        op, path = line[:1], bytes.fromhex(line[1:].strip().decode())
    except ValueError:
        continue
    (held.add if op == b"+" else held.discard)(path)
for path in held:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        try:
            os.unlink(path)
        except OSError:
            pass
"""

_state: dict = {"proc": None, "pid": None}


def _watcher(start: bool):
    """This process's watcher (started if ``start``; a forked child starts its own)."""
    if _state["pid"] == os.getpid() and _state["proc"] is not None:
        return _state["proc"]
    _state.update(proc=None, pid=os.getpid())
    if not start:
        return None
    try:
        _state["proc"] = subprocess.Popen(
            [sys.executable, "-S", "-I", "-c", _SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True, cwd="/")
    except OSError:
        return None
    return _state["proc"]


def _send(op: bytes, path, start: bool) -> None:
    proc = _watcher(start)
    if proc is None:
        return
    try:
        proc.stdin.write(op + os.fsencode(os.path.abspath(path)).hex().encode() + b"\n")
        proc.stdin.flush()
    except (OSError, ValueError):  # the watcher is gone: the stale-owner clean-up remains
        _state["proc"] = None


def watch(path) -> None:
    """Remove ``path`` (folder or file) if this process ends before :func:`unwatch`."""
    _send(b"+", path, start=True)


def unwatch(path) -> None:
    """``path`` is finished (renamed into place) or removed: leave it alone."""
    _send(b"-", path, start=False)


@atexit.register
def stop() -> None:
    """End the watcher (it removes what is still watched); done at a normal exit."""
    proc = _state["proc"] if _state["pid"] == os.getpid() else None
    _state["proc"] = None
    if proc is None:
        return
    try:
        proc.stdin.close()
        proc.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        pass
