"""Peer 2: the same linear potential problem in scikit-fem + pyamg (serial).

The DOLFINx mesh is exported as arrays (vertices, tetrahedra, per-cell conductivity,
anode/counter facets; :func:`bench.cases.serial_arrays`), assembled with scikit-fem (P1),
the Dirichlet anode nodes condensed out, and solved by pyamg smoothed aggregation as a
preconditioner for CG at the same relative tolerance (pyamg measures ||r|| / ||b||, PETSc
CG the preconditioned residual norm: close, not identical) and the same strength-of-connection
threshold as the tool's GAMG (|a_ij| >= theta sqrt(a_ii a_jj), theta = 0.02): pyamg's default
theta = 0 lets aggregates straddle the 1e3 conductivity jump, as GAMG's threshold 0 does
(bench/solver_options.md), and stalls (500 iterations at 1e6 DOFs).
"""

from __future__ import annotations

import time

import numpy as np


def solve_skfem(arrays: dict, i_app: float, rtol: float, strength_threshold: float) -> dict:
    import pyamg
    from skfem import Basis, BilinearForm, ElementTetP1, FacetBasis, Functional, LinearForm, MeshTet
    from skfem.helpers import dot, grad

    t0 = time.perf_counter()
    mesh = MeshTet(np.ascontiguousarray(arrays["points"].T), np.ascontiguousarray(arrays["cells"].T.astype(np.int64)))
    # facet indices of the anode / counter faces in scikit-fem's numbering
    boundary = mesh.boundary_facets()
    key = {tuple(f): int(i) for i, f in zip(boundary, np.sort(mesh.facets[:, boundary].T, axis=1))}

    def facet_ids(tri):
        return np.array([key[tuple(f)] for f in np.sort(tri, axis=1)], dtype=np.int64)

    counter = facet_ids(arrays["counter"])
    anode_nodes = np.unique(arrays["anode"])
    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    basis = Basis(mesh, ElementTetP1())
    nqp = basis.X.shape[1]
    sigma = np.repeat(arrays["sigma"][:, None], nqp, axis=1)

    @BilinearForm
    def stiffness(u, v, w):
        return w.sigma * dot(grad(u), grad(v))

    @LinearForm
    def flux(v, w):
        return i_app * v

    A = stiffness.assemble(basis, sigma=sigma)
    fb = FacetBasis(mesh, ElementTetP1(), facets=counter)
    b = flux.assemble(fb)
    free = np.setdiff1d(np.arange(basis.N), anode_nodes)
    Aff = A[free][:, free].tocsr()
    bf = b[free]
    t_assembly = time.perf_counter() - t0

    t0 = time.perf_counter()
    ml = pyamg.smoothed_aggregation_solver(Aff, strength=("symmetric", {"theta": strength_threshold}))
    t_pcsetup = time.perf_counter() - t0
    t0 = time.perf_counter()
    residuals = []
    xf = ml.solve(bf, tol=rtol, accel="cg", residuals=residuals, maxiter=500)
    t_krylov = time.perf_counter() - t0
    x = np.zeros(basis.N)
    x[free] = xf

    @Functional
    def mean(w):
        return w.phi

    @Functional
    def one(w):
        return 1.0 + 0 * w.x[0]

    area = one.assemble(fb)
    v_counter = mean.assemble(fb, phi=fb.interpolate(x)) / area
    return dict(
        dofs=int(basis.N),
        t_mesh_import=t_import,
        t_assembly=t_assembly,
        t_pcsetup=t_pcsetup,
        t_krylov=t_krylov,
        t_solve=t_assembly + t_pcsetup + t_krylov,
        krylov_its=len(residuals) - 1,
        newton_its=0,
        qoi=float(v_counter),
    )
