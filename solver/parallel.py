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
    report = (type(error).__name__, str(error), getattr(error, "exit_code", 1)) if error else None
    reports = comm.allgather(report)
    failed = [(rank, r) for rank, r in enumerate(reports) if r is not None]
    if not failed:
        return
    if error is not None:
        raise error
    rank, (name, message, code) = failed[0]
    remote = RemoteError(message)
    remote.exit_code = code
    raise remote
