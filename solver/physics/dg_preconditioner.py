"""A two-level preconditioner for the interior-penalty (DG) conduction system.

Algebraic multigrid applied to a DG matrix directly coarsens badly (its aggregates mix the
duplicated vertex values of neighbouring cells, and the Krylov count grows like h^-1.5 in
3D). The fine level is the DG space with a point smoother (Chebyshev-Jacobi); the coarse
level is the space of functions that are continuous P1 inside every grain and free to jump
across the lumped GB facets, reached by the exact embedding P (such a function written in
the DG basis), with the Galerkin operator P^T A P solved by GAMG (the two-level method of
Dobrev, Lazarov, Vassilevski and Zikatanov 2006, "Two-level preconditioning of
discontinuous Galerkin approximations of second-order elliptic equations", with the coarse
space broken along the GBs). Inside a grain the SIPG operator restricted to the coarse
space is the continuous Lagrange operator, for which AMG is optimal; across a GB it keeps
the GB resistance, so the slowest modes of a resistive-GB polycrystal (a potential offset
per grain, which a continuous coarse space cannot represent) are solved on the coarse level.

A grain is a connected set of cells joined by interior facets that are not GB facets (so a
region of one phase is one "grain"). A coarse unknown is a pair (vertex, grain) for every
grain at a vertex. With a GB sheet the unknown is (phi, psi): psi is continuous P1 on the
GB facets and keeps its own coarse unknowns (vertex, sheet); the rows of psi's constrained
dofs are left out of P so that their identity rows do not enter the coarse operator.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI
from petsc4py import PETSc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import dolfinx.fem.petsc
from dolfinx import fem

from solver.physics.petsc_options import configure_solver

__all__ = ["TWO_LEVEL_OPTIONS", "grain_labels", "grain_wise_embedding", "use_grain_wise_coarse_space"]

TWO_LEVEL_OPTIONS = {
    "ksp_type": "cg",
    "ksp_rtol": 1e-10,
    "pc_type": "mg",
    "pc_mg_levels": 2,
    "pc_mg_galerkin": "pmat",
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_ksp_max_it": 2,
    "mg_levels_pc_type": "jacobi",
    "mg_coarse_ksp_type": "preonly",
    "mg_coarse_pc_type": "gamg",
    "mg_coarse_pc_gamg_threshold": 0.02,
    "mg_coarse_pc_gamg_aggressive_coarsening": 2,
    "mg_coarse_pc_gamg_coarse_eq_limit": 1000,
}
SHEET = -1  # the "grain" of the coarse unknowns of the GB sheet potential psi


def grain_labels(msh, joining_facets: np.ndarray) -> np.ndarray:
    """The grain of every local cell (owned and ghost): one label for all cells connected
    through ``joining_facets`` (local interior facets), the smallest global cell index among
    them. The same on every rank that holds a cell; local components are joined by
    exchanging ghost labels until no label changes."""
    tdim = msh.topology.dim
    imap = msh.topology.index_map(tdim)
    n = imap.size_local + imap.num_ghosts
    msh.topology.create_connectivity(tdim - 1, tdim)
    f2c = msh.topology.connectivity(tdim - 1, tdim)
    first = f2c.offsets[np.asarray(joining_facets, np.int64)]
    a, b = f2c.array[first], f2c.array[first + 1]
    _, component = connected_components(coo_matrix((np.ones(a.size), (a, b)), shape=(n, n)), directed=False)
    best = np.full(component.max(initial=-1) + 1, np.inf)
    np.minimum.at(best, component, imap.local_to_global(np.arange(n, dtype=np.int32)).astype(float))
    carrier = fem.Function(fem.functionspace(msh, ("DG", 0)))
    slot = carrier.function_space.dofmap.list[:, 0]
    while True:  # as many rounds as rank boundaries a grain crosses in a row
        carrier.x.array[slot] = best[component]
        carrier.x.scatter_forward()
        joined = best.copy()
        np.minimum.at(joined, component, carrier.x.array[slot])
        changed = msh.comm.allreduce(bool(np.any(joined < best)), MPI.LOR)
        best = joined
        if not changed:
            return best[component].astype(np.int64)


def _cell_of_dofs(space: fem.FunctionSpace, size: int) -> np.ndarray:
    """The cell of every local dof of a discontinuous ``space`` (local V indices, ``size`` of them)."""
    cells = np.full(size, -1, np.int64)
    dofs = space.dofmap.list
    cells[dofs.ravel()] = np.repeat(np.arange(dofs.shape[0]), dofs.shape[1])
    return cells


def _owned_csr(V: fem.FunctionSpace, W: fem.FunctionSpace, sub: int | None):
    """(V-local owned rows, W global columns, values) of the interpolation W -> V or V.sub(sub)."""
    if sub is None:
        space, local = V, np.arange(V.dofmap.index_map.size_local, dtype=np.int64)
    else:
        space, dofs = V.sub(sub).collapse()
        local = np.asarray(dofs, dtype=np.int64).ravel()
    matrix = dolfinx.fem.petsc.interpolation_matrix(W, space)
    matrix.assemble()
    indptr, cols, vals = matrix.getValuesCSR()
    matrix.destroy()
    owned = local[: space.dofmap.index_map.size_local]  # owned dofs of a sub-space are owned in V
    return np.repeat(owned, np.diff(indptr)), cols.astype(np.int64), vals


def _number_pairs(comm: MPI.Comm, W: fem.FunctionSpace, vertex: np.ndarray, grain: np.ndarray, grains: int):
    """Global numbers of the coarse unknowns (W dof ``vertex``, ``grain``), and the owned count.

    A pair is owned by the owner of its W dof, who numbers its pairs consecutively; every
    rank asks the owners for the numbers of the pairs it uses."""
    key = vertex * (grains + 2) + (grain - SHEET)
    starts = np.asarray(comm.allgather(W.dofmap.index_map.local_range[0]), np.int64)
    wanted = np.unique(key)
    owner = np.searchsorted(starts, wanted // (grains + 2), side="right") - 1
    asked = comm.alltoall([wanted[owner == r] for r in range(comm.size)])
    mine = np.unique(np.concatenate(asked))
    offset = comm.exscan(mine.size) or 0
    answers = comm.alltoall([offset + np.searchsorted(mine, keys) for keys in asked])
    numbers = np.empty(wanted.size, np.int64)
    for r in range(comm.size):
        numbers[owner == r] = answers[r]
    return numbers[np.searchsorted(wanted, key)], mine.size


def grain_wise_embedding(V: fem.FunctionSpace, constrained: np.ndarray, labels: np.ndarray) -> PETSc.Mat:
    """P: the grain-wise continuous P1 space -> V (DG P1, or DG x Lagrange); rows ``constrained``
    (local) zero. ``labels``: the grain of every local cell (:func:`grain_labels`)."""
    msh, comm = V.mesh, V.mesh.comm
    W = fem.functionspace(msh, ("Lagrange", 1))
    imap = V.dofmap.index_map
    n_local = imap.size_local + imap.num_ghosts
    blocks = [None] if V.num_sub_spaces == 0 else list(range(V.num_sub_spaces))
    parts = []  # (rows, W columns, values, grains) of each sub-space
    for sub in blocks:
        r, c, v = _owned_csr(V, W, sub)
        if sub in (None, 0):
            g = labels[_cell_of_dofs(V if sub is None else V.sub(0), n_local)[r]]
        else:
            g = np.full(r.size, SHEET, np.int64)
        parts.append((r, c, v, g))
    rows, cols, vals, grain = (np.concatenate(x) for x in zip(*parts))
    keep = ~np.isin(rows, constrained) & (vals != 0)
    rows, cols, vals, grain = rows[keep], cols[keep], vals[keep], grain[keep]
    grains = msh.topology.index_map(msh.topology.dim).size_global  # labels are global cell indices
    coarse, owned = _number_pairs(comm, W, cols, grain, grains)
    order = np.lexsort((coarse, rows))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=imap.size_local))]).astype(PETSc.IntType)
    size = ((imap.size_local, imap.size_global), (owned, comm.allreduce(owned)))
    return PETSc.Mat().createAIJWithArrays(size, (indptr, coarse[order].astype(PETSc.IntType), vals[order]),
                                           comm=comm)


def use_grain_wise_coarse_space(ksp: PETSc.KSP, V: fem.FunctionSpace, constrained: np.ndarray,
                                joining_facets: np.ndarray, options: dict) -> PETSc.Mat:
    """Give the two-level PCMG of ``ksp`` its coarse space (grains joined through the local
    interior facets ``joining_facets``) and its level solvers the ``mg_coarse_`` and
    ``mg_levels_`` entries of ``options`` (names without the solver's prefix); returns P
    (the caller destroys it).

    PCMG reads its level options only when it is first set up, after the options of a
    solve have left the database (:func:`configure_solver`), so they are applied to the
    level solvers here."""
    pc = ksp.getPC()
    P = grain_wise_embedding(V, constrained, grain_labels(V.mesh, joining_facets))
    pc.setMGInterpolation(1, P)
    levels = [(pc.getMGCoarseSolve(), "mg_coarse_")] + [(pc.getMGSmoother(k), "mg_levels_")
                                                         for k in range(1, pc.getMGLevels())]
    for solver, sub in levels:
        configure_solver(solver, {k[len(sub):]: v for k, v in options.items() if k.startswith(sub)})
    return P
