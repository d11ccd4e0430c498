"""The headline benchmark: ``dendrite run`` on 3D cases the generators make, every phase timed,
against the plain DOLFINx Poisson solve of the same DOF count run in the same session.

    .venv/bin/python bench/headline.py                                   # cases/polycrystal_3d_rough_voxel.yaml, 1e5 DOFs, 1 rank
    .venv/bin/python bench/headline.py --dofs 1e5 1e6 --ranks 1 2 --out bench/results/headline.csv
    .venv/bin/python bench/headline.py --case my_voxel_case.yaml --dofs-at-unit-size 2.4e5

The geometry comes from the case file (any registered generator: Gmsh polycrystals, rough
interfaces, structured or voxel meshes); the target DOF count is reached through
``mesh.size_factor`` = (D1 / DOFs)^(1/3), D1 = ``--dofs-at-unit-size`` (the case's DOFs at
size factor 1; the default is the shipped polycrystal's). Every point runs in its own
process (``mpiexec -n R`` for R ranks) so that its peak memory is its own:

1. the tool: ``solver.api.run`` (what ``dendrite run`` calls) on the case, writing its result
   folder; end to end = the wall time of that call (MPI max); phases from the tool's own stage timings (meshing = Gmsh + import/distribution,
   compile, solve, post-processing, writing) and PETSc log events inside the solve
   (assembly = SNESFunctionEval + SNESJacobianEval, PCSetUp, KSPSolve);
2. the same case with linear kinetics on the same mesh (the Butler-Volmer / linear ratio);
3. the yardstick: ``bench/run.py --case plain`` (LinearProblem, CG + GAMG, tool's KSP options)
   on a box of the same DOF count.

Ratios against the targets are columns of the CSV (``bench/headline_table.py`` turns it into
the README table). The machine load (1-min average) is recorded per row.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CASE = ROOT / "cases" / "polycrystal_3d_rough_voxel.yaml"
DOFS_AT_UNIT_SIZE = 103_217  # cases/polycrystal_3d_rough_voxel.yaml at size_factor 1 (measured)

COLUMNS = [
    "case", "ranks", "dofs_target", "size_factor", "dofs", "t_gmsh", "t_distribution", "t_mesh", "t_compile", "t_assembly",
    "t_pcsetup", "t_krylov", "t_solve", "t_post", "t_write", "t_total", "newton_its", "krylov_its",
    "t_solve_linear", "krylov_its_linear", "plain_dofs", "plain_t_solve", "plain_krylov_its",
    "end_to_end_over_plain", "mesh_over_solve", "bv_over_linear", "maxrss_mb_max", "maxrss_mb_sum", "kb_per_dof",
    "load_1min",
]


# ------------------------------------------------------------------------------ worker (one point)
def _count_krylov(counter: list):
    """Measurement hook: sum the Krylov iterations of every SNES solve of the tool."""
    from solver.physics.conduction import ConductionProblem

    original = ConductionProblem._try

    def counted(self, load):
        out = original(self, load)
        counter[0] += self.problem.solver.getLinearSolveIterations()
        return out

    ConductionProblem._try = counted


def _events(timer) -> dict:
    ev = timer.delta()
    return {"t_assembly": ev["SNESFunctionEval"] + ev["SNESJacobianEval"], "t_pcsetup": ev["PCSetUp"],
            "t_krylov": ev["KSPSolve"]}


def _linear_on_same_mesh(raw: dict, tagged) -> dict:
    """The case with linear kinetics on the tool's mesh: solve time and Krylov iterations."""
    from mpi4py import MPI

    from bench.petsclog import EventTimer
    from solver.config.adapter import conduction_problem
    from solver.config.case import parse_case

    linear = json.loads(json.dumps(raw))
    linear["electrochemistry"].setdefault("kinetics", {})["law"] = "linear"
    counter = [0]
    with conduction_problem(parse_case(linear), tagged) as problem:
        timer = EventTimer(tagged.mesh.comm)
        t0 = time.perf_counter()
        problem.solve()
        seconds = tagged.mesh.comm.allreduce(time.perf_counter() - t0, MPI.MAX)
        counter[0] = problem.problem.solver.getLinearSolveIterations()
        timer.delta()
    return {"t_solve_linear": seconds, "krylov_its_linear": counter[0]}


def worker(case_path: str, size_factor: float, out_json: str) -> None:
    import yaml
    from mpi4py import MPI

    from bench.petsclog import EventTimer
    import solver.api as api

    comm = MPI.COMM_WORLD
    raw = yaml.safe_load(Path(case_path).read_text())
    raw.setdefault("mesh", {})["size_factor"] = size_factor
    raw.setdefault("outputs", {})["mesh_cache"] = None  # time the meshing, not a cache hit
    counter = [0]
    _count_krylov(counter)
    folder = comm.bcast(tempfile.mkdtemp(prefix="headline-") if comm.rank == 0 else None)
    timer = EventTimer(comm)
    t0 = time.perf_counter()
    result = api.run(dict(raw), out=Path(folder) / "run", overwrite=True, comm=comm)
    wall = comm.allreduce(time.perf_counter() - t0, MPI.MAX)  # the whole call: every output written
    row = _events(timer)
    s = result.summary
    timings, mesh, info = s["timings"], s["mesh"], s["solver"]
    row.update(
        dofs=info["dofs"], t_gmsh=mesh.get("gmsh_seconds"), t_distribution=mesh.get("import_seconds"),
        t_mesh=timings["mesh_s"], t_compile=timings.get("setup_s"), t_solve=timings["solve_s"],
        t_post=sum(v for k, v in timings.items() if k not in ("mesh_s", "setup_s", "solve_s", "write_s", "total_s")),
        t_write=timings.get("write_s"), t_total=wall, newton_its=info.get("newton_iterations"),
        krylov_its=comm.allreduce(counter[0], MPI.MAX),
    )
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    row["maxrss_mb_max"] = comm.allreduce(kb, MPI.MAX) / 1024
    row["maxrss_mb_sum"] = comm.allreduce(kb, MPI.SUM) / 1024
    row["kb_per_dof"] = row["maxrss_mb_sum"] * 1024 / row["dofs"]
    if raw.get("electrochemistry", {}).get("kinetics", {}).get("law") not in (None, "linear", "primary"):
        row.update(_linear_on_same_mesh(raw, result.state.tagged))
    if comm.rank == 0:
        Path(out_json).write_text(json.dumps(row))


# ------------------------------------------------------------------------------ driver
def _python(ranks: int) -> list[str]:
    py = [sys.executable]
    return py if ranks == 1 else [str(Path(sys.executable).parent / "mpiexec"), "-n", str(ranks)] + py


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", UCX_TLS=os.environ.get("UCX_TLS", "self,sm,tcp"))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run_json(cmd: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "row.json"
        subprocess.run(cmd + ["--json", str(out)], check=True, env=_env(), cwd=ROOT)
        return json.loads(out.read_text())


def point(case: Path, dofs: float, ranks: int, dofs_at_unit_size: float, size_factor: float | None = None) -> dict:
    size_factor = size_factor or (dofs_at_unit_size / dofs) ** (1 / 3)
    row = {"case": case.stem, "ranks": ranks, "dofs_target": int(dofs), "size_factor": size_factor,
           "load_1min": os.getloadavg()[0]}
    row.update(_run_json(_python(ranks) + [str(Path(__file__)), "--worker", str(case), "--size-factor",
                                           repr(size_factor)]))
    plain = _run_json(_python(ranks) + [str(ROOT / "bench" / "run.py"), "--case", "plain", "--dofs",
                                         str(row["dofs"])])
    row.update(plain_dofs=plain["dofs"], plain_t_solve=plain["t_solve"], plain_krylov_its=plain.get("krylov_its"))
    row["end_to_end_over_plain"] = row["t_total"] / row["plain_t_solve"]
    row["mesh_over_solve"] = row["t_mesh"] / row["t_solve"]
    if row.get("t_solve_linear"):
        row["bv_over_linear"] = row["t_solve"] / row["t_solve_linear"]
    return row


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", help="case YAML (repeatable); default cases/polycrystal_3d_rough_voxel.yaml")
    ap.add_argument("--dofs", nargs="+", type=float, default=[1e5])
    ap.add_argument("--ranks", nargs="+", type=int, default=[1])
    ap.add_argument("--dofs-at-unit-size", type=float, default=DOFS_AT_UNIT_SIZE)
    ap.add_argument("--size-factors", nargs="+", type=float,
                    help="mesh.size_factor per --dofs entry (instead of the cube-root estimate)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "headline.csv"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--size-factor", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.size_factor, args.json)
        return
    rows = []
    for case in [Path(c) for c in (args.case or [DEFAULT_CASE])]:
        factors = args.size_factors or [None] * len(args.dofs)
        for dofs, factor in zip(args.dofs, factors):
            for ranks in args.ranks:
                rows.append(point(case.resolve(), dofs, ranks, args.dofs_at_unit_size, factor))
                print(json.dumps(rows[-1]), flush=True)
                _write(rows, Path(args.out))


def _write(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
