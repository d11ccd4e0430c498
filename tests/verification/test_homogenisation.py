"""Effective conductivity of resolved polycrystals (physics.md section 5) and calibration.

Unit cell of the brick-layer microstructure: a square (cube) grain of side d centred in a
frame of GB phase of thickness delta/2, period D = d + delta. With insulating sides and
fixed potentials on the two faces, the symmetric unit cell gives the periodic answer.

Why these tolerances: the brick-layer model error grows like delta/d (measured: 0.7 x
delta/d in 2D and 1.7 x delta/d in 3D at contrast 1e-3), so the "about 1.5 %" of
physics.md holds for delta/d <= 0.02 in 2D and 0.005-0.01 in 3D: the tests use those. The
conforming FE solution is an upper estimate of sigma_eff (the discrete potential field
minimises the dissipation over a smaller set) and converges from above; for conductive GBs
the frame is close to the Hashin-Shtrikman optimal (coated) geometry, so sigma_eff lies
just under the upper bound and the mesh has to be fine enough for that to show.
"""

import numpy as np
import pytest

from solver.errors import CaseError
from solver.physics.grain_boundaries import GrainBoundaryModel
from solver.analysis.homogenisation import calibrate, effective_conductivity, hashin_shtrikman_bounds
from tests.support import lumped_grains, make_tagged_box

CONTRASTS = [1e-3, 1e-2, 1e-1, 1e1, 1e2]  # sigma_gb / sigma_g


def unit_cell(gdim: int, d: float, delta: float, grain_cells: int, gb_cells: int):
    breaks = [0.0, delta / 2, delta / 2 + d, d + delta]

    def inside(x):
        return np.all([(x[a] > delta / 2) & (x[a] < delta / 2 + d) for a in range(gdim)], axis=0)

    return make_tagged_box(
        [breaks] * gdim,
        [[gb_cells, grain_cells, gb_cells]] * gdim,
        regions={"grains": inside, "grain_boundaries": lambda x: ~inside(x)},
    )


def brick_layer(d: float, delta: float, sigma_g: float, sigma_gb: float, gdim: int) -> float:
    D = d + delta
    series = d / sigma_g + delta / sigma_gb
    if gdim == 2:
        return d / series + sigma_gb * delta / D
    return (d**2 / series + sigma_gb * (D**2 - d**2) / D) / D


def check_cell(gdim, d, delta, grain_cells, gb_cells, degree, contrasts, hs_slack=0.0):
    tagged = unit_cell(gdim, d, delta, grain_cells, gb_cells)
    f_gb = 1 - (d / (d + delta)) ** gdim
    worst = 0.0
    for c in contrasts:
        sigma = effective_conductivity(tagged, {"grains": 1.0, "grain_boundaries": c}, degree=degree)
        worst = max(worst, abs(sigma / brick_layer(d, delta, 1.0, c, gdim) - 1))
        lower, upper = hashin_shtrikman_bounds(1.0, c, f_gb, gdim)
        assert lower <= sigma <= upper * (1 + hs_slack), (c, lower, sigma, upper)
    return worst


@pytest.mark.mpi
def test_brick_layer_2d():
    """delta/d = 0.02, P2: measured max deviation 1.39 % (contrast 1e-3); inside HS bounds."""
    assert check_cell(2, 1.0, 0.02, 40, 4, 2, CONTRASTS) < 0.015


def test_brick_layer_3d():
    """delta/d = 0.005, P2 on 8^3 x 6 tetrahedra: measured max deviation 0.80 %.

    For conductive GBs (contrast 10, 100) this mesh gives sigma_eff 0.014 % and 0.096 %
    above the HS upper bound: the discretisation error of an upper estimate, shrinking
    under refinement (see the slow test); the slack here is 0.15 %.
    """
    assert check_cell(3, 1.0, 0.005, 6, 1, 2, CONTRASTS, hs_slack=1.5e-3) < 0.015


@pytest.mark.slow
def test_brick_layer_3d_inside_hs_bounds_when_refined():
    """delta/d = 0.02, contrast 100: 8/12/16 grain cells give +0.20 %, +0.067 %, -0.020 % vs HS upper."""
    check_cell(3, 1.0, 0.02, 16, 2, 2, [1e2])


def test_hashin_shtrikman_bounds_order_and_limits():
    lo, hi = hashin_shtrikman_bounds(1.0, 10.0, 0.3, 2)
    assert 1.0 < lo < hi < 10.0
    assert hashin_shtrikman_bounds(2.0, 5.0, 0.0, 3) == pytest.approx((2.0, 2.0))
    assert hashin_shtrikman_bounds(2.0, 5.0, 1.0, 3) == pytest.approx((5.0, 5.0))


@pytest.mark.mpi
def test_calibrate_grain_boundary_conductivity():
    """Recover sigma_gb from the sigma_eff it produces (2D unit cell, P1)."""
    tagged = unit_cell(2, 1.0, 0.02, 16, 2)
    true_sigma_gb = 0.03
    target = effective_conductivity(tagged, {"grains": 1.0, "grain_boundaries": true_sigma_gb})
    found = calibrate(tagged, {"grains": 1.0}, "grain_boundaries", target, bracket=(1e-4, 1e2))
    assert found == pytest.approx(true_sigma_gb, rel=1e-5)
    with pytest.raises(CaseError, match="does not include the target"):
        calibrate(tagged, {"grains": 1.0}, "grain_boundaries", 10 * target, bracket=(1e-4, 1e-2))


@pytest.mark.mpi
def test_calibrate_lumped_grain_boundaries():
    """The same with zero-thickness GBs (2 x 2 grains, delta = 0.02): recover sigma_gb."""
    tagged, delta, true_sigma_gb = lumped_grains(8), 0.02, 0.05
    model = GrainBoundaryModel.from_layer(true_sigma_gb, delta)
    target = effective_conductivity(tagged, {"electrolyte": 1.0}, grain_boundary=model)
    found = calibrate(tagged, {"electrolyte": 1.0}, "grain_boundary_facets", target, bracket=(1e-3, 1e1),
                      grain_boundary_thickness=delta)
    assert found == pytest.approx(true_sigma_gb, rel=1e-5)
