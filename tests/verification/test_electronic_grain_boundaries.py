"""Electrons along grain boundaries: the zero-thickness sheet against a resolved GB layer.

2 x 2 square grains of side 1 between the anode (y = 0) and an ion-blocking counter
(y = 2) at V = 1: the current is purely electronic. GBs (x = 1, y = 1) conduct electrons
100 times better than the grains. Lumped: R_e = delta / sigma_gb, G_e = sigma_gb delta on the
GB facets (solver.physics.grain_boundaries, called by solver.physics.electronic); resolved:
a layer of width delta meshed with 2 cells across. Both are O(delta) approximations of each
other (the same statement as for ions in tests/verification/test_conduction_grain_boundaries.py), so
the difference of the leakage current must shrink as delta is halved.
"""

import numpy as np
import pytest

from solver.physics.conduction import ConductionSettings
from solver.physics.electronic import ElectronicSettings, MixedConductorProblem, make_counter
from solver.physics.grain_boundaries import GrainBoundaryModel
from solver.physics.kinetics import make_kinetics
from tests.support import make_tagged_box

SIGMA_I, SIGMA_E, ENHANCEMENT = 1.0, 1e-3, 100.0
BOUNDARIES = {
    "anode_interface": lambda x: np.isclose(x[1], 0.0),
    "counter_electrode": lambda x: np.isclose(x[1], 2.0),
    "sides": lambda x: np.ones(x.shape[1], bool),
}


def settings(**kw):
    kin = make_kinetics("linear", exchange_current_density=1.0, temperature=298.15)
    return ConductionSettings(kinetics=kin, mode="potentiostatic", applied_potential=1.0, linear_solver="direct", **kw)


def lumped_current(delta: float, m: int) -> float:
    tagged = make_tagged_box([[0.0, 1.0, 2.0]] * 2, [[m, m]] * 2, boundaries=BOUNDARIES,
                             interior={"grain_boundary_facets": lambda x: np.isclose(x[0], 1.0) | np.isclose(x[1], 1.0)})
    ionic_gb = GrainBoundaryModel.from_layer(SIGMA_I, delta)
    electronic_gb = GrainBoundaryModel.from_layer(ENHANCEMENT * SIGMA_E, delta)
    p = MixedConductorProblem(tagged, {"electrolyte": SIGMA_I}, {"electrolyte": SIGMA_E},
                              settings(grain_boundary=ionic_gb),
                              ElectronicSettings(counter=make_counter("ion_blocking"), grain_boundary=electronic_gb))
    state = p.solve()
    assert state.conservation_errors()["electronic"] < 1e-9  # DG fluxes + sheet end currents
    return state.electronic_current


def resolved_current(delta: float, m: int) -> float:
    breaks = [0.0, 1 - delta / 2, 1 + delta / 2, 2.0]

    def in_gb(x):
        return (np.abs(x[0] - 1) < delta / 2) | (np.abs(x[1] - 1) < delta / 2)

    tagged = make_tagged_box([breaks] * 2, [[m, 2, m]] * 2, boundaries=BOUNDARIES,
                             regions={"grains": lambda x: ~in_gb(x), "grain_boundaries": in_gb})
    p = MixedConductorProblem(tagged, {"grains": SIGMA_I, "grain_boundaries": SIGMA_I},
                              {"grains": SIGMA_E, "grain_boundaries": ENHANCEMENT * SIGMA_E}, settings(),
                              ElectronicSettings(counter=make_counter("ion_blocking")))
    state = p.solve()
    assert state.conservation_errors()["electronic"] < 1e-9
    return state.electronic_current


@pytest.mark.mpi
def test_electronic_gb_sheet_converges_to_the_resolved_layer():
    diffs = [abs(lumped_current(d, 16) / resolved_current(d, 16) - 1) for d in (0.04, 0.02, 0.01)]
    # measured: 7.75e-3, 3.57e-3, 1.37e-3 (as the ionic sheet at the same contrast)
    assert diffs[0] > diffs[1] > diffs[2], diffs
    assert diffs[2] < 2e-3, diffs


def test_electronic_gb_sheet_carries_the_enhanced_current():
    """Sanity of scale: the GB network raises the conductance well above the grains' (x100 GBs of 1 %)."""
    plain = SIGMA_E * 1.0 * 2.0 / 2.0  # sigma_e V A / L of the grains alone [A/m]
    # measured 2.0e-3 A/m: the vertical GB adds sigma_gb delta V / L = 1e-3 A/m in parallel
    assert lumped_current(0.02, 8) == pytest.approx(2 * plain, rel=1e-2)
