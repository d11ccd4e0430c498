"""Discretisations of the conduction problem: how the space, the bulk operator and the
Dirichlet data of :mod:`solver.physics.boundary_conditions` become discrete.

- :class:`ContinuousScheme`: Lagrange elements, Dirichlet data imposed strongly; the
  boundary fluxes are recovered afterwards from the residual (solver.analysis.metrics),
  so the scheme reports no weak fluxes.
- :class:`InteriorPenaltyScheme`: symmetric interior penalty (SIPG) with lumped
  zero-thickness grain boundaries (:mod:`solver.physics.grain_boundaries`); Dirichlet
  data by Nitsche's method, whose consistent flux is the weak flux of that boundary; with
  a GB sheet the sheet potential psi is a second unknown with its own constraints.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import ufl
from petsc4py import PETSc

from dolfinx import fem

from solver.geometry.driver import TaggedMesh
from solver.physics.grain_boundaries import (
    INSIDE_GRAINS,
    GrainBoundaryModel,
    dg_operator,
    interior_facet_tags,
    nitsche_dirichlet,
    potential_space,
    sheet_constraints,
)

__all__ = ["Imposed", "ContinuousScheme", "InteriorPenaltyScheme", "make_scheme"]


@dataclasses.dataclass
class Imposed:
    """Dirichlet data made discrete: extra residual ``form``, strong ``bcs``, ``weak_fluxes``
    (boundary -> current density leaving [A/m^2]) and ``sheet_ends`` (boundary -> the
    condition on the GB sheet ends there)."""

    form: object = 0
    bcs: list = dataclasses.field(default_factory=list)
    weak_fluxes: dict = dataclasses.field(default_factory=dict)
    sheet_ends: dict = dataclasses.field(default_factory=dict)


class ContinuousScheme:
    """Lagrange elements of ``degree``; strong Dirichlet conditions."""

    keeps_weak_fluxes = False  # fluxes are recovered from the residual instead
    has_sheet = False

    def __init__(self, degree: int):
        self.degree = degree

    def space(self, msh) -> fem.FunctionSpace:
        return fem.functionspace(msh, ("Lagrange", self.degree))

    def split(self, unknown, V):
        """(phi, v, unknowns, tests): the potential and its test function."""
        v = ufl.TestFunction(V)
        return unknown, v, unknown, v

    def bulk(self, unknown, test, sigma, tagged: TaggedMesh):
        """(sigma grad phi, grad v) and no GB dissipation."""
        return ufl.inner(sigma * ufl.grad(unknown), ufl.grad(test)) * ufl.dx, None

    def impose(self, V, tagged: TaggedMesh, phi, v, sigma, dirichlet: list) -> Imposed:
        """``dirichlet``: (boundary, measure, value) triples -> strong conditions."""
        fdim = tagged.mesh.topology.dim - 1
        bcs = []
        for boundary, _, value in dirichlet:
            dofs = fem.locate_dofs_topological(V, fdim, tagged.facets(boundary))
            g = value if isinstance(value, fem.Constant) else PETSc.ScalarType(value)
            bcs.append(fem.dirichletbc(g, dofs, V))
        return Imposed(bcs=bcs)


class InteriorPenaltyScheme:
    """SIPG of ``degree`` with the lumped GB ``model``; Nitsche Dirichlet conditions."""

    keeps_weak_fluxes = True

    def __init__(self, degree: int, model: GrainBoundaryModel):
        self.degree, self.model = degree, model
        self.has_sheet = model.conductance > 0

    def space(self, msh) -> fem.FunctionSpace:
        return potential_space(msh, self.model, self.degree)

    def split(self, unknown, V):
        """(phi, v, unknowns, tests): with a GB sheet, the phi components of (phi, psi)."""
        if not self.has_sheet:
            v = ufl.TestFunction(V)
            return unknown, v, unknown, v
        unknowns, tests = ufl.split(unknown), ufl.TestFunctions(V)
        return unknowns[0], tests[0], unknowns, tests

    def bulk(self, unknown, test, sigma, tagged: TaggedMesh):
        return dg_operator(unknown, test, sigma, tagged, self.model, self.degree, self._interior(tagged))

    def joining_facets(self, tagged: TaggedMesh) -> np.ndarray:
        """The local interior facets inside grains (not GB facets): what joins cells into a grain."""
        return self._interior(tagged).find(INSIDE_GRAINS)

    def _interior(self, tagged: TaggedMesh):
        """The interior facet tags of ``tagged``, computed once for the bulk form and the preconditioner."""
        cached = getattr(self, "_interior_tags", None)
        if cached is None or cached[0] is not tagged:
            self._interior_tags = cached = (tagged, interior_facet_tags(tagged, self.model))
        return cached[1]

    def impose(self, V, tagged: TaggedMesh, phi, v, sigma, dirichlet: list) -> Imposed:
        imposed = Imposed()
        for boundary, measure, value in dirichlet:
            form, flux = nitsche_dirichlet(phi, v, sigma, value, measure, self.model.penalty, self.degree)
            imposed.form += form
            imposed.weak_fluxes[boundary] = flux
        values = [(boundary, value) for boundary, _, value in dirichlet]
        imposed.bcs, imposed.sheet_ends = sheet_constraints(V, tagged, self.model, values)
        return imposed


def make_scheme(degree: int, grain_boundary: GrainBoundaryModel | None):
    """Lagrange without lumped GBs, SIPG with them."""
    return (
        ContinuousScheme(degree) if grain_boundary is None else InteriorPenaltyScheme(degree, grain_boundary)
    )
