"""Does a long sweep keep its memory flat? Resident memory of every rank after each point.

    mpiexec -n 2 .venv/bin/python bench/sweep_memory.py [--points 200] [--param electrochemistry.applied_current_density]

Runs ``--points`` points of a sweep of the small test case (2D rough interface, ~2k
cells) with ``solver.studies.sweep.run_sweep`` on all ranks (one process group). The
default parameter, the applied current density, reuses one conduction problem and
continues from the previous solution (the common long sweep). ``--param
electrochemistry.temperature`` (280..340 K; the electrolyte is then Li6PS5Cl, whose
conductivity and i0 have activation energies) builds a new problem per point (new PETSc
matrix, vector, KSP and SNES; the forms are found compiled, as the temperature and what
depends on it enter them as Constants): the case where PETSc objects not released per
point, or a module compiled per point, would pile up.

After every point each rank records its resident set size (``/proc/self/statm``).
Printed and written to ``bench/results/sweep_memory.json``: RSS per rank at selected
points and the growth rate from a least-squares line through points 20..N (the first
points warm up caches: JIT modules, the mesh cache, PETSc's pools), in MB per 100 points.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import solver  # noqa: E402,F401  (dolfinx_solver first)
from mpi4py import MPI  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def values_for(param: str, n: int) -> list[str]:
    if param.endswith("temperature"):
        return [f"{t:.4f} K" for t in np.linspace(280.0, 340.0, n)]
    if param.endswith("applied_current_density"):
        return [f"{i:.5f} mA/cm^2" for i in np.linspace(0.1, 2.0, n)]
    raise SystemExit(f"no value list for {param}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--param", default="electrochemistry.applied_current_density")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "sweep_memory.json"))
    args = parser.parse_args()
    comm = MPI.COMM_WORLD
    import gc

    if comm.size > 1:
        gc.disable()  # as the command line does under MPI: the sweep collects per point
    import solver.studies.sweep as sweep_module
    from solver.config.case import parse_case
    from tests.support import BASE

    samples: list[float] = []
    real_solve = sweep_module._solve_point

    def measured(point, state, group_comm):
        result = real_solve(point, state, group_comm)
        samples.append(rss_mb())  # after the point, before the per-point collection
        return result
    sweep_module._solve_point = measured

    work = Path(tempfile.mkdtemp(prefix="sweep-memory-")) if comm.rank == 0 else None
    work = Path(comm.bcast(str(work) if work else None, root=0))
    raw = copy.deepcopy(BASE)
    raw["outputs"] = {"directory": str(work), "mesh_cache": str(work / "meshes"), "png": False, "fields": False}
    if args.param.endswith("temperature"):
        raw["materials"] = {"electrolyte": "Li6PS5Cl"}
    case = parse_case(raw, "sweep_memory")
    t0 = time.perf_counter()
    result = sweep_module.run_sweep(case, args.param, values_for(args.param, args.points), work / "sweep", comm)
    seconds = time.perf_counter() - t0
    per_rank = comm.gather(samples, root=0)
    if comm.rank == 0:
        report = {"points": args.points, "parameter": args.param, "ranks": comm.size, "seconds": seconds,
                  "failed_points": len(result.failed), "problems_built": result.problems_built, "ranks_rss_mb": {}}
        for rank, rss in enumerate(per_rank):
            x = np.arange(len(rss))
            start = min(20, len(rss) // 2)
            slope = float(np.polyfit(x[start:], np.asarray(rss)[start:], 1)[0]) if len(rss) - start > 2 else 0.0
            marks = sorted({i for i in (0, 9, 19, 49, 99, 149, len(rss) - 1) if i < len(rss)})
            report["ranks_rss_mb"][rank] = {"at_point": {i + 1: round(rss[i], 1) for i in marks},
                                            "growth_mb_per_100_points": round(100 * slope, 2),
                                            "peak": round(max(rss), 1)}
            print(f"rank {rank}: RSS at points {', '.join(f'{i + 1}: {rss[i]:.0f}' for i in marks)} MB; "
                  f"growth {100 * slope:+.2f} MB per 100 points (points {start + 1}..{len(rss)})")
        print(f"{args.points} points in {seconds:.0f} s, {result.problems_built} problems built, "
              f"{len(result.failed)} failed")
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
