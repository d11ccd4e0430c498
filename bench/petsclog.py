"""Phase timing from PETSc log events (time spent inside each event, MPI-max over ranks).

``PCSetUp`` is NOT inside the ``KSPSolve`` event in PETSc 3.25 (KSPSetUp, hence PCSetUp,
runs before the KSP_Solve event begins; checked: PCSetUp > KSPSolve on small cases), so
Krylov time = KSPSolve and preconditioner set-up = PCSetUp. SNES
residual/Jacobian callbacks (the DOLFINx assembly) are ``SNESFunctionEval`` and
``SNESJacobianEval``.
"""

from __future__ import annotations

from mpi4py import MPI
from petsc4py import PETSc

EVENTS = ("SNESSolve", "SNESFunctionEval", "SNESJacobianEval", "SNESLineSearch", "KSPSolve", "KSPSetUp", "PCSetUp", "PCApply", "MatMult")

PETSc.Log.begin()


class EventTimer:
    """Snapshot of event times; ``delta()`` returns seconds spent since the snapshot."""

    def __init__(self, comm: MPI.Comm):
        self.comm = comm
        self.events = {name: PETSc.Log.Event(name) for name in EVENTS}
        self.start = self._now()

    def _now(self) -> dict:
        return {name: ev.getPerfInfo()["time"] for name, ev in self.events.items()}

    def delta(self) -> dict:
        now = self._now()
        return {name: self.comm.allreduce(now[name] - self.start[name], MPI.MAX) for name in now}
