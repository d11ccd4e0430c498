"""The Newton Jacobian of the conduction problem as a fixed part plus the part that changes.

With charge-transfer kinetics only the interface terms of the residual are nonlinear in
phi: J(phi) = K + J_ct(phi), with K the bulk operator (ohmic and interior-penalty/GB terms,
Nitsche terms, strong-condition rows) and J_ct = -d i_ct/d phi <., v>_anode. K is assembled
once per solve; each Newton step assembles J_ct and adds K to it (an O(nnz) sum), an integral over the interface
facets only. K is assembled straight into J and copied, so J has K's sparsity pattern: the
interface terms couple the dofs of one cell, which the bulk terms couple already. The Jacobian is the same matrix as the full assembly (up to round-off in the
order of the additions), so Newton's steps are unchanged; on the interior-penalty scheme in
3D the interior-facet integrals make the bulk assembly the largest part of a Newton step.
"""

from __future__ import annotations

from petsc4py import PETSc

import dolfinx.fem.petsc
import dolfinx.la.petsc
import ufl
from dolfinx import fem

__all__ = ["SplitJacobian"]


class SplitJacobian:
    """SNES Jacobian callback J = K + J_varying(u) for residual ``fixed + varying`` in ``u``."""

    def __init__(self, fixed_residual, varying_residual, unknown: fem.Function, bcs: list):
        du = ufl.TrialFunction(unknown.function_space)
        self.fixed = fem.form(ufl.derivative(fixed_residual, unknown, du))
        self.varying = fem.form(ufl.derivative(varying_residual, unknown, du))
        self.unknown, self.bcs = unknown, bcs
        self.base = None  # K, a copy of J's first assembly
        self.stale = True

    def refresh(self) -> None:
        """Re-assemble K at the next Jacobian (at the start of each solve)."""
        self.stale = True

    def __call__(self, snes, x: PETSc.Vec, J: PETSc.Mat, P: PETSc.Mat) -> None:
        dolfinx.la.petsc._ghost_update(x, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)
        dolfinx.fem.petsc.assign(x, self.unknown)
        J.zeroEntries()
        if self.stale:  # K straight into J, and kept
            dolfinx.fem.petsc.assemble_matrix(J, self.fixed, self.bcs, diag=1.0)
            J.assemble()
            if self.base is None:
                self.base = J.copy()
            else:
                J.copy(self.base, structure=PETSc.Mat.Structure.SAME_NONZERO_PATTERN)
            self.stale = False
        else:
            J.axpy(1.0, self.base, structure=PETSc.Mat.Structure.SAME_NONZERO_PATTERN)
        # the varying part skips the strong-condition rows and columns; their diagonal is
        # inserted (not added) by DOLFINx: written again as K's 1
        dolfinx.fem.petsc.assemble_matrix(J, self.varying, self.bcs, diag=1.0)
        J.assemble()

    def destroy(self) -> None:
        if self.base is not None:
            self.base.destroy()
