"""Recovered normal current density on curved boundaries (3D primary distribution).

Where the potential is prescribed (the primary distribution, eta = 0) the interface current
is a reaction. Its variationally consistent value (:func:`solver.analysis.metrics.boundary_flux`,
a boundary mass-matrix solve) is exact in the mean, but on the unstructured triangulation
of a curved 3D face the inverse of the boundary mass matrix turns the residual's small
facet-to-facet variations into vertex values that oscillate (measured on a hemispherical
pit: vertex values 40-90 % above the exact maximum with P1, 10-14 % with P2, at points away
from it). The recovery here instead projects the current density vector onto a continuous
space over the cells next to the boundary and takes its normal component at the boundary
vertices:

    find G in [P_k(T_b)]^d:   (G, w)_{T_b} = (-sigma grad phi_h, w)_{T_b}   for all w,
    q(x_j) = G(x_j) . n_j,    n_j = int_b n psi_j ds / |int_b n psi_j ds|,

with T_b the cells that touch the boundary (dofs off them held at zero), k the degree of
phi_h, psi_j the P1 hat function of boundary vertex j and n the outward facet normal (n_j
is the area-weighted vertex normal, O(h^2) from the exact one on a smooth surface). The
result is a P1 function on the boundary vertices [A/m^2] (positive for current from the
electrolyte into the boundary). Its maximum converges at the rate of the flux itself:
O(h) for P1 and O(h^2) for P2 (measured against an exact solution in
tests/verification/test_flux_recovery_3d.py), without oscillations.

With a kinetics law (finite exchange current) the consistent flux is the L2 projection of
the law's current density i_ct(eta_h) and does not oscillate; this module is for the
potential-fixing law only.
"""

from __future__ import annotations

import dolfinx
import dolfinx.fem.petsc
import numpy as np
import ufl
from dolfinx import fem
from petsc4py import PETSc

__all__ = ["recovered_normal_flux"]

#: vertex rings of cells around the boundary over which the current is projected
LAYERS = 2


def _spread(marker: fem.Function) -> None:
    """Make a 0/1 dof marker consistent across ranks (a dof is marked if any rank marked it)."""
    marker.x.scatter_reverse(dolfinx.la.InsertMode.add)
    marker.x.array[:] = marker.x.array > 0
    marker.x.scatter_forward()


def _cells_touching(V: fem.FunctionSpace, marker: fem.Function) -> np.ndarray:
    """Local cells with at least one marked dof."""
    msh = V.mesh
    n_cells = msh.topology.index_map(msh.topology.dim).size_local + msh.topology.index_map(msh.topology.dim).num_ghosts
    dofs = V.dofmap.list[:n_cells]
    return np.flatnonzero(marker.x.array[dofs].max(axis=1) > 0).astype(np.int32)


def _layer_cells(msh: dolfinx.mesh.Mesh, facets: np.ndarray, layers: int) -> np.ndarray:
    """Local cells within ``layers`` vertex rings of ``facets`` (the boundary layer T_b).

    The rings grow through a P1 vertex marker made consistent across ranks at every step,
    so that a cell is in the layer on its owner exactly when it is in serial."""
    P1 = fem.functionspace(msh, ("Lagrange", 1))
    marker = fem.Function(P1)
    marker.x.array[fem.locate_dofs_topological(P1, msh.topology.dim - 1, facets)] = 1.0
    _spread(marker)
    cells = _cells_touching(P1, marker)
    for _ in range(layers - 1):
        marker.x.array[P1.dofmap.list[cells].ravel()] = 1.0
        _spread(marker)
        cells = _cells_touching(P1, marker)
    return cells


def _solve_mass(V: fem.FunctionSpace, cells: np.ndarray, dx_layer, rhs_form) -> fem.Function:
    """G in V with (G, w)_layer = rhs_form(w); dofs off the layer cells are zero."""
    msh = V.mesh
    u, w = ufl.TrialFunction(V), ufl.TestFunction(V)
    bs = V.dofmap.index_map_bs
    marker = fem.Function(V)
    marker.x.array.reshape(-1, bs)[V.dofmap.list[cells].ravel()] = 1.0
    _spread(marker)  # a dof is on the layer when any cell of the layer holds it, on any rank
    off = np.flatnonzero(marker.x.array.reshape(-1, bs)[:, 0] == 0).astype(np.int32)
    bc = fem.dirichletbc(np.zeros(V.dofmap.index_map_bs, dtype=PETSc.ScalarType), off, V)
    mass = dolfinx.fem.petsc.assemble_matrix(fem.form(ufl.inner(u, w) * dx_layer), bcs=[bc])
    mass.assemble()
    rhs = dolfinx.fem.petsc.assemble_vector(fem.form(rhs_form(w)))
    rhs.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    dolfinx.fem.petsc.set_bc(rhs, [bc])
    out = fem.Function(V)
    ksp = PETSc.KSP().create(msh.comm)
    ksp.setOperators(mass)
    ksp.setType("cg")
    ksp.getPC().setType("jacobi")  # a mass matrix: condition number bounded independently of h
    ksp.setTolerances(rtol=1e-12, atol=1e-30, max_it=2000)
    ksp.solve(rhs, out.x.petsc_vec)
    out.x.scatter_forward()
    ksp.destroy(), mass.destroy(), rhs.destroy()
    return out


def recovered_normal_flux(potential: fem.Function, conductivity, facet_tags, boundary_tag: int,
                          layers: int = LAYERS) -> fem.Function:
    """The recovered normal current density q = G . n_j on the boundary ``boundary_tag`` [A/m^2].

    Args:
        potential: phi_h [V] (continuous Lagrange of degree k).
        conductivity: sigma [S/m] (a DG0 function or UFL expression on the same mesh).
        facet_tags: the mesh's facet tags; boundary_tag: the value of the boundary's facets.

    Returns a P1 function, zero off the boundary; collective.
    """
    msh = potential.function_space.mesh
    gdim, tdim = msh.geometry.dim, msh.topology.dim
    facets = facet_tags.find(boundary_tag)
    cells = _layer_cells(msh, facets, layers)
    layer = dolfinx.mesh.meshtags(msh, tdim, cells, np.ones(cells.size, np.int32))
    dx_layer = ufl.Measure("dx", domain=msh, subdomain_data=layer)(1)
    ds_b = ufl.Measure("ds", domain=msh, subdomain_data=facet_tags)(boundary_tag)
    degree = potential.function_space.element.basix_element.degree
    Vk = fem.functionspace(msh, ("Lagrange", max(degree, 1), (gdim,)))
    current = -conductivity * ufl.grad(potential)
    G = _solve_mass(Vk, cells, dx_layer, lambda w: ufl.inner(current, w) * dx_layer)
    V1 = fem.functionspace(msh, ("Lagrange", 1, (gdim,)))
    G1 = fem.Function(V1)
    G1.interpolate(G)  # vertex values of G (Lagrange dofs are point values)
    normal = fem.assemble_vector(fem.form(ufl.inner(ufl.FacetNormal(msh), ufl.TestFunction(V1)) * ds_b))
    normal.scatter_reverse(dolfinx.la.InsertMode.add)
    normal.scatter_forward()
    P1 = fem.functionspace(msh, ("Lagrange", 1))
    q = fem.Function(P1, name="normal_current_density_A_m2")
    n = normal.array.reshape(-1, gdim)
    length = np.linalg.norm(n, axis=1)
    on = length > 0
    g = G1.x.array.reshape(-1, gdim)
    q.x.array[on] = np.sum(g[on] * n[on], axis=1) / length[on]
    q.x.scatter_forward()
    return q
