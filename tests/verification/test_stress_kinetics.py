"""Stress-affected kinetics (Monroe and Newman 2005): the equilibrium potential of Li under
hydrostatic pressure p_h shifts by -V_m p_h / F."""

import copy

import pytest

from solver.config.case import parse_case
from solver.physics.kinetics import FARADAY
from solver.studies.run import run_case
from tests.support import SMALL_CASE


def _flat(stress_kinetics: bool):
    raw = copy.deepcopy(SMALL_CASE)
    raw["name"] = "flat"
    raw["geometry"] = {"type": "rough_interface_2d", "width": "10 um", "thickness": "10 um"}
    raw["electrochemistry"]["stress_kinetics"] = stress_kinetics
    raw["mechanics"] = {"stack_pressure": "6 MPa", "element_degree": 1}  # seed 001 full-cell stack pressure
    raw["outputs"]["png"] = False
    return parse_case(raw)


@pytest.mark.mpi
def test_uniform_stack_pressure_shifts_the_cell_potential_by_vm_p_over_f(tmp_path_factory):
    from tests.support import shared_tmp

    tmp = shared_tmp(tmp_path_factory)
    plain = run_case(_flat(False), out=tmp / "plain", quiet=True).summary["metrics"]
    stressed = run_case(_flat(True), out=tmp / "stressed", quiet=True).summary["metrics"]
    # Laterally confined slab under p: stress_yy = -p, stress_xx = -nu p/(1-nu),
    # stress_zz = nu (stress_xx + stress_yy): p_h = p (1+nu) / (3 (1-nu)) (nu = 0.3, LPSC)
    p, nu, vm = 6e6, 0.3, 1.30e-5
    p_h = p * (1 + nu) / (3 * (1 - nu))
    # same current, same kinetics overpotential: the electrolyte potential rises by V_m p_h / F
    # (0.50 mV); the elastic state is uniform and exact in P1, so only solver tolerance remains
    shift = stressed["counter_potential"] - plain["counter_potential"]
    assert shift == pytest.approx(vm * p_h / FARADAY, rel=1e-6)
    assert stressed["mean_overpotential"] == pytest.approx(plain["mean_overpotential"], rel=1e-8)
