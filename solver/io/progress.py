"""Logging and progress: library code logs (stdlib ``logging``), it never prints.

Every module logs to ``logging.getLogger(__name__)`` (all under ``solver``). Nothing is
shown unless the application configures logging: the command line calls
:func:`configure_logging`, which installs a rich handler on stderr that passes rank-0
records only (:class:`RankZeroFilter`), at INFO (or ERROR with ``--quiet``). In a
notebook, ``logging.basicConfig(level=logging.INFO)`` shows the stages.

:class:`Stages` times the named stages of a run and logs each one when it ends; with the
command-line handler installed it also shows a spinner while a stage runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time

__all__ = ["LOGGER_NAME", "RankZeroFilter", "Stages", "configure_logging", "process_rank", "quiet_logs"]

LOGGER_NAME = "solver"
log = logging.getLogger(__name__)
_CLI_HANDLER = "dendrite-cli"


def process_rank() -> int:
    """This process's rank in MPI_COMM_WORLD without starting MPI: from mpi4py when it is
    already imported, else from the launcher's environment (0 outside mpiexec)."""
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and mpi.Is_initialized():
        return mpi.COMM_WORLD.rank
    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return 0


class RankZeroFilter(logging.Filter):
    """Pass records of MPI rank 0 only (every rank logs the same events)."""

    def __init__(self, comm=None):
        super().__init__()
        self.rank = comm.rank if comm is not None else process_rank()

    def filter(self, record: logging.LogRecord) -> bool:
        return self.rank == 0


def configure_logging(quiet: bool = False) -> logging.Handler:
    """Install the command line's rich handler on the ``solver`` logger (replacing an
    earlier one): rank 0 only, INFO, or ERROR when ``quiet``."""
    from rich.console import Console
    from rich.logging import RichHandler

    root = logging.getLogger(LOGGER_NAME)
    for old in [h for h in root.handlers if h.get_name() == _CLI_HANDLER]:
        root.removeHandler(old)
    handler = RichHandler(console=Console(stderr=True, highlight=False), show_time=False, show_path=False,
                          markup=False, rich_tracebacks=False)
    handler.set_name(_CLI_HANDLER)
    handler.addFilter(RankZeroFilter())
    root.addHandler(handler)
    root.setLevel(logging.ERROR if quiet else logging.INFO)
    root.propagate = False
    return handler


@contextlib.contextmanager
def quiet_logs(quiet: bool = True):
    """Within the block the ``solver`` loggers pass errors only (when ``quiet``)."""
    root = logging.getLogger(LOGGER_NAME)
    if not quiet:
        yield
        return
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _spinner_console():
    """The CLI handler's rich console when progress is shown, else None."""
    root = logging.getLogger(LOGGER_NAME)
    if not root.isEnabledFor(logging.INFO) or process_rank() != 0:
        return None
    return next((h.console for h in root.handlers if h.get_name() == _CLI_HANDLER), None)


class Stages:
    """Time each stage; log it (INFO) when done, with a spinner meanwhile under the CLI."""

    def __init__(self, comm=None):
        if comm is None:
            from mpi4py import MPI

            comm = MPI.COMM_WORLD
        self.comm = comm

    @contextlib.contextmanager
    def stage(self, label: str, timings: dict | None = None, key: str | None = None):
        t0 = time.perf_counter()
        console = _spinner_console() if self.comm.rank == 0 else None
        if console is not None:
            with console.status(f"{label} ..."):
                yield
        else:
            yield
        seconds = time.perf_counter() - t0
        if timings is not None and key:
            timings[key] = timings.get(key, 0.0) + seconds
        log.info("done %s (%.2f s)", label, seconds)
