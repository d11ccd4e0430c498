"""How a process ends: interrupts, temporary files, and leaving an MPI job alone.

* **Interrupts.** :func:`interrupt_handlers` records every SIGINT. In a serial
  run it then raises ``KeyboardInterrupt`` as Python does, and :func:`raise_if_interrupted`
  lets code that catches solver failures tell a Ctrl-C (which may surface as a PETSc
  error from inside a callback) from a real failure. Under MPI an exception unwinding
  at a different place on every rank would destroy PETSc objects collectively at
  different times (a deadlock): there SIGINT and SIGTERM end the process at once, after
  removing its registered temporary folders; finished files (sweep points, cached
  meshes) are complete by construction (atomic renames).
* **Temporary paths** (``.partial`` result folders, meshes being written) are registered
  with :func:`register_temporary` while they exist, so an ending process removes them
  (and a watcher process, :mod:`solver.janitor`, when it is killed).
* :func:`exit_alone` ends this rank when the others cannot be reached (they are stuck in
  a collective call): one line on stderr, its temporary paths removed, ``os._exit``.
  The MPI launcher then ends the other ranks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import threading
import time

from solver import janitor

__all__ = ["interrupt_handlers", "interrupted", "raise_if_interrupted", "register_temporary",
           "forget_temporary", "exit_alone", "remove_temporaries"]

_temporaries: set[str] = set()
_state = {"interrupted": False}
INTERRUPT_EXIT = 130
_QUIET_SECONDS = 1.0  # a rank other than 0 waits this long before speaking for the job


def register_temporary(path) -> None:
    _temporaries.add(str(path))
    janitor.watch(path)  # removed by the watcher if this process is killed (SIGKILL)


def forget_temporary(path) -> None:
    _temporaries.discard(str(path))
    janitor.unwatch(path)


def remove_temporaries() -> None:
    for path in list(_temporaries):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:  # a file being written
            with contextlib.suppress(OSError):
                os.unlink(path)
        _temporaries.discard(path)


def interrupted() -> bool:
    """True once SIGINT was received (and handled by :func:`interrupt_handlers`)."""
    return _state["interrupted"]


def raise_if_interrupted() -> None:
    """Raise ``KeyboardInterrupt`` if SIGINT arrived: a failure seen after it is its echo."""
    if _state["interrupted"]:
        raise KeyboardInterrupt


def exit_alone(message: str | None, code: int) -> None:
    """Print ``message`` (one line; None: nothing), remove this process's temporaries and exit now."""
    try:
        if message:
            print(message, file=sys.stderr, flush=True)
    finally:
        remove_temporaries()
        os._exit(code)


def _serial_handler(signum, frame):
    _state["interrupted"] = True
    raise KeyboardInterrupt


def _parallel_handler(rank: int):
    def handler(signum, frame):
        _state["interrupted"] = True
        code = INTERRUPT_EXIT if signum == signal.SIGINT else 128 + signum
        try:
            remove_temporaries()
            if rank != 0:  # Ctrl-C reaches every rank: rank 0 says it, and the launcher ends this one meanwhile
                time.sleep(_QUIET_SECONDS)
            print("interrupted: no result folder was written", file=sys.stderr, flush=True)
        finally:
            os._exit(code)
    return handler


@contextlib.contextmanager
def interrupt_handlers(rank: int = 0, size: int = 1):
    """SIGINT (and under MPI SIGTERM) handlers for the duration of a command; main thread only.

    The previous handlers are restored and the interrupt flag cleared on exit, so a
    command run from Python (tests, notebooks) leaves the process as it found it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state["interrupted"] = False
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    if size == 1:
        if previous[signal.SIGINT] is not signal.SIG_IGN:  # a background job keeps ignoring it
            signal.signal(signal.SIGINT, _serial_handler)
    else:
        handler = _parallel_handler(rank)
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            if old is not None:
                signal.signal(sig, old)
        _state["interrupted"] = False
