"""MPI helpers: errors raised on one rank end the run on all ranks with one message, and
groups of ranks (sub-communicators) that run independent cases side by side."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import Iterator, Sequence

from mpi4py import MPI

from solver.errors import CaseError, DendriteError

__all__ = ["broadcast_errors", "RemoteError", "ProcessGroup", "check_groups", "group_label", "process_groups",
           "share_work"]


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
