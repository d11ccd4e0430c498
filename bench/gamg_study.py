"""GAMG option study on the benchmark's 3D polycrystal potential problem (contrast 1e3).

    python bench/gamg_study.py [--sizes 1e4 1e5 3e5] [--sets base thr0 ...] [--out bench/results/gamg_study.csv]

Assembles the linear system of the `potential` problem once per size (plain DOLFINx), then
solves it with each option set (fresh KSP; PC set-up and Krylov solve timed separately) and
records iterations, times and the mean counter potential (must agree across sets). Results
are summarised in bench/solver_options.md.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import solver  # noqa: F401,E402
import ufl  # noqa: E402
from mpi4py import MPI  # noqa: E402
from petsc4py import PETSc  # noqa: E402

import dolfinx.fem.petsc  # noqa: E402
from dolfinx import fem  # noqa: E402

from bench.cases import cells_per_side, polycrystal_box  # noqa: E402

BASE = {"ksp_type": "cg", "pc_type": "gamg", "ksp_rtol": 1e-12, "pc_gamg_threshold": 0.02}
SETS = {
    "base": {},  # = the tool today (solver/conduction.py)
    "thr0": {"pc_gamg_threshold": 0.0},
    "thr-1": {"pc_gamg_threshold": -1.0},
    "thr0.05": {"pc_gamg_threshold": 0.05},
    "thr0.1": {"pc_gamg_threshold": 0.1},
    "nsmooth0": {"pc_gamg_agg_nsmooths": 0},
    "sor": {"mg_levels_pc_type": "sor"},
    "cheb3": {"mg_levels_ksp_max_it": 3},
    "noaggr": {"pc_gamg_aggressive_coarsening": 0},
    "diagscale": {"ksp_diagonal_scale": None, "ksp_diagonal_scale_fix": None},
    "thr0.05_sor": {"pc_gamg_threshold": 0.05, "mg_levels_pc_type": "sor"},
    "thr0.05_noaggr": {"pc_gamg_threshold": 0.05, "pc_gamg_aggressive_coarsening": 0},
    "rtol1e-10": {"ksp_rtol": 1e-10},
    "thr0.01": {"pc_gamg_threshold": 0.01},
    "thr0.03": {"pc_gamg_threshold": 0.03},
    "thr0.02_lim1e3": {"pc_gamg_coarse_eq_limit": 1000},
    "thr0.02_lim5e3": {"pc_gamg_coarse_eq_limit": 5000},
    "thr0.05_lim1e3": {"pc_gamg_threshold": 0.05, "pc_gamg_coarse_eq_limit": 1000},
    "aggr2": {"pc_gamg_aggressive_coarsening": 2},
    "aggr2_lim1e3": {"pc_gamg_aggressive_coarsening": 2, "pc_gamg_coarse_eq_limit": 1000},
    "mis_k": {"pc_gamg_aggressive_square_graph": 0},
    "thr-1_sor": {"pc_gamg_threshold": -1.0, "mg_levels_pc_type": "sor"},
    "thr0_sor": {"pc_gamg_threshold": 0.0, "mg_levels_pc_type": "sor"},
    "thr0.02_sor_cheb1": {"mg_levels_pc_type": "sor", "mg_levels_ksp_max_it": 1},
}
SIGMA = {"grains": 1.0, "grain_boundaries": 1e-3}


def system(n: int, comm, contrast: float):
    tagged = polycrystal_box(n, comm)
    msh = tagged.mesh
    V = fem.functionspace(msh, ("Lagrange", 1))
    s = fem.Function(fem.functionspace(msh, ("DG", 0)))
    s.x.array[tagged.cells("grains")] = 1.0
    s.x.array[tagged.cells("grain_boundaries")] = 1.0 / contrast
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=tagged.facet_tags)(tagged.boundary_tag("counter_electrode"))
    a = fem.form(ufl.inner(s * ufl.grad(u), ufl.grad(v)) * ufl.dx)
    L = fem.form(1.0 * v * ds)
    dofs = fem.locate_dofs_topological(V, 2, tagged.facets("anode_interface"))
    bc = fem.dirichletbc(PETSc.ScalarType(0.0), dofs, V)
    A = dolfinx.fem.petsc.assemble_matrix(a, bcs=[bc])
    A.assemble()
    b = dolfinx.fem.petsc.assemble_vector(L)
    dolfinx.fem.petsc.apply_lifting(b, [a], bcs=[[bc]])
    b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    dolfinx.fem.petsc.set_bc(b, [bc])
    uh = fem.Function(V)
    area = comm.allreduce(fem.assemble_scalar(fem.form(1.0 * ds)), MPI.SUM)
    qoi_form = fem.form(uh * ds)
    return A, b, uh, lambda: comm.allreduce(fem.assemble_scalar(qoi_form), MPI.SUM) / area


def complexity(ksp):
    """(number of MG levels with their global sizes, operator complexity sum nnz / nnz fine)."""
    pc = ksp.getPC()
    try:
        n = pc.getMGLevels()
    except PETSc.Error:
        return "", 1.0
    sizes, nnz = [], []
    for level in range(n):
        A = pc.getMGSmoother(level).getOperators()[0]
        sizes.append(A.getSize()[0])
        nnz.append(A.getInfo(PETSc.Mat.InfoType.GLOBAL_SUM)["nz_used"])
    return "/".join(str(s) for s in sizes), float(sum(nnz) / nnz[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["1e4", "1e5", "3e5"])
    ap.add_argument("--sets", nargs="+", default=list(SETS))
    ap.add_argument("--contrast", type=float, default=1e3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "gamg_study.csv"))
    args = ap.parse_args()
    comm = MPI.COMM_WORLD
    rows = []
    for size in args.sizes:
        A, b, uh, qoi = system(cells_per_side(float(size)), comm, args.contrast)
        ndofs = A.getSize()[0]
        for name in args.sets:
            opts = PETSc.Options()
            prefix = f"study_{name.replace('.', 'p').replace('-', 'm')}_{ndofs}_"
            for k, v in {**BASE, **SETS[name]}.items():
                opts[prefix + k] = "" if v is None else v
            ksp = PETSc.KSP().create(comm)
            ksp.setOptionsPrefix(prefix)
            ksp.setOperators(A)
            ksp.setFromOptions()
            x = b.duplicate()
            t0 = time.perf_counter()
            ksp.setUp()
            t_pc = time.perf_counter() - t0
            t0 = time.perf_counter()
            ksp.solve(b, x)
            t_ksp = time.perf_counter() - t0
            levels, op_cx = complexity(ksp)
            uh.x.petsc_vec.array[:] = x.array
            uh.x.scatter_forward()
            row = dict(set=name, dofs=ndofs, ranks=comm.size, contrast=args.contrast, its=ksp.getIterationNumber(),
                       reason=ksp.getConvergedReason(), levels=levels, op_complexity=op_cx, t_pcsetup=comm.allreduce(t_pc, MPI.MAX),
                       t_krylov=comm.allreduce(t_ksp, MPI.MAX), qoi=qoi())
            rows.append(row)
            if comm.rank == 0:
                print(" ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)
            ksp.destroy()
            x.destroy()
        A.destroy()
    if comm.rank == 0:
        with open(args.out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
