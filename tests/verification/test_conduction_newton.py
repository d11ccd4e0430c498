"""Robust Newton: continuation in the load, and a clear error when no solution exists."""

import numpy as np
import pytest

from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.errors import SolverError
from solver.physics.kinetics import FARADAY, GAS_CONSTANT, make_kinetics
from solver.analysis.metrics import conduction_metrics

T, I0, SIGMA, L = 298.15, 6.9, 0.5, 20e-6


def _bv_eta(i):
    return 2 * GAS_CONSTANT * T / FARADAY * np.arcsinh(i / (2 * I0))


@pytest.mark.mpi
def test_high_current_bv_through_continuation(flat_slab, charge_balance):
    """From the state at i0 to 100 x i0 with Newton capped at 5 iterations: a full step
    fails (the exponential is far from its slope there), continuation gets there."""
    kin = make_kinetics("butler_volmer", exchange_current_density=I0, temperature=T)
    i = 100 * I0
    settings = ConductionSettings(kinetics=kin, applied_current_density=i, newton_max_iterations=5)
    problem = ConductionProblem(flat_slab([("electrolyte", L, 8)], L / 4), {"electrolyte": SIGMA}, settings)
    problem.solve(load=I0)  # a warm start: the next solve begins from it
    fields = problem.solve()
    assert fields.solver_info["load_steps"] > 1
    metrics, _, _ = conduction_metrics(fields)
    charge_balance(metrics)
    assert metrics["mean_overpotential"] == pytest.approx(-_bv_eta(i), rel=1e-8)


@pytest.mark.mpi
def test_a_cold_start_begins_at_the_uniform_current_state(flat_slab, charge_balance):
    """A flat cell carries the applied current uniformly, so the uniform-current start has
    the exact overpotential and Newton's first step adds the exact ohmic profile: one step
    at 100 x i0 (from phi = 0 a full step fails within 5), to the Newton tolerance."""
    kin = make_kinetics("butler_volmer", exchange_current_density=I0, temperature=T)
    i = 100 * I0
    settings = ConductionSettings(kinetics=kin, applied_current_density=i, newton_max_iterations=5)
    fields = ConductionProblem(flat_slab([("electrolyte", L, 8)], L / 4), {"electrolyte": SIGMA}, settings).solve()
    assert fields.solver_info["newton_iterations"] == 1 and fields.solver_info["load_steps"] == 1
    metrics, _, _ = conduction_metrics(fields)
    charge_balance(metrics)
    assert metrics["mean_overpotential"] == pytest.approx(-_bv_eta(i), rel=1e-8)
    assert metrics["counter_potential"] == pytest.approx(i * L / SIGMA + _bv_eta(i), rel=1e-8)


def test_impossible_case_raises_solver_error(flat_slab):
    """Tafel kinetics on the plating branch cannot strip Li: no solution for i < 0."""
    kin = make_kinetics("tafel", direction="plating", exchange_current_density=I0, temperature=T)
    settings = ConductionSettings(kinetics=kin, applied_current_density=-10.0, newton_max_iterations=10,
                                  max_continuation_halvings=4)
    problem = ConductionProblem(flat_slab([("electrolyte", L, 4)], L / 4), {"electrolyte": SIGMA}, settings)
    message = r"failed to converge at load .* of -10 .*residual history of the first and last attempts: -10: \d"
    with pytest.raises(SolverError, match=message):
        problem.solve()
