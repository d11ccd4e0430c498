"""Zero-thickness grain boundaries: a potential jump across GB facets, tangential conduction along them.

A GB of thickness delta [m] and conductivity sigma_gb [S/m], too thin to mesh, is lumped
on the interior facets tagged ``grain_boundary_facets``:

- normal: the current density crossing it is continuous and drives a potential jump
  [phi] = phi+ - phi- = R_gb i.n+  with R_gb = delta / sigma_gb [ohm m^2];
- tangential: the layer carries a sheet current G_gb * (-grad_t phi) [A/m] with the sheet
  conductance G_gb = sigma_gb delta [S] (a surface Laplacian along the GB).

Discretisation: symmetric interior-penalty discontinuous Galerkin (SIPG) on the whole
mesh. On interior facets inside grains the penalty enforces continuity weakly (the
scheme is consistent, so the exact solution satisfies it); on GB facets the penalty is
replaced by the physical Robin coupling. Integrating by parts cell by cell, the facet
term of a GB facet is (i.n+)(v+ - v-), and with i.n+ = [phi]/R_gb it becomes
(1/R_gb) [[phi]].[[v]] (vector jumps [[w]] = w+ n+ + w- n-). The sheet term is split
half on each side's trace, (G_gb/2) sum_{+,-} (P grad phi).(P grad v), P = I - n n^T: each
grain's trace is continuous along its own boundary, so the sheet current passes through
GB junctions (at a junction current may cross into the next grain's trace through the
small Robin resistance there, an error of order delta^2 / (h d) against the layer).
Dirichlet data are imposed weakly (Nitsche) in this space.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import ufl

import dolfinx
from dolfinx import fem

from solver.errors import CaseError
from solver.mesh import TaggedMesh

__all__ = ["GrainBoundaryModel", "interior_facet_tags", "dg_operator", "nitsche_dirichlet"]

INSIDE_GRAINS, ON_GRAIN_BOUNDARIES = 1, 2


@dataclasses.dataclass(frozen=True)
class GrainBoundaryModel:
    """Lumped GB: normal ASR ``resistance`` R_gb [ohm m^2], sheet ``conductance`` G_gb [S].

    ``facets`` names the interior facets carrying it; ``penalty`` is the dimensionless
    SIPG penalty gamma (the facet penalty is gamma k^2 sigma / h for degree k).
    """

    resistance: float
    conductance: float = 0.0
    facets: str = "grain_boundary_facets"
    penalty: float = 10.0

    def __post_init__(self):
        if not self.resistance > 0 or self.conductance < 0:
            raise CaseError(
                "grain_boundary", f"needs resistance > 0 and conductance >= 0, got {self.resistance}, {self.conductance}"
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


def dg_operator(phi, v, sigma, tagged: TaggedMesh, model: GrainBoundaryModel, degree: int):
    """The SIPG bulk form with lumped GBs, and the GB dissipation density form [W/m^3 integrals].

    Returns (form a(phi, v), GB dissipation form) where the dissipation is
    int_GB [phi]^2 / R_gb + G_gb/2 sum |P grad phi|^2 dS [W, or W/m in 2D].
    """
    msh = tagged.mesh
    dS = ufl.Measure("dS", domain=msh, subdomain_data=interior_facet_tags(tagged, model))
    n = ufl.FacetNormal(msh)
    h = ufl.avg(ufl.CellDiameter(msh))
    gamma = model.penalty * max(degree, 1) ** 2
    r_gb = fem.Constant(msh, dolfinx.default_scalar_type(model.resistance))
    g_gb = fem.Constant(msh, dolfinx.default_scalar_type(model.conductance))
    P = ufl.Identity(msh.geometry.dim) - ufl.outer(n("+"), n("+"))

    def jump(w):
        return ufl.jump(w, n)

    def sheet(a, b):
        return 0.5 * g_gb * sum(ufl.dot(P * ufl.grad(a)(s), P * ufl.grad(b)(s)) for s in ("+", "-"))

    a = ufl.inner(sigma * ufl.grad(phi), ufl.grad(v)) * ufl.dx
    a += (
        -ufl.inner(ufl.avg(sigma * ufl.grad(phi)), jump(v))
        - ufl.inner(ufl.avg(sigma * ufl.grad(v)), jump(phi))
        + gamma * ufl.avg(sigma) / h * ufl.inner(jump(phi), jump(v))
    ) * dS(INSIDE_GRAINS)
    a += (ufl.inner(jump(phi), jump(v)) / r_gb + sheet(phi, v)) * dS(ON_GRAIN_BOUNDARIES)
    dissipation = (ufl.inner(jump(phi), jump(phi)) / r_gb + sheet(phi, phi)) * dS(ON_GRAIN_BOUNDARIES)
    return a, dissipation


def nitsche_dirichlet(phi, v, sigma, value, measure, penalty: float, degree: int):
    """Weak phi = value on ``measure`` (symmetric Nitsche), and the outward current density there.

    Returns (form, expression of the current density leaving the domain [A/m^2]): the
    consistent flux of the scheme, -(sigma grad phi.n - gamma k^2 sigma/h (phi - value)).
    """
    msh = phi.function_space.mesh
    n = ufl.FacetNormal(msh)
    h = ufl.CellDiameter(msh)
    gamma = penalty * max(degree, 1) ** 2
    flux = ufl.dot(sigma * ufl.grad(phi), n) - gamma * sigma / h * (phi - value)
    form = (-flux * v - ufl.dot(sigma * ufl.grad(v), n) * (phi - value)) * measure
    return form, -flux
