"""The shipped 3D polycrystal case (zero-thickness GB facets, Butler-Volmer) solved by the
default iterative solver, in serial and on 2 ranks (same answer).

The box is shrunk to 4 um (about 30 grains, 1.3e4 DOFs) to keep the test short; every other
setting is the shipped case's. Under mpiexec the case is solved on the 2-rank communicator
and again on one rank (COMM_SELF, the same Gmsh mesh): the metrics agree to the solver
tolerance (CG at rtol 1e-10, Newton at rtol 1e-10: 1e-7 relative leaves margin for the
different partition, whose round-off and Krylov iterates differ).
"""

from pathlib import Path

import pytest
import yaml
from mpi4py import MPI

from solver.analysis.metrics import conduction_metrics
from solver.config.adapter import build_case_mesh, conduction_problem
from solver.config.case import parse_case

CASE = Path(__file__).resolve().parents[2] / "cases" / "polycrystal_3d.yaml"


def small_case(solver_section: dict | None = None):
    raw = yaml.safe_load(CASE.read_text())
    raw["geometry"].update(width="4 um", depth="4 um", thickness="4 um")
    if solver_section:
        raw["solver"] = solver_section
    return parse_case(raw)


def solve(comm, solver_section: dict | None = None):
    case = small_case(solver_section)
    with conduction_problem(case, build_case_mesh(case, comm)) as problem:
        state = problem.solve()
        metrics, _, _ = conduction_metrics(state)
    return state.solver_info, metrics


@pytest.mark.mpi
def test_polycrystal_3d_case_solves_iteratively_and_agrees_across_ranks():
    info, metrics = solve(MPI.COMM_WORLD)
    assert info["linear_solver"].startswith("CG + two-level DG") and info["converged"]
    assert info["load_steps"] == 1 and info["newton_iterations"] <= 6  # no continuation needed
    assert metrics["charge_balance_error"] < 1e-8
    # 1 mA/cm^2 through 4 um of Li6PS5Cl (0.3 S/m) and GBs: counter potential above the bulk drop
    assert metrics["counter_potential"] > 10.0 * 4e-6 / 0.3
    if MPI.COMM_WORLD.size > 1:
        _, serial = solve(MPI.COMM_SELF)
        for key in ("counter_potential", "mean_overpotential"):
            assert metrics[key] == pytest.approx(serial[key], rel=1e-7), key


def test_lagged_preconditioner_and_two_level_solver_keep_the_answer():
    """Butler-Volmer with the preconditioner built once per solve (the default) against one
    rebuilt at every Newton step, and against MUMPS LU: the same metrics to solver tolerance."""
    lagged_info, lagged = solve(MPI.COMM_SELF)
    _, rebuilt = solve(MPI.COMM_SELF, {"petsc_options": {"snes_lag_preconditioner": 1}})
    direct_info, direct = solve(MPI.COMM_SELF, {"linear_solver": "direct"})
    assert direct_info["linear_solver"].startswith("direct")
    for key in ("counter_potential", "mean_overpotential"):
        assert lagged[key] == pytest.approx(rebuilt[key], rel=1e-7), key
        assert lagged[key] == pytest.approx(direct[key], rel=1e-7), key
    assert lagged_info["newton_iterations"] <= 5


def test_shipped_case_validates():
    case = parse_case(yaml.safe_load(CASE.read_text()))
    assert case.model.solver.linear_solver == "auto"  # the default: iterative in 3D
