"""A two-level preconditioner for the interior-penalty (DG) conduction system.

Algebraic multigrid applied to a DG matrix directly coarsens badly (its aggregates mix the
duplicated vertex values of neighbouring cells, and the Krylov count grows like h^-1.5 in
3D). The continuous P1 functions are a subspace of the DG P1 space, and the SIPG operator
restricted to them is the continuous Lagrange operator, for which AMG is optimal: so the
fine level is the DG space with a point smoother (Chebyshev-Jacobi), the coarse level the
continuous P1 space reached by the exact embedding P (a continuous function written in the
DG basis), with the Galerkin operator P^T A P solved by GAMG (Dobrev, Lazarov, Vassilevski
and Zikatanov 2006, "Two-level preconditioning of discontinuous Galerkin approximations of
second-order elliptic equations"). With a GB sheet the unknown is (phi, psi); the coarse
function feeds both (psi is continuous P1 already), and the rows of psi's constrained dofs
are left out of P so that their identity rows do not enter the coarse operator.
"""

from __future__ import annotations

import numpy as np
from petsc4py import PETSc

import dolfinx.fem.petsc
from dolfinx import fem

__all__ = ["TWO_LEVEL_OPTIONS", "continuous_embedding", "use_continuous_coarse_space"]

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


def _block_rows(V: fem.FunctionSpace, W: fem.FunctionSpace, sub: int | None):
    """(interpolation W -> the sub-space, global mixed row of each of its owned rows)."""
    if sub is None:
        space, local = V, np.arange(V.dofmap.index_map.size_local, dtype=np.int64)
    else:
        space, dofs = V.sub(sub).collapse()
        local = np.asarray(dofs, dtype=np.int64).ravel()
    matrix = dolfinx.fem.petsc.interpolation_matrix(W, space)
    matrix.assemble()
    owned = space.dofmap.index_map.size_local
    rows = local[:owned] + V.dofmap.index_map.local_range[0]  # owned dofs of a sub-space are owned in V
    return matrix, rows


def continuous_embedding(V: fem.FunctionSpace, constrained: np.ndarray) -> PETSc.Mat:
    """P: continuous P1 on V's mesh -> V (DG P1, or DG x Lagrange); rows ``constrained`` (local) zero."""
    msh = V.mesh
    W = fem.functionspace(msh, ("Lagrange", 1))
    n_sub = V.num_sub_spaces
    blocks = [_block_rows(V, W, None)] if n_sub == 0 else [_block_rows(V, W, k) for k in range(n_sub)]
    imap = V.dofmap.index_map
    P = PETSc.Mat().createAIJ(
        ((imap.size_local, imap.size_global), (W.dofmap.index_map.size_local, W.dofmap.index_map.size_global)),
        nnz=(8, 8), comm=msh.comm)
    P.setOption(PETSc.Mat.Option.NEW_NONZERO_ALLOCATION_ERR, False)
    skip = set((np.asarray(constrained, dtype=np.int64) + imap.local_range[0]).tolist())  # owned rows
    for matrix, rows in blocks:
        start = matrix.getOwnershipRange()[0]
        indptr, cols, vals = matrix.getValuesCSR()
        for i, row in enumerate(rows):
            if int(row) in skip:
                continue
            span = slice(indptr[i], indptr[i + 1])
            P.setValues(int(row), cols[span], vals[span])
        del start
        matrix.destroy()
    P.assemble()
    return P


def use_continuous_coarse_space(ksp: PETSc.KSP, V: fem.FunctionSpace, constrained: np.ndarray) -> PETSc.Mat:
    """Give the two-level PCMG of ``ksp`` its coarse space; returns P (the caller destroys it)."""
    P = continuous_embedding(V, constrained)
    ksp.getPC().setMGInterpolation(1, P)
    return P
