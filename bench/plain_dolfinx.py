"""Peer 1: the same linear potential problem written the way the DOLFINx demos do it.

    (sigma grad phi, grad v) = <i_app, v>_counter,   phi = 0 on the anode interface,

solved with ``dolfinx.fem.petsc.LinearProblem`` and CG + GAMG at the same tolerance and
GAMG options as the tool, so that the comparison measures the tool's overhead (SNES,
Newton, line search, bookkeeping), not different solver settings.
"""

from __future__ import annotations

import time

import ufl
from mpi4py import MPI
from petsc4py import PETSc

import dolfinx
import dolfinx.fem.petsc
from dolfinx import fem

from bench.petsclog import EventTimer
from solver.physics.conduction import ITERATIVE_SOLVER_OPTIONS

# the tool's own KSP/PC options (tolerance, GAMG threshold and coarsening), nothing else of it
DEFAULT_OPTIONS = {k: v for k, v in ITERATIVE_SOLVER_OPTIONS.items() if k != "pc_gamg_reuse_interpolation"}


def solve_plain(tagged, sigma: dict[str, float], i_app: float, options: dict | None = None) -> dict:
    msh = tagged.mesh
    comm = msh.comm
    t0 = time.perf_counter()
    V = fem.functionspace(msh, ("Lagrange", 1))
    Q = fem.functionspace(msh, ("DG", 0))
    s = fem.Function(Q)
    for name, value in sigma.items():
        s.x.array[tagged.cells(name)] = value
    s.x.scatter_forward()
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=tagged.facet_tags)
    ds_counter = ds(tagged.boundary_tag("counter_electrode"))
    a = ufl.inner(s * ufl.grad(u), ufl.grad(v)) * ufl.dx
    L = fem.Constant(msh, PETSc.ScalarType(i_app)) * v * ds_counter
    fdim = msh.topology.dim - 1
    dofs = fem.locate_dofs_topological(V, fdim, tagged.facets("anode_interface"))
    bc = fem.dirichletbc(PETSc.ScalarType(0.0), dofs, V)
    uh = fem.Function(V)
    problem = dolfinx.fem.petsc.LinearProblem(
        a, L, bcs=[bc], u=uh, petsc_options_prefix="plain_", petsc_options=dict(options or DEFAULT_OPTIONS)
    )
    t_setup = time.perf_counter() - t0
    timer = EventTimer(comm)
    t0 = time.perf_counter()
    problem.solve()
    t_solve = time.perf_counter() - t0
    ev = timer.delta()
    ksp = problem.solver
    area = comm.allreduce(fem.assemble_scalar(fem.form(1.0 * ds_counter)), MPI.SUM)
    v_counter = comm.allreduce(fem.assemble_scalar(fem.form(uh * ds_counter)), MPI.SUM) / area
    pc = ev["PCSetUp"]
    krylov = ev["KSPSolve"]
    out = dict(
        dofs=V.dofmap.index_map.size_global,
        t_compile=comm.allreduce(t_setup, MPI.MAX),
        t_assembly=comm.allreduce(t_solve, MPI.MAX) - ev["KSPSolve"] - pc,
        t_pcsetup=pc,
        t_krylov=krylov,
        t_solve=comm.allreduce(t_solve, MPI.MAX),
        krylov_its=ksp.getIterationNumber(),
        newton_its=0,
        converged=int(ksp.getConvergedReason()),
        qoi=v_counter,
    )
    ksp.destroy()
    return out
