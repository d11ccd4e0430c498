"""Zero-thickness grain boundaries (DG + lumped GB) against exact answers and resolved layers.

- Flat cells with a GB parallel to the electrodes: the GB adds R_gb in series exactly; the
  discontinuous space holds the piecewise-linear potential, so the Newton tolerance is
  the only error (every boundary type: kinetics, galvanostatic, Nitsche Dirichlet).
- 2 x 2 square grains (side 1, GB lines x = 1, y = 1): lumped GB model
  R_gb = delta/sigma_gb, G_gb = sigma_gb delta against a resolved GB layer of thickness
  delta. Both are O(delta) approximations of each other, so the difference must shrink
  with delta (measured in docs/verification.md).
"""

import numpy as np
import pytest

from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.grain_boundaries import GrainBoundaryModel
from solver.analysis.homogenisation import effective_conductivity
from solver.physics.kinetics import make_kinetics
from solver.analysis.metrics import conduction_metrics
from tests.support import (
    GB_SLAB_LENGTH,
    GB_SLAB_SIGMA,
    assert_charge_balance,
    flat_with_gb,
    lumped_grains,
    make_tagged_box,
)

T = 298.15
I0 = 6.9
SIGMA = GB_SLAB_SIGMA  # the slab of flat_with_gb (tests.support)
L = GB_SLAB_LENGTH
TOL = 1e-8


@pytest.mark.mpi
@pytest.mark.parametrize("conductance", [0.0, 1e-7])
@pytest.mark.parametrize("law", ["butler_volmer", "primary"])
def test_flat_gb_in_series_galvanostatic(law, conductance):
    r_gb = 2e-5  # ohm m^2 (delta = 10 nm at sigma_gb = 5e-4 S/m)
    model = GrainBoundaryModel(r_gb, conductance)
    kin = make_kinetics(law, exchange_current_density=I0, temperature=T)
    i = 10.0
    settings = ConductionSettings(kinetics=kin, applied_current_density=i, grain_boundary=model)
    metrics, _, _ = conduction_metrics(ConductionProblem(flat_with_gb(), {"electrolyte": SIGMA}, settings).solve())
    assert_charge_balance(metrics, TOL)
    eta = kin.overpotential(-i)
    assert metrics["counter_potential"] == pytest.approx(i * L / SIGMA + r_gb * i - eta, rel=TOL)
    assert metrics["asr_split"]["lumped_grain_boundaries"] == pytest.approx(r_gb, rel=TOL)


@pytest.mark.mpi
def test_flat_gb_in_series_potentiostatic():
    r_gb = 2e-5
    model = GrainBoundaryModel(r_gb, 1e-7)
    kin = make_kinetics("linear", exchange_current_density=I0, temperature=T)
    settings = ConductionSettings(kinetics=kin, mode="potentiostatic", applied_potential=0.01, grain_boundary=model)
    metrics, _, _ = conduction_metrics(ConductionProblem(flat_with_gb(), {"electrolyte": SIGMA}, settings).solve())
    assert_charge_balance(metrics, TOL)
    expected = 0.01 / (L / SIGMA + r_gb + kin.charge_transfer_resistance)
    assert metrics["applied_current_density_projected"] == pytest.approx(expected, rel=TOL)


def resolved_grains(m: int, delta: float, gb_cells: int = 2):
    """The same grains with GB layers |x - 1| < delta/2 or |y - 1| < delta/2 (region ``grain_boundaries``)."""
    breaks = [0.0, 1 - delta / 2, 1 + delta / 2, 2.0]

    def in_gb(x):
        return (np.abs(x[0] - 1) < delta / 2) | (np.abs(x[1] - 1) < delta / 2)

    return make_tagged_box(
        [breaks] * 2, [[m, gb_cells, m]] * 2, regions={"grains": lambda x: ~in_gb(x), "grain_boundaries": in_gb}
    )


def lumped_vs_resolved(contrast: float, delta: float, sheet: bool, m: int = 16) -> float:
    model = GrainBoundaryModel(delta / contrast, contrast * delta if sheet else 0.0)
    lumped = effective_conductivity(lumped_grains(m), {"electrolyte": 1.0}, grain_boundary=model)
    resolved = effective_conductivity(resolved_grains(m, delta), {"grains": 1.0, "grain_boundaries": contrast})
    return abs(lumped / resolved - 1)


@pytest.mark.mpi
@pytest.mark.parametrize(
    "contrast, sheet, tolerances",
    [
        # measured differences at delta = 0.04, 0.02, 0.01 (m = 16 cells per grain):
        (1e-2, False, (2e-3, 6e-4, 2e-4)),  # 1.4e-3, 3.7e-4, 8.1e-5
        (1e-2, True, (2.5e-2, 1.3e-2, 7e-3)),  # 1.9e-2, 1.0e-2, 5.9e-3
        (1e2, True, (1e-2, 5e-3, 2e-3)),  # 7.8e-3, 3.6e-3, 1.4e-3
    ],
)
def test_lumped_gb_converges_to_resolved_layer(contrast, sheet, tolerances):
    """sigma_gb/sigma_g = 1e-2 (resistive) and 1e2 (conductive, needs the sheet term)."""
    diffs = [lumped_vs_resolved(contrast, delta, sheet) for delta in (0.04, 0.02, 0.01)]
    assert all(d < t for d, t in zip(diffs, tolerances)), diffs
    assert diffs[0] > diffs[1] > diffs[2]


def test_conductive_gb_without_sheet_misses_the_parallel_path():
    """Leaving out G_gb for a conductive GB (x100, delta = 0.02) loses its parallel current."""
    assert lumped_vs_resolved(1e2, 0.02, sheet=False) > 0.4


def bicrystal_pair(delta: float) -> tuple[dict, dict]:
    """Metrics of the lumped and the resolved bicrystal cell (see the test below)."""
    width, height, near = 10e-6, 10e-6, 1e-6
    kin = make_kinetics("butler_volmer", exchange_current_density=1.28e4, temperature=T)
    settings = dict(kinetics=kin, applied_current_density=30.0)
    boundaries = {
        "anode_interface": lambda x: np.isclose(x[1], 0.0, atol=1e-14),
        "counter_electrode": lambda x: np.isclose(x[1], height, atol=1e-14),
        "sides": lambda x: np.ones(x.shape[1], bool),
    }
    y = [[0.0, 2e-6, height], [32, 8]]
    mid = width / 2
    sigma_gb = 100 * SIGMA
    lumped = make_tagged_box(
        [[0.0, mid - near, mid, mid + near, width], y[0]], [[8, 24, 24, 8], y[1]], boundaries=boundaries,
        interior={"grain_boundary_facets": lambda x: np.isclose(x[0], mid, atol=1e-14)},
    )
    model = GrainBoundaryModel.from_layer(sigma_gb, delta)
    fl = ConductionProblem(lumped, {"electrolyte": SIGMA}, ConductionSettings(grain_boundary=model, **settings)).solve()
    resolved = make_tagged_box(
        [[0.0, mid - near, mid - delta / 2, mid + delta / 2, mid + near, width], y[0]], [[8, 24, 2, 24, 8], y[1]],
        regions={"grains": lambda x: np.abs(x[0] - mid) > delta / 2,
                 "grain_boundaries": lambda x: np.abs(x[0] - mid) < delta / 2},
        boundaries=boundaries,
    )
    fr = ConductionProblem(resolved, {"grains": SIGMA, "grain_boundaries": sigma_gb}, ConductionSettings(**settings)).solve()
    ml, mr = conduction_metrics(fl)[0], conduction_metrics(fr)[0]
    assert_charge_balance(ml)
    assert_charge_balance(mr)
    return ml, mr


@pytest.mark.mpi
def test_bicrystal_bv_lumped_vs_resolved():
    """Li | bicrystal | counter (10 x 10 um), GB perpendicular to the anode, BV kinetics, plating.

    A conductive GB (x100) funnels current onto the anode next to it when the polarisation
    length sigma R_ct (1 um here: i0 = 1.28e4 A/m^2) is short against the grain. Lumped
    and resolved cell voltages and peak currents differ by O(delta / L_p): the
    difference must shrink when delta is halved.
    """
    diffs = []
    for delta in (0.1e-6, 0.05e-6):
        ml, mr = bicrystal_pair(delta)
        assert ml["focusing_factor"] > 1.5  # the GB focuses current on the anode
        diffs.append([abs(ml[k] / mr[k] - 1) for k in ("counter_potential", "max_interface_current_density")])
    # measured: delta = 0.1 um: 1.04 % (voltage), 2.8 % (peak); 0.05 um: 0.35 %, 1.5 %
    assert diffs[1][0] < diffs[0][0] and diffs[1][1] < diffs[0][1]
    assert diffs[1][0] < 5e-3 and diffs[1][1] < 2e-2
