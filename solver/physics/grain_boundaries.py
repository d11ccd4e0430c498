"""Zero-thickness grain boundaries: a potential jump across GB facets, tangential conduction along them.

A GB of thickness delta [m] and conductivity sigma_gb [S/m], too thin to mesh, is lumped
on the interior facets tagged ``grain_boundary_facets``:

- normal: the current density crossing it is continuous and drives a potential jump
  [phi] = phi+ - phi- = R_gb i.n+  with R_gb = delta / sigma_gb [ohm m^2];
- tangential: the layer carries a sheet current G_gb * (-grad_t phi) [A/m] with the sheet
  conductance G_gb = sigma_gb delta [S] (a surface Laplacian along the GB).

Discretisation: symmetric interior-penalty discontinuous Galerkin (SIPG) for phi on the
whole mesh. On interior facets inside grains the penalty enforces continuity weakly (the
scheme is consistent, so the exact solution satisfies it); on GB facets the penalty is
replaced by the physical coupling.

- Without sheet conductance (G_gb = 0): integrating by parts cell by cell, the facet term
  of a GB facet is (i.n+)(v+ - v-), and with i.n+ = [phi]/R_gb it becomes
  (1/R_gb) [[phi]].[[v]] (vector jumps [[w]] = w+ n+ + w- n-).
- With sheet conductance: the GB mid-plane potential psi is a second unknown, continuous
  (Lagrange, same degree) over the whole GB network, so the sheet current passes through
  GB junctions and reaches the electrodes. Each grain couples to it through half the
  layer, i.n(+/-) = (phi(+/-) - psi) / (R_gb/2), and psi satisfies the sheet balance
  -div_t(G_gb grad_t psi) = sum_(+,-) (phi - psi) / (R_gb/2), the current fed in by the
  grains (grad_t = P grad, P = I - n n^T):

      int_GB (2/R_gb) sum_(+,-) (phi - psi)(v - w) + G_gb (P grad psi).(P grad w) dS.

  psi lives in a Lagrange space of the parent mesh; its dofs off the GB facets are fixed
  to zero (unused), and where a GB meets a Dirichlet boundary psi takes the boundary
  value (the layer touches the electrode). A layer of thickness delta with a linear
  potential across it satisfies both relations exactly, so the model converges to the
  resolved layer as delta -> 0. At junctions psi is shared by the meeting GBs, which
  opens a bypass of width ~max(h, delta) around the junction: for resistive GBs, where
  the sheet carries nothing, G_gb = 0 is the more accurate choice.

Dirichlet data for phi are imposed weakly (Nitsche) in the discontinuous space.

Penalty: gamma (d+1) C_k sigma_max |F| / min(|K+|, |K-|) on a facet F between cells K+-
(one cell on a boundary facet), C_k = k (k + d - 1) / d the inverse-trace constant of the
degree k-1 gradients (||q||_F^2 <= C_k |F|/|K| ||q||_K^2, Warburton and Hesthaven 2003).
With gamma >= 1 the scheme is coercive on any simplex mesh (Shahbazi 2005): the (d+1)
counts the facets of a cell. A penalty gamma' sigma / h with the cell diameter h is not:
on the slivers a 3D Gmsh mesh of Voronoi grains contains (h |F| / |K| up to ~400 against
~7 for a regular tetrahedron) it leaves the matrix indefinite, which a direct solver
hides and conjugate gradients reports as a breakdown.
"""

from __future__ import annotations

import dataclasses

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx
import dolfinx.fem.petsc
from dolfinx import fem

from solver.errors import SettingError
from solver.geometry.driver import TaggedMesh
from solver.physics.fem_tools import form_constant

__all__ = [
    "GrainBoundaryModel",
    "interior_facet_tags",
    "potential_space",
    "dg_operator",
    "sheet_constraints",
    "sheet_end_currents",
    "nitsche_dirichlet",
    "facet_penalty",
]

INSIDE_GRAINS, ON_GRAIN_BOUNDARIES = 1, 2


@dataclasses.dataclass(frozen=True)
class GrainBoundaryModel:
    """Lumped GB: normal ASR ``resistance`` R_gb [ohm m^2], sheet ``conductance`` G_gb [S].

    ``facets`` names the interior facets carrying it; ``penalty`` is the dimensionless
    SIPG penalty factor gamma (>= 1 is coercive on any simplex mesh; see
    :func:`facet_penalty`).
    """

    resistance: float
    conductance: float = 0.0
    facets: str = "grain_boundary_facets"
    penalty: float = 1.0

    def __post_init__(self):
        if not self.resistance > 0 or self.conductance < 0:
            raise SettingError(
                "grain_boundary",
                f"needs resistance > 0 and conductance >= 0, got {self.resistance}, {self.conductance}",
            )

    @classmethod
    def from_layer(cls, conductivity: float, thickness: float, **kwargs) -> "GrainBoundaryModel":
        """R_gb = delta / sigma_gb, G_gb = sigma_gb delta for a layer of thickness delta [m]."""
        return cls(thickness / conductivity, conductivity * thickness, **kwargs)


def interior_facet_tags(tagged: TaggedMesh, model: GrainBoundaryModel) -> dolfinx.mesh.MeshTags:
    """Interior facets tagged INSIDE_GRAINS (1) or ON_GRAIN_BOUNDARIES (2)."""
    msh = tagged.mesh
    tdim = msh.topology.dim
    msh.topology.create_connectivity(tdim - 1, tdim)
    f2c = msh.topology.connectivity(tdim - 1, tdim)
    interior = np.flatnonzero(np.diff(f2c.offsets) == 2).astype(np.int32)
    gb = np.intersect1d(tagged.facets(model.facets), interior)
    values = np.full(interior.size, INSIDE_GRAINS, dtype=np.int32)
    values[np.searchsorted(interior, gb)] = ON_GRAIN_BOUNDARIES
    return dolfinx.mesh.meshtags(msh, tdim - 1, interior, values)


def potential_space(msh: dolfinx.mesh.Mesh, model: GrainBoundaryModel, degree: int) -> fem.FunctionSpace:
    """DG(degree) for phi, or DG x Lagrange for (phi, psi) when the GBs conduct along."""
    if model.conductance == 0:
        return fem.functionspace(msh, ("DG", degree))
    cell = msh.basix_cell()
    elements = [basix.ufl.element("DG", cell, degree), basix.ufl.element("Lagrange", cell, degree)]
    return fem.functionspace(msh, basix.ufl.mixed_element(elements))


def facet_penalty(domain, sigma, degree: int, penalty: float, interior: bool):
    """The SIPG / Nitsche penalty [S/m^2] of a facet: gamma (d+1) C_k sigma_max |F| / |K|_min.

    C_k = k (k + d - 1) / d; on an interior facet sigma_max and |K|_min over both sides. On
    quadrilaterals and hexahedra (no facet area in the form compiler) |F| / |K| is replaced by
    its bound 1 / h_min, the shortest edge of the cell (exact for the largest face of a box).
    """
    domain = domain.ufl_domain() if hasattr(domain, "ufl_domain") else domain
    d, k = domain.topological_dimension, max(degree, 1)
    factor = penalty * (d + 1) * k * (k + d - 1) / d
    if domain.ufl_cell().is_simplex:
        area, volume = ufl.FacetArea(domain), ufl.CellVolume(domain)
    else:
        area, volume = 1.0, ufl.MinCellEdgeLength(domain)
    if not interior:
        return factor * sigma * area / volume
    area = area("+") if isinstance(area, ufl.core.expr.Expr) else area
    return factor * ufl.max_value(sigma("+"), sigma("-")) * area / ufl.min_value(volume("+"), volume("-"))


def dg_operator(unknown, test, sigma, tagged: TaggedMesh, model: GrainBoundaryModel, degree: int,
                interior: dolfinx.mesh.MeshTags | None = None):
    """The SIPG bulk form with lumped GBs, and the GB dissipation form.

    ``unknown``/``test``: phi, v (G_gb = 0) or the pairs (phi, psi), (v, w); ``interior``:
    :func:`interior_facet_tags` of ``tagged`` if already computed. Returns
    (form, dissipation form [W, or W/m in 2D]); the dissipation is
    int_GB [phi]^2/R_gb dS, or int_GB (2/R_gb) sum (phi - psi)^2 + G_gb |P grad psi|^2 dS.
    """
    phi, v = (unknown[0], test[0]) if model.conductance else (unknown, test)
    msh = tagged.mesh
    interior = interior_facet_tags(tagged, model) if interior is None else interior
    dS = ufl.Measure("dS", domain=msh, subdomain_data=interior)
    n = ufl.FacetNormal(msh)
    eta = facet_penalty(msh, sigma, degree, model.penalty, interior=True)
    r_gb = form_constant(msh, model.resistance)

    def jump(q):
        return ufl.jump(q, n)

    a = ufl.inner(sigma * ufl.grad(phi), ufl.grad(v)) * ufl.dx
    a += (
        -ufl.inner(ufl.avg(sigma * ufl.grad(phi)), jump(v))
        - ufl.inner(ufl.avg(sigma * ufl.grad(v)), jump(phi))
        + eta * ufl.inner(jump(phi), jump(v))
    ) * dS(INSIDE_GRAINS)
    if not model.conductance:
        a += ufl.inner(jump(phi), jump(v)) / r_gb * dS(ON_GRAIN_BOUNDARIES)
        return a, ufl.inner(jump(phi), jump(phi)) / r_gb * dS(ON_GRAIN_BOUNDARIES)
    psi, w = unknown[1]("+"), test[1]("+")
    g_gb = form_constant(msh, model.conductance)
    P = ufl.Identity(msh.geometry.dim) - ufl.outer(n("+"), n("+"))
    grad_t = lambda q: P * ufl.grad(q)("+")  # noqa: E731
    sides = ("+", "-")
    a += (
        sum(2 / r_gb * (phi(s) - psi) * (v(s) - w) for s in sides)
        + g_gb * ufl.inner(grad_t(unknown[1]), grad_t(test[1]))
    ) * dS(ON_GRAIN_BOUNDARIES)
    sheet = g_gb * ufl.inner(grad_t(unknown[1]), grad_t(unknown[1]))
    dissipation = (sum(2 / r_gb * (phi(s) - psi) ** 2 for s in sides) + sheet) * dS(ON_GRAIN_BOUNDARIES)
    return a, dissipation


def sheet_constraints(V: fem.FunctionSpace, tagged: TaggedMesh, model: GrainBoundaryModel, dirichlet: list):
    """Boundary conditions of psi: zero off the GB facets, the boundary value where a GB meets
    a Dirichlet boundary. ``dirichlet``: (boundary name, value) pairs.

    Returns (all conditions, boundary name -> the condition on the GB ends there); both
    empty when G_gb = 0.
    """
    if not model.conductance:
        return [], {}
    msh = tagged.mesh
    fdim = msh.topology.dim - 1
    Q = V.sub(1)
    _, all_dofs = Q.collapse()
    on_gb = fem.locate_dofs_topological(Q, fdim, tagged.facets(model.facets))
    unused = np.setdiff1d(np.asarray(all_dofs, np.int32).ravel(), on_gb)
    bcs = [fem.dirichletbc(dolfinx.default_scalar_type(0.0), unused, Q)]
    ends = {}
    for boundary, value in dirichlet:
        dofs = np.intersect1d(fem.locate_dofs_topological(Q, fdim, tagged.facets(boundary)), on_gb)
        value = value if isinstance(value, fem.Constant) else dolfinx.default_scalar_type(value)
        ends[boundary] = fem.dirichletbc(value, dofs, Q)
        bcs.append(ends[boundary])
    return bcs, ends


def sheet_end_currents(residual: fem.Form, ends: dict, comm) -> dict:
    """Current [A, or A/m in 2D] leaving through each Dirichlet boundary along the GB sheets.

    The residual of the psi equation at a constrained end dof is G_gb dpsi/dt_out, minus
    the sheet current leaving there (a point/line contribution, not part of the boundary
    flux density of phi).
    """
    if not ends:
        return {}
    vector = dolfinx.fem.petsc.assemble_vector(residual)
    vector.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    values = vector.array_r
    currents = {}
    for boundary, bc in ends.items():
        dofs, owned = bc.dof_indices()
        currents[boundary] = -comm.allreduce(float(values[dofs[:owned]].sum()), MPI.SUM)
    vector.destroy()
    return currents


def nitsche_dirichlet(phi, v, sigma, value, measure, penalty: float, degree: int):
    """Weak phi = value on ``measure`` (symmetric Nitsche), and the outward current density there.

    Returns (form, expression of the current density leaving the domain [A/m^2]): the
    consistent flux of the scheme, -(sigma grad phi.n - eta (phi - value)) with the penalty
    eta of :func:`facet_penalty`.
    """
    domain = measure.ufl_domain()
    n = ufl.FacetNormal(domain)
    eta = facet_penalty(domain, sigma, degree, penalty, interior=False)
    flux = ufl.dot(sigma * ufl.grad(phi), n) - eta * (phi - value)
    form = (-flux * v - ufl.dot(sigma * ufl.grad(v), n) * (phi - value)) * measure
    return form, -flux
