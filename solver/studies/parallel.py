"""MPI helpers: errors raised on one rank end the run on all ranks with one message, and
groups of ranks (sub-communicators) that run independent cases side by side."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import sys
import time
from collections.abc import Iterator, Sequence

import numpy as np
from mpi4py import MPI

from solver.errors import CaseError, DendriteError, from_os_error, one_line
from solver.lifecycle import exit_alone

__all__ = ["broadcast_errors", "end_together", "exit_code_of", "error_line", "ERROR_GRACE_SECONDS", "RemoteError",
           "ProcessGroup", "check_groups", "group_label", "process_groups", "share_work"]


class RemoteError(DendriteError):
    """Raised on the ranks that did not fail, carrying the failing rank's message."""


#: Seconds a failing rank waits for the others to reach the end of the block. A rank that
#: has not arrived by then is stuck in a collective call the failing rank will never make
#: (or is interrupted); the failing rank then ends the job alone (solver.lifecycle.exit_alone).
ERROR_GRACE_SECONDS = 10.0


def _as_reportable(exc: BaseException) -> BaseException:
    """An ``OSError`` (full disk, no permission) as the keyed :class:`OutputError`; others as they are."""
    return from_os_error(exc) if isinstance(exc, OSError) else exc


def _arrived(request: MPI.Request, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not request.Test():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def error_line(exc: BaseException, rank: int) -> str:
    """The one line a failing rank prints (a user error, or an internal error naming the rank)."""
    if isinstance(exc, DendriteError):
        return f"error: {exc}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted: no result folder was written"
    return f"internal error on rank {rank}: {type(exc).__name__}: {one_line(exc)} (rerun with --debug)"


@contextlib.contextmanager
def broadcast_errors(comm: MPI.Comm, grace: float | None = None):
    """Run the body on every rank; if any rank raised, raise on all (no deadlock).

    The failing rank re-raises its own exception; the others raise :class:`RemoteError`
    (same message, same exit code), so the CLI can print the message once, on rank 0.
    The ranks first agree on whether anyone failed (a non-blocking reduction); a failing
    rank that waits more than ``grace`` seconds (default ``ERROR_GRACE_SECONDS``) for
    the others prints its line and ends the job, since they are stuck elsewhere.
    """
    error = None
    try:
        yield
    except BaseException as exc:  # KeyboardInterrupt included: nobody may wait forever
        error = _as_reportable(exc)
    if comm.size > 1:
        alone = error_line(error, MPI.COMM_WORLD.rank) if error is not None else None
        if not _anyone_failed(comm, error is not None, grace, alone, getattr(error, "exit_code", 1)):
            return
    elif error is None:
        return
    # the same report as end_together's: a rank failing alone outside any block meets the
    # others' next agreement, and they learn of its error there
    report = (str(error), getattr(error, "exit_code", 1), isinstance(error, RemoteError)) if error else None
    failed = [r for r in comm.allgather(report) if r is not None]
    if error is not None:
        raise error
    message, code, _ = next((r for r in failed if not r[2]), failed[0])  # where the error arose
    remote = RemoteError(message)
    remote.exit_code = code
    raise remote


def _anyone_failed(comm: MPI.Comm, failed: bool, grace: float | None, alone_line: str | None, code: int) -> bool:
    """Whether any rank of ``comm`` failed (non-blocking agreement). A failing rank whose
    partners do not arrive within ``grace`` seconds prints ``alone_line`` and ends the job."""
    mine = np.array([1 if failed else 0], dtype=np.int32)
    anyone = np.zeros(1, dtype=np.int32)
    request = comm.Iallreduce(mine, anyone, op=MPI.MAX)
    if not failed:
        request.Wait()
    elif not _arrived(request, ERROR_GRACE_SECONDS if grace is None else grace):
        exit_alone(alone_line, code)
    return bool(anyone[0])


def exit_code_of(exc: BaseException) -> int:
    """The command line's exit code for ``exc`` (130: interrupted; 1: a bug)."""
    if isinstance(exc, KeyboardInterrupt):
        return 130
    return getattr(_as_reportable(exc), "exit_code", 1)


def end_together(comm: MPI.Comm, error: BaseException | None, code: int, grace: float | None = None) -> int:
    """End a command on every rank with one line and one exit code (the command line's last step).

    Every rank calls this with its own outcome. When all ranks arrive, the line of the
    rank where the error arose (not a :class:`RemoteError` echo) is printed once, by rank
    0, and every rank returns its code. A failing rank whose partners do not arrive within
    ``grace`` seconds (an error raised on that rank only, the others stuck in a collective
    call) prints its own line and ends the job (:func:`solver.lifecycle.exit_alone`).
    """
    error = _as_reportable(error) if error is not None else None
    line = error_line(error, MPI.COMM_WORLD.rank) if error is not None else None
    if comm.size == 1:
        if line:
            print(line, file=sys.stderr)
        return code
    # if the others left: say it unless this is an echo (RemoteError) on a rank other than 0
    # (rank 0 speaks for an origin that met it in an agreement and left without a word)
    alone = line if comm.rank == 0 or not isinstance(error, RemoteError) else None
    if not _anyone_failed(comm, error is not None, grace, alone, code):
        return code
    reports = comm.allgather((str(error), code, isinstance(error, RemoteError)) if error is not None else None)
    reports = [r for r in reports if r is not None]
    message, origin_code, _ = next((r for r in reports if not r[2]), reports[0])
    if comm.rank == 0:
        mine = error is not None and str(error) == message
        print(line if mine else f"error: {one_line(message)}", file=sys.stderr)
    return origin_code


@dataclasses.dataclass(frozen=True)
class ProcessGroup:
    """One of ``count`` groups of consecutive ranks: ``index`` 0..count-1 and its ``comm``.

    Each group solves its own cases on its own communicator; the group's rank 0 (its
    ``leader``) writes that group's files.
    """

    index: int
    count: int
    comm: MPI.Comm

    @property
    def leader(self) -> bool:
        return self.comm.rank == 0

    @property
    def info(self) -> dict:
        """What a result records of the group that computed it."""
        return {"index": self.index, "count": self.count, "ranks": self.comm.size}

    def label(self) -> str:
        return group_label(self.info)


def group_label(info: dict | None) -> str:
    """'' with one group, else 'group 2/4: ' (1-based), to start a progress line."""
    return f"group {info['index'] + 1}/{info['count']}: " if info and info["count"] > 1 else ""


def check_groups(comm: MPI.Comm, groups) -> None:
    """Raise a :class:`CaseError` (key ``--groups``) unless 1 <= ``groups`` <= ranks of ``comm``."""
    if isinstance(groups, bool) or not isinstance(groups, int) or not 1 <= groups <= comm.size:
        raise CaseError("--groups", "expected a whole number of process groups from 1 to the number of MPI "
                                    f"ranks ({comm.size}), got {groups!r}")


@contextlib.contextmanager
def process_groups(comm: MPI.Comm, groups: int) -> Iterator[ProcessGroup]:
    """Split ``comm`` into ``groups`` sub-communicators of consecutive ranks (collective).

    Ranks r = 0..P-1 go to group floor(r G / P), so the group sizes differ by at most one.
    With one group the body runs on ``comm`` itself. The sub-communicator is freed on
    exit, after a garbage collection at the same point on all of its ranks (PETSc objects
    on it are destroyed collectively; see solver.cli.main).
    """
    check_groups(comm, groups)
    if groups == 1:
        yield ProcessGroup(0, 1, comm)
        return
    index = comm.rank * groups // comm.size
    sub = comm.Split(index, key=comm.rank)
    try:
        yield ProcessGroup(index, groups, sub)
    finally:
        gc.collect()
        sub.Free()


def share_work(items: Sequence, groups: int) -> list[list]:
    """``items`` cut into ``groups`` consecutive blocks whose lengths differ by at most one.

    Consecutive, so that a group's points follow each other (a current sweep continues
    from the previous solution and reuses the mesh and forms within its block).
    """
    n = len(items)
    bounds = [g * n // groups for g in range(groups + 1)]
    return [list(items[bounds[g]:bounds[g + 1]]) for g in range(groups)]
