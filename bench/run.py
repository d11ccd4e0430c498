"""dendrite benchmark: the one documented command (see bench/README.md).

    python bench/run.py [--sizes 1e4 1e5 1e6] [--problems potential bv elasticity sweep plain skfem]
                        [--ranks 1 2] [--quick] [--out bench/results/bench.csv]

Every (problem, size, ranks) case runs in its own process (under ``mpiexec -n R`` for R > 1)
so that the peak memory (``getrusage`` maxrss, MPI-max and sum) belongs to that case alone.
The driver collects one JSON row per case, prints a table and writes a CSV.

Problems
  potential   3D P1 potential, polycrystal with GB phase (conductivity contrast 1e3), primary
              (Dirichlet) anode + galvanostatic counter, through solver.physics.conduction (the tool)
  bv          the same with Butler-Volmer kinetics at a rough anode interface (Newton)
  elasticity  3D P1 linear elasticity (rigid-body near-nullspace, CG + GAMG) via solver.physics.elasticity
  sweep       CCD-like sweep: 20 applied currents, 2D rough interface (Gmsh, ~1e5 DOFs; the
              --sizes do not apply), one ConductionProblem reused (problem.solve(load=...))
  sweep_groups  the same sweep with one process group (sub-communicator) per rank, each meshing
              once and solving its block of 20/R consecutive loads (as `dendrite sweep --groups R`)
  plain       peer: plain DOLFINx LinearProblem + CG/GAMG on the `potential` mesh
  skfem       peer: scikit-fem + pyamg (SA + CG) on the same mesh exported as arrays (1 rank only)

Phases (seconds, MPI-max): mesh = create_box (generation + partition + distribution) or Gmsh;
tag = cell/facet tagging (Voronoi distance) or Gmsh-to-DOLFINx import; setup = function spaces,
form compilation (JIT, cached after the first run) and matrix allocation; assembly = residual +
Jacobian/matrix assembly; pcsetup = GAMG set-up; krylov = CG iterations; solve = the whole solve
call (assembly + pcsetup + krylov + SNES overhead).
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
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ALL_PROBLEMS = ["potential", "plain", "skfem", "bv", "elasticity", "sweep", "sweep_groups"]
DEFAULT_SIZES = ["1e4", "1e5", "1e6"]
QUICK_SIZES = ["3e3"]

COLUMNS = [
    "problem", "target_dofs", "ranks", "dofs", "t_mesh", "t_tag", "t_setup", "t_compile", "t_assembly",
    "t_pcsetup", "t_krylov", "t_solve", "newton_its", "krylov_its", "maxrss_mb_max", "maxrss_mb_sum",
    "kb_per_dof", "maxrss_mesh_mb", "qoi", "qoi_name", "load_points", "converged", "note", "options",
    "t_solve_runs",
]

# Physical set-up (SI units; unit cube [m] so the numbers are nondimensional in practice).
SIGMA = {"grains": 1.0, "grain_boundaries": 1e-3}  # S/m, contrast 1e3
I_APP = 1.0  # A/m^2
TEMPERATURE = 298.15  # K


# ----------------------------------------------------------------------------------------------
# single cases (run inside the worker process, possibly under mpiexec)
# ----------------------------------------------------------------------------------------------
def _maxrss(comm, row: dict) -> None:
    from mpi4py import MPI

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    row["maxrss_mb_max"] = comm.allreduce(kb, MPI.MAX) / 1024
    row["maxrss_mb_sum"] = comm.allreduce(kb, MPI.SUM) / 1024
    if row.get("dofs"):
        row["kb_per_dof"] = row["maxrss_mb_sum"] * 1024 / row["dofs"]


def _mesh(dofs: float, comm, rough: bool = False, block_size: int = 1):
    from bench.cases import cells_per_side, polycrystal_box

    n = cells_per_side(dofs, block_size)
    tagged = polycrystal_box(n, comm, rough_amplitude=0.05 if rough else 0.0)
    from mpi4py import MPI

    rss = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, MPI.MAX) / 1024
    return tagged, {"t_mesh": tagged.statistics["create_box_seconds"], "t_tag": tagged.statistics["tag_seconds"],
                    "maxrss_mesh_mb": rss}


def _counter_mean(tagged, phi) -> float:
    import ufl
    from dolfinx import fem
    from mpi4py import MPI

    comm = tagged.mesh.comm
    ds = ufl.Measure("ds", domain=tagged.mesh, subdomain_data=tagged.facet_tags)(
        tagged.boundary_tag("counter_electrode")
    )
    area = comm.allreduce(fem.assemble_scalar(fem.form(1.0 * ds)), MPI.SUM)
    return comm.allreduce(fem.assemble_scalar(fem.form(phi * ds)), MPI.SUM) / area


def _apply_tool_options(snes, row: dict) -> None:
    """Measurement hook: extra PETSc options (JSON in $BENCH_TOOL_OPTIONS, set by --tool-options)
    put on the tool's SNES prefix after construction, to try recommended settings through the
    unchanged tool. Empty by default."""
    extra = json.loads(os.environ.get("BENCH_TOOL_OPTIONS") or "{}")
    if not extra:
        return
    from petsc4py import PETSc

    opts = PETSc.Options()
    prefix = snes.getOptionsPrefix()
    for k, v in extra.items():
        opts[prefix + k] = "" if v is None else v
    snes.setFromOptions()
    row["options"] = json.dumps(extra, sort_keys=True)


def case_conduction(dofs: float, comm, bv: bool) -> dict:
    from solver.physics.conduction import ConductionSettings
    from solver.physics.kinetics import make_kinetics

    tagged, row = _mesh(dofs, comm, rough=bv)
    if bv:
        kin = make_kinetics("butler_volmer", exchange_current_density=0.1, temperature=TEMPERATURE)
    else:
        kin = make_kinetics("primary", exchange_current_density=1.0, temperature=TEMPERATURE)
    settings = ConductionSettings(
        kinetics=kin, mode="galvanostatic", applied_current_density=I_APP, linear_solver="iterative"
    )
    return _best_of_repeats(lambda: _solve_conduction(tagged, settings, dict(row)))


def _solve_conduction(tagged, settings, row: dict) -> dict:
    from mpi4py import MPI

    from bench.petsclog import EventTimer
    from solver.physics.conduction import ConductionProblem

    comm = tagged.mesh.comm
    t0 = time.perf_counter()
    problem = ConductionProblem(tagged, dict(SIGMA), settings)
    row["t_setup"] = comm.allreduce(time.perf_counter() - t0, MPI.MAX)
    row["t_compile"] = comm.allreduce(problem.compile_seconds, MPI.MAX)
    _apply_tool_options(problem.problem.solver, row)
    timer = EventTimer(comm)
    t0 = time.perf_counter()
    fields = problem.solve()
    row["t_solve"] = comm.allreduce(time.perf_counter() - t0, MPI.MAX)
    ev = timer.delta()
    snes = problem.problem.solver
    row.update(
        dofs=problem.V.dofmap.index_map.size_global,
        t_assembly=ev["SNESFunctionEval"] + ev["SNESJacobianEval"],
        t_pcsetup=ev["PCSetUp"],
        t_krylov=ev["KSPSolve"],
        newton_its=fields.solver_info["newton_iterations"],
        krylov_its=snes.getLinearSolveIterations(),
        converged=int(snes.getConvergedReason()),
        load_points=fields.solver_info["load_steps"],
        qoi=_counter_mean(tagged, fields.potential),
        qoi_name="mean counter potential [V]",
        note=f"GB cell fraction {tagged.statistics['gb_cell_fraction']:.3f}; CG its per Newton step "
        f"{[int(i) for i in snes.getConvergenceHistory()[1]]}",
    )
    snes.destroy()  # before the next repeat builds its own hierarchy
    return row


def _best_of_repeats(solve_once) -> dict:
    """Run ``solve_once`` $BENCH_REPEAT times (set by --repeat) and keep the fastest row.

    The shared project machine's speed drifts by +-25 % with its neighbours' load: the minimum
    over a few repeats (as ``timeit`` reports) is the reproducible figure; all the solve times
    are kept in ``t_solve_runs``.
    """
    import gc

    rows = []
    for _ in range(max(1, int(os.environ.get("BENCH_REPEAT") or 1))):
        rows.append(solve_once())
        gc.collect()
    best = min(rows, key=lambda r: r["t_solve"])
    best["t_solve_runs"] = " ".join(f"{r['t_solve']:.3f}" for r in rows)
    return best


def case_plain(dofs: float, comm) -> dict:
    from bench.plain_dolfinx import solve_plain

    tagged, row = _mesh(dofs, comm)
    from bench.plain_dolfinx import DEFAULT_OPTIONS

    extra = json.loads(os.environ.get("BENCH_TOOL_OPTIONS") or "{}")  # the same KSP/PC options as the tool
    extra = {k: v for k, v in extra.items() if not k.startswith("snes_")}
    if extra:
        row["options"] = json.dumps(extra, sort_keys=True)

    def solve_once():
        out = solve_plain(tagged, dict(SIGMA), I_APP, options={**DEFAULT_OPTIONS, **extra})
        return dict(row, **out, t_setup=out["t_compile"], qoi_name="mean counter potential [V]", load_points=1)

    return _best_of_repeats(solve_once)


def case_skfem(dofs: float, comm) -> dict:
    import gc

    from bench.cases import serial_arrays
    from bench.skfem_peer import solve_skfem

    if comm.size != 1:
        return {"note": "skfem peer is serial only", "dofs": 0}
    tagged, row = _mesh(dofs, comm)
    arrays = serial_arrays(tagged, dict(SIGMA))
    del tagged
    gc.collect()
    from solver.physics.conduction import ITERATIVE_SOLVER_OPTIONS as tool

    out = solve_skfem(arrays, I_APP, rtol=tool["ksp_rtol"], strength_threshold=tool["pc_gamg_threshold"])
    row.update(out, t_setup=out.pop("t_mesh_import"), qoi_name="mean counter potential [V]", load_points=1)
    row["note"] = "maxrss includes the DOLFINx mesh used to export the arrays"
    return row


def case_elasticity(dofs: float, comm) -> dict:
    from dolfinx import fem
    from mpi4py import MPI

    from bench.petsclog import EventTimer
    from solver.physics.elasticity import ElasticityProblem

    tagged, row = _mesh(dofs, comm, block_size=3)
    t0 = time.perf_counter()
    problem = ElasticityProblem(
        tagged,
        {"grains": (150e9, 0.25), "grain_boundaries": (50e9, 0.3)},
        pressures={"counter_electrode": 1e6},
        constraints={"anode_interface": "fixed"},
        degree=1,
        solver="cg_gamg",
        rtol=1e-8,
    )
    t_init = time.perf_counter() - t0
    extra = json.loads(os.environ.get("BENCH_ELASTICITY_OPTIONS") or "{}")
    if extra:  # measurement hook: options under the prefix the tool solves with (the database wins)
        from petsc4py import PETSc

        opts = PETSc.Options()
        for k, v in extra.items():
            opts[f"{problem.options_prefix}{k}"] = "" if v is None else v
        row["options"] = json.dumps(extra, sort_keys=True)
    timer = EventTimer(comm)
    t0 = time.perf_counter()
    fields = problem.solve()
    t_total = time.perf_counter() - t0
    ev = timer.delta()
    t_solve = comm.allreduce(getattr(fields, "solve_seconds", t_total), MPI.MAX)
    t_total = comm.allreduce(t_total, MPI.MAX)
    u = fields.displacement if hasattr(fields, "displacement") else fields.u
    ds = problem.ds("counter_electrode")
    area = comm.allreduce(fem.assemble_scalar(fem.form(1.0 * ds)), MPI.SUM)
    uz = comm.allreduce(fem.assemble_scalar(fem.form(u[2] * ds)), MPI.SUM) / area
    row.update(
        dofs=problem.V.dofmap.index_map.size_global * 3,
        t_setup=comm.allreduce(t_init, MPI.MAX) + (t_total - t_solve),
        t_compile=t_total - t_solve,
        t_assembly=t_solve - ev["KSPSolve"] - ev["PCSetUp"],
        t_pcsetup=ev["PCSetUp"],
        t_krylov=ev["KSPSolve"],
        t_solve=t_solve,
        newton_its=0,
        krylov_its=int(getattr(fields, "iterations", -1)),
        load_points=1,
        converged=1,
        qoi=uz,
        qoi_name="mean counter uz [m]",
        note="solver.physics.elasticity.ElasticityProblem P1, cg_gamg rtol 1e-8",
    )
    return row


def case_sweep(dofs: float, comm, points: int = 20, groups: int = 1) -> dict:
    """The 20-load sweep; with ``groups`` > 1 the loads are shared out to process groups
    (``solver.studies.parallel``, as ``dendrite sweep --groups``), each meshing and solving its block."""
    import numpy as np
    from mpi4py import MPI

    from bench.petsclog import EventTimer
    from meshes import MeshSettings
    from meshes.rough import RandomProfile, RoughInterface2D
    from solver.physics.conduction import ConductionProblem, ConductionSettings
    from solver.physics.kinetics import make_kinetics
    from solver.geometry.driver import build_mesh
    from solver.studies.parallel import process_groups, share_work

    # element size for ~dofs P1 DOFs on a 20 um x 20 um cell (area / (0.433 h^2) / 2 vertices)
    area = 20e-6 * 20e-6
    h = float(np.sqrt(area / (0.866 * dofs)))
    params = RoughInterface2D(profile=RandomProfile(kind="random", rms_height=1e-6, correlation_length=3e-6, seed=3))
    loads = np.linspace(5.0, 100.0, points)  # A/m^2
    with process_groups(comm, groups) as group:
        sub = group.comm
        t0 = time.perf_counter()
        tagged = build_mesh("rough_interface_2d", params, MeshSettings(size=h, interface_size=h), sub)
        t_mesh = sub.allreduce(time.perf_counter() - t0, MPI.MAX)
        row = {
            "t_mesh": sub.bcast(tagged.statistics.get("gmsh_seconds") or 0.0, root=0),
            "t_tag": tagged.statistics.get("import_seconds") or 0.0,
        }
        kin = make_kinetics("butler_volmer", exchange_current_density=10.0, temperature=TEMPERATURE)
        settings = ConductionSettings(kinetics=kin, mode="galvanostatic", applied_current_density=1.0)
        t0 = time.perf_counter()
        problem = ConductionProblem(tagged, {"electrolyte": 0.05}, settings)
        row["t_setup"] = sub.allreduce(time.perf_counter() - t0, MPI.MAX)
        row["t_compile"] = sub.allreduce(problem.compile_seconds, MPI.MAX)
        _apply_tool_options(problem.problem.solver, row)
        block = share_work(loads, group.count)[group.index]
        timer = EventTimer(sub)
        newton = krylov = steps = 0
        ok = 1
        t0 = time.perf_counter()
        for load in block:
            fields = problem.solve(load=float(load))
            newton += fields.solver_info["newton_iterations"]
            steps += fields.solver_info["load_steps"]
            krylov += problem.problem.solver.getLinearSolveIterations()
            ok = min(ok, int(problem.problem.solver.getConvergedReason() > 0))
        row["t_solve"] = sub.allreduce(time.perf_counter() - t0, MPI.MAX)
        ev = timer.delta()
        row.update(
            dofs=problem.V.dofmap.index_map.size_global,
            t_assembly=ev["SNESFunctionEval"] + ev["SNESJacobianEval"],
            t_pcsetup=ev["PCSetUp"],
            t_krylov=ev["KSPSolve"],
            newton_its=newton, krylov_its=krylov, steps=steps, converged=ok, t_mesh_import=t_mesh,
            qoi=_counter_mean(tagged, fields.potential) if block else None,
            last=bool(block) and block[-1] == loads[-1],
        )
        linear_solver = problem.info["linear_solver"]
        mine = row if group.leader else None
    # one row for the whole sweep: times are the slowest group's, iterations summed over groups
    parts = [r for r in comm.allgather(mine) if r is not None]
    row = {k: max(r[k] for r in parts) for k in ("t_mesh", "t_tag", "t_setup", "t_compile", "t_solve",
                                                  "t_assembly", "t_pcsetup", "t_krylov", "t_mesh_import")}
    row.update({k: sum(r[k] for r in parts) for k in ("newton_its", "krylov_its", "steps")})
    row.update(dofs=parts[0]["dofs"], converged=min(r["converged"] for r in parts), load_points=points,
               qoi=next(r["qoi"] for r in parts if r["last"]), options=parts[0].get("options", ""),
               qoi_name="mean counter potential at the last load [V]")
    split = f"{groups} groups of {comm.size // groups} rank(s), " if groups > 1 else ""
    row["note"] = (f"{split}{linear_solver}; {row.pop('steps')} SNES solves for {points} loads; "
                   f"mesh+import {row.pop('t_mesh_import'):.2f}s")
    return row


def run_case(problem: str, dofs: float, json_path: str, sweep_points: int) -> None:
    import solver  # noqa: F401  (before dolfinx)
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    t0 = time.perf_counter()
    try:
        if problem == "potential":
            row = case_conduction(dofs, comm, bv=False)
        elif problem == "bv":
            row = case_conduction(dofs, comm, bv=True)
        elif problem == "plain":
            row = case_plain(dofs, comm)
        elif problem == "skfem":
            row = case_skfem(dofs, comm)
        elif problem == "elasticity":
            row = case_elasticity(dofs, comm)
        elif problem == "sweep":
            row = case_sweep(dofs, comm, sweep_points)
        elif problem == "sweep_groups":
            row = case_sweep(dofs, comm, sweep_points, groups=comm.size)
        else:
            raise SystemExit(f"unknown problem {problem!r}")
        _maxrss(comm, row)
    except Exception as exc:  # report the failure as a row, keep the benchmark going
        import traceback

        traceback.print_exc()
        row = {"note": f"FAILED: {type(exc).__name__}: {exc}"[:300], "converged": -1}
    row.update(problem=problem, target_dofs=dofs, ranks=comm.size, wall=time.perf_counter() - t0)
    if comm.rank == 0:
        Path(json_path).write_text(json.dumps(row, default=float))


# ----------------------------------------------------------------------------------------------
# driver
# ----------------------------------------------------------------------------------------------
def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.0f}"
    return str(v)


def print_row(row: dict) -> None:
    keys = ["problem", "ranks", "dofs", "t_mesh", "t_tag", "t_setup", "t_assembly", "t_pcsetup", "t_krylov",
            "t_solve", "newton_its", "krylov_its", "maxrss_mb_max", "kb_per_dof", "qoi"]
    print("  ".join(f"{k}={_fmt(row.get(k, ''))}" for k in keys) + (f"  [{row['note']}]" if row.get("note") else ""),
          flush=True)


def _parser() -> argparse.ArgumentParser:
    """The command line of the driver (and the hidden worker options of one case)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=None, help="target DOF counts (default 1e4 1e5 1e6)")
    ap.add_argument("--problems", nargs="+", default=None, choices=ALL_PROBLEMS)
    ap.add_argument("--ranks", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="smallest size, sweep on a small mesh (smoke test)")
    ap.add_argument("--sweep-dofs", type=float, default=None, help="DOFs of the 2D sweep (default 1e5)")
    ap.add_argument("--sweep-points", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "bench.csv"))
    ap.add_argument("--tool-options", default="", help="JSON dict of extra PETSc options for the tool's "
                    "SNES/KSP/PC (measurement of recommendations; applied to potential, bv, sweep; "
                    "the KSP/PC ones also to the plain peer)")
    ap.add_argument("--elasticity-options", default="", help="JSON dict of extra PETSc options for the "
                    "elasticity solve (same purpose)")
    ap.add_argument("--repeat", type=int, default=1, help="solve the potential and plain problems this many "
                    "times on the same mesh and report the fastest (the machine's speed drifts)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per case")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--dofs", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    return ap


def _cases(args, sizes: list[float], sweep_dofs: float):
    """(problem, target DOFs, ranks) of every case to run, ranks innermost: the runs whose times
    are compared (1 vs 2 ranks) are then close in time."""
    for problem in args.problems or ALL_PROBLEMS:
        for dofs in [sweep_dofs] if problem.startswith("sweep") else sizes:
            for ranks in args.ranks:
                if problem == "skfem" and ranks != 1 or problem == "sweep_groups" and ranks == 1:
                    continue  # serial-only peer; one group of one rank is the plain sweep
                yield problem, dofs, ranks


def _run_worker(args, env: dict, tmp: str, problem: str, dofs: float, ranks: int) -> dict:
    """One case in its own process (under mpiexec for ranks > 1): its JSON row, or a FAILED /
    TIMEOUT row so that the benchmark goes on."""
    out = Path(tmp) / f"{problem}-{dofs:g}-{ranks}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", problem, "--dofs", str(dofs),
           "--json", str(out), "--sweep-points", str(args.sweep_points)]
    if ranks > 1:
        cmd = [str(Path(sys.executable).parent / "mpiexec"), "-n", str(ranks)] + cmd
    try:
        proc = subprocess.run(cmd, env=env, cwd=str(ROOT), timeout=args.timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if out.exists():
            row = json.loads(out.read_text())
        else:
            row = {"problem": problem, "target_dofs": dofs, "ranks": ranks, "converged": -1,
                   "note": f"FAILED (exit {proc.returncode}): {proc.stdout[-300:]}"}
        if "FAILED" in str(row.get("note", "")):
            print(proc.stdout[-3000:], file=sys.stderr)
    except subprocess.TimeoutExpired:
        row = {"problem": problem, "target_dofs": dofs, "ranks": ranks, "converged": -1,
               "note": f"TIMEOUT after {args.timeout}s"}
    row["load_avg_1min"] = os.getloadavg()[0]
    return row


def _write_csv(rows: list[dict], path: Path) -> None:
    """The result table: the fixed COLUMNS plus wall time and load average, one row per case."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = COLUMNS + ["wall", "load_avg_1min"]
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in cols})


def main(argv=None) -> int:
    args = _parser().parse_args(argv)

    if args.case:  # worker
        run_case(args.case, args.dofs, args.json, args.sweep_points)
        return 0

    sizes = [float(s) for s in (args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES))]
    sweep_dofs = args.sweep_dofs or (5e3 if args.quick else 1e5)
    env = dict(os.environ, UCX_TLS=os.environ.get("UCX_TLS", "self,sm,tcp"), OMP_NUM_THREADS="1",
               BENCH_TOOL_OPTIONS=args.tool_options, BENCH_ELASTICITY_OPTIONS=args.elasticity_options,
               BENCH_REPEAT=str(args.repeat))
    rows = []
    print(f"# dendrite bench  {time.strftime('%Y-%m-%d %H:%M:%S')}  load: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for problem, dofs, ranks in _cases(args, sizes, sweep_dofs):
            row = _run_worker(args, env, tmp, problem, dofs, ranks)
            rows.append(row)
            print_row(row)
    out_path = Path(args.out)
    _write_csv(rows, out_path)
    print(f"# wrote {out_path}", flush=True)
    failed = [r for r in rows if r.get("converged", 1) is not None and int(r.get("converged", 1) or 0) < 0]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
