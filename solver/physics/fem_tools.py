"""Small MPI-correct finite-element helpers shared by the physics and the post-processing.

scifem provides these for DOLFINx, but its PyPI source build needs DOLFINx's CMake
package, which the ``dolfinx-solver-real`` wheel does not ship; this module is the one
place where the package sums a form over ranks.
"""

from __future__ import annotations

import numpy as np
import ufl
from dolfinx import default_scalar_type, fem
from ufl.core.expr import Expr
from ufl.domain import extract_domains
from mpi4py import MPI

__all__ = ["assemble_scalar", "form_constant", "form_parameter", "integrate"]


def assemble_scalar(form, comm: MPI.Comm | None = None) -> float:
    """The value of a scalar UFL form summed over all ranks (collective)."""
    compiled = form if isinstance(form, fem.Form) else fem.form(form)
    comm = comm or compiled.mesh.comm
    return comm.allreduce(fem.assemble_scalar(compiled), MPI.SUM)


def integrate(expr, measure: ufl.Measure, comm: MPI.Comm | None = None) -> float:
    """int expr d(measure) over the whole mesh (collective); ``expr`` may be a number."""
    return assemble_scalar(fem.form(expr * measure), comm)


def form_constant(domain, value) -> fem.Constant:
    """A DOLFINx ``Constant`` [any unit] on ``domain`` whose place in a form depends only on
    the order in which the form's constants were made.

    UFL sorts the operands of sums and products, and compares two Constants by their repr,
    which ends with a global count as text: ``...99)`` sorts after ``...100)``. A form
    built after the count passed a power of ten could then be ordered differently from
    the same form built before: another signature, another compiled module. The count is
    written with a fixed number of digits here, so the text order is the creation order
    (and such constants sort before DOLFINx's own, whose count has no leading zero).
    """
    constant = fem.Constant(domain, np.asarray(value, dtype=default_scalar_type))
    constant._repr = f"Constant({constant.ufl_domain()!r}, {constant.ufl_shape!r}, {constant.count():020d})"
    return constant


def form_parameter(value, expr):
    """``value`` as it enters a UFL expression built with ``expr``: a ``Constant`` on its mesh.

    A number written into a form is a literal of its generated code, so every new value
    compiles (and loads) a new module; a ``Constant`` is data passed at assembly, and forms
    that differ only in its value share one compiled module (a sweep over a temperature,
    an exchange current density or a resistance compiles its forms once). Returns
    ``value`` unchanged when ``expr`` is not a UFL expression on a mesh (numpy
    evaluation) or ``value`` is already UFL.
    """
    if isinstance(value, Expr) or not isinstance(expr, Expr):
        return value
    domains = extract_domains(expr)
    if not domains:
        return value
    return form_constant(domains[0], value)
