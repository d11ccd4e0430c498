"""MPI helpers: errors raised on one rank end the run on all ranks with one message."""

from __future__ import annotations

import contextlib

from mpi4py import MPI

from solver.errors import DendriteError

__all__ = ["broadcast_errors", "RemoteError"]


class RemoteError(DendriteError):
    """Raised on the ranks that did not fail, carrying the failing rank's message."""


@contextlib.contextmanager
def broadcast_errors(comm: MPI.Comm):
    """Run the body on every rank; if any rank raised, raise on all (no deadlock).

    The failing rank re-raises its own exception; the others raise :class:`RemoteError`
    (same message, same exit code), so the CLI can print the message once, on rank 0.
    """
    error = None
    try:
        yield
    except BaseException as exc:  # KeyboardInterrupt included: nobody may wait forever
        error = exc
    report = (str(error), getattr(error, "exit_code", 1)) if error else None
    failed = [r for r in comm.allgather(report) if r is not None]
    if not failed:
        return
    if error is not None:
        raise error
    message, code = failed[0]  # the lowest failing rank's
    remote = RemoteError(message)
    remote.exit_code = code
    raise remote
