"""Small MPI-correct finite-element helpers shared by the physics and the post-processing.

scifem provides these for DOLFINx, but its PyPI source build needs DOLFINx's CMake
package, which the ``dolfinx-solver-real`` wheel does not ship; this module is the one
place where the package sums a form over ranks.
"""

from __future__ import annotations

import ufl
from dolfinx import fem
from mpi4py import MPI

__all__ = ["assemble_scalar", "integrate"]


def assemble_scalar(form, comm: MPI.Comm | None = None) -> float:
    """The value of a scalar UFL form summed over all ranks (collective)."""
    compiled = form if isinstance(form, fem.Form) else fem.form(form)
    comm = comm or compiled.mesh.comm
    return comm.allreduce(fem.assemble_scalar(compiled), MPI.SUM)


def integrate(expr, measure: ufl.Measure, comm: MPI.Comm | None = None) -> float:
    """int expr d(measure) over the whole mesh (collective); ``expr`` may be a number."""
    return assemble_scalar(fem.form(expr * measure), comm)

