"""Cost of one cycling time step against one steady solve of the same mesh, and a step-protocol
run to short (2D rough Li | LPSC interface, Butler-Volmer, Gmsh mesh).

    .venv/bin/python bench/cycle_step.py --size 0.3um            # ~1e5 DOFs
    .venv/bin/python bench/cycle_step.py --size 1um --steps 20    # quick

Reported (no test asserts a timing; the machine is shared, see bench/README.md):
- ``steady_s``: a steady solve as ``dendrite run`` does it: a fresh ConductionProblem, cold
  start (phi = 0), at the protocol's first current; the median of ``--repeat`` fresh problems;
- ``step_s``: the median wall time of one cycling step (solve at the present contact, warm
  start, + per-element currents, overpotentials and the interface update);
- ``ratio`` = step_s / steady_s (the issue asks for <= 1.5);
- ``run_to_short_s``: the wall time of a CCD step protocol until the cell shorts.
"""

from __future__ import annotations

import argparse
import copy
import csv
import os
import statistics
import time
from pathlib import Path

from mpi4py import MPI

import solver  # noqa: F401
from solver.config.adapter import build_case_mesh, conduction_problem
from solver.config.case import parse_case
from solver.studies.cycle import CycleRunner

CASE = {
    "name": "bench_cycle",
    "geometry": {"type": "rough_interface_2d", "width": "100 um", "thickness": "100 um",
                 "profile": {"kind": "random", "rms_height": "0.5 um", "correlation_length": "4 um", "seed": 7},
                 "contact": {"fraction": 0.9, "void_size": "2 um", "seed": 7}},
    "mesh": {"interface_size": "0.3 um", "size": "0.3 um"},
    "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
    "electrochemistry": {"applied_current_density": "0.1 mA/cm^2", "kinetics": {"law": "butler_volmer"},
                         "counter_kinetics": "same_as_anode"},
    "mechanics": {"stack_pressure": "1 MPa"},
    "outputs": {"mesh_cache": None, "fields": False, "png": False},
    "risk": {"criterion": "fracture_toughness"},
    "cycling": {
        "protocol": [{"type": "ccd_steps", "start": "0.1 mA/cm^2", "step": "0.1 mA/cm^2", "maximum": "5 mA/cm^2",
                      "half_cycle_time": "30 min", "first": "stripping"}],
        "time_step": {"initial": "10 s", "maximum": "600 s"},
        "interface": {"supply": ["vacancy_diffusion"], "supply_length": "4 um", "void_depth": "1 um",
                      "filament_flaw_depth": "1 um"},
    },
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="0.3 um", help="element size (interface and bulk)")
    p.add_argument("--steps", type=int, default=30, help="cycling steps timed one by one")
    p.add_argument("--repeat", type=int, default=3, help="fresh steady problems timed")
    p.add_argument("--out", default="bench/results/cycle_step.csv")
    args = p.parse_args()
    raw = copy.deepcopy(CASE)
    raw["mesh"] = {"interface_size": args.size, "size": args.size}
    case = parse_case(raw)
    comm = MPI.COMM_WORLD
    tagged = build_case_mesh(case, comm)
    load = -1.0  # first half cycle: stripping at 0.1 mA/cm^2 [A/m^2]
    steady = []
    for _ in range(args.repeat):
        problem = conduction_problem(case, tagged)
        comm.barrier()
        t0 = time.perf_counter()
        problem.solve(load=load)
        steady.append(time.perf_counter() - t0)
        dofs = problem.info["dofs"]
        del problem
    runner = CycleRunner(case, comm)
    steps = []
    for _ in range(args.steps):
        k = runner._segment(runner.state.time)
        segment = runner.segments[k]
        comm.barrier()
        t0 = time.perf_counter()
        runner.advance(segment, runner.solve(segment.current_density))
        steps.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    runner.run()
    run_seconds = time.perf_counter() - t0 + sum(steps)
    summary = runner.summary()
    row = {
        "dofs": dofs, "ranks": comm.size, "steady_s": statistics.median(steady),
        "step_s": statistics.median(steps), "ratio": statistics.median(steps) / statistics.median(steady),
        "run_to_short_s": run_seconds, "time_steps": summary["time_steps"],
        "time_to_short_h": None if summary["time_to_short_s"] is None else summary["time_to_short_s"] / 3600,
        "short_current_mA_cm2": None if summary["short_current_density_A_m2"] is None
        else 0.1 * summary["short_current_density_A_m2"],
        "load_average": os.getloadavg()[0],
    }
    if comm.rank == 0:
        print(", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in row.items()))
        path = Path(args.out)
        new = not path.exists()
        with path.open("a", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(row))
            if new:
                w.writeheader()
            w.writerow(row)


if __name__ == "__main__":
    main()
