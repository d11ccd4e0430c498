"""Progress display: named stages with timings, printed once (rank 0) with rich."""

from __future__ import annotations

import contextlib
import time

from mpi4py import MPI
from rich.console import Console

from solver.errors import one_line as printable

__all__ = ["Stages", "console"]

console = Console(stderr=True, highlight=False)
report_console = Console(highlight=False, soft_wrap=True)


class Stages:
    """Show each stage with a spinner while it runs and its time when done (rank 0 only)."""

    def __init__(self, comm: MPI.Comm = MPI.COMM_WORLD, quiet: bool = False):
        self.rank0 = comm.rank == 0
        self.quiet = quiet
        self.show = self.rank0 and not quiet

    @contextlib.contextmanager
    def stage(self, label: str, timings: dict | None = None, key: str | None = None):
        t0 = time.perf_counter()
        if self.show:
            with console.status(f"{label} ..."):
                yield
        else:
            yield
        seconds = time.perf_counter() - t0
        if timings is not None and key:
            timings[key] = timings.get(key, 0.0) + seconds
        if self.show:
            console.print(f"[green]done[/green] {label} ({seconds:.2f} s)")

    def done(self, text: str) -> None:
        """The final report on rank 0 (nothing when quiet).

        Control characters from the case (a ``description`` with terminal escapes) are
        shown escaped, so they cannot drive the terminal.
        """
        if self.rank0 and not self.quiet:
            report_console.print("\n".join(printable(line) for line in text.splitlines()), markup=False)
