"""Small-amplitude sinusoidal electrode: the secondary current distribution (physics.md section 6).

Geometry (``rough_interface_2d``): Li below y = h(x) = eps cos(k x), electrolyte above
up to the counter at y = L, with L >> 1/k so the far field is uniform. Plating with the
far-field current density i_avg (i > 0 into the Li), linear kinetics i = -eta/R_ct.

Derivation (first order in eps k): phi = phi_0 + i_avg y / sigma + B e^{-k y} cos(k x).
Linearising the boundary condition at y = 0, with n = -e_y + O(eps):
sigma dphi/dy(h) = i_local and phi(h) = R_ct i_local (phi_s = 0, eta = -phi). With
phi(h) ~ phi(0) + eps cos(kx) i_avg/sigma and dphi/dy(0) = i_avg/sigma - k B cos(kx),
matching the cos(kx) terms: sigma (-k B) = R_ct^-1 (B + eps i_avg / sigma)... i.e.
B = -eps i_avg R'/(1 + sigma k R_ct) with R' = 1/sigma, hence

    i(x) = i_avg [1 + eps k cos(k x) / (1 + sigma k R_ct)] + O(eps^2).

Convention: the crests of the Li surface (cos(kx) = 1, x = 0) protrude into the
electrolyte, nearer the counter, and carry more current; a primary distribution
(R_ct = 0) gives the full geometric amplification eps k. The test compares the cos(kx)
Fourier coefficient of the computed interface current (the O(eps^2) terms go into the
mean and cos(2kx), so the first harmonic is correct to O(eps^3)).
"""

import numpy as np
import pytest
from mpi4py import MPI

from meshes import MeshSettings
from meshes.rough import RoughInterface2D
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.kinetics import FARADAY, GAS_CONSTANT, make_kinetics
from solver.geometry.driver import build_mesh
from solver.analysis.metrics import conduction_metrics
from tests.support import assert_charge_balance

WAVELENGTH = 10e-6  # m
K = 2 * np.pi / WAVELENGTH
EPS = 0.02 / K  # eps k = 0.02
SIGMA = 0.5  # S/m
T = 298.15
I_AVG = 10.0  # A/m^2


def sinusoid_tagged():
    params = RoughInterface2D(
        width=WAVELENGTH,
        thickness=3 * WAVELENGTH,  # e^{-kL} = 7e-9
        profile={"kind": "sinusoids", "modes": [{"amplitude": EPS, "wavelength": WAVELENGTH}]},
    )
    return build_mesh("rough_interface_2d", params, MeshSettings(interface_size=WAVELENGTH / 200, size=WAVELENGTH / 8))


@pytest.fixture(scope="module")
def sinusoid_mesh():
    return sinusoid_tagged()


def first_harmonic(samples) -> tuple[float, float]:
    """Mean and cos(kx) coefficient of i(x) over one wavelength (trapezoid on facets, in x)."""
    x = samples["points"][:, :, 0]
    i = samples["current_density"]
    dx = np.abs(x[:, 1] - x[:, 0])
    mean = np.sum(dx * i.mean(axis=1)) / WAVELENGTH
    a1 = 2 * np.sum(dx * (i * np.cos(K * x)).mean(axis=1)) / WAVELENGTH
    return mean, a1


@pytest.mark.mpi
@pytest.mark.parametrize("degree, tolerance", [(1, 5e-3), (2, 1e-3)])
@pytest.mark.parametrize("sigma_k_rct", [0.0, 0.1, 1.0, 10.0])
def test_sinusoidal_electrode_first_harmonic(sinusoid_mesh, sigma_k_rct, degree, tolerance):
    if sigma_k_rct == 0:
        kin = make_kinetics("primary", exchange_current_density=1.0, temperature=T)
    else:
        r_ct = sigma_k_rct / (SIGMA * K)
        kin = make_kinetics("linear", exchange_current_density=GAS_CONSTANT * T / (FARADAY * r_ct), temperature=T)
        assert kin.charge_transfer_resistance == pytest.approx(r_ct)
    settings = ConductionSettings(kinetics=kin, applied_current_density=I_AVG, degree=degree)
    fields = ConductionProblem(sinusoid_mesh, {"electrolyte": SIGMA}, settings).solve()
    metrics, _, samples = conduction_metrics(fields)
    assert_charge_balance(metrics, 1e-8)
    comm = MPI.COMM_WORLD
    mean, a1 = comm.bcast(first_harmonic(samples) if comm.rank == 0 else None, root=0)
    expected = I_AVG * EPS * K / (1 + sigma_k_rct)
    # |a1 - expected| is O((eps k)^2) relative = 4e-4, plus discretisation (h = lambda/200):
    # measured P1 1.6e-3 (primary) .. 1.4e-4 (sigma k R_ct = 10), P2 1.5e-4 .. 1.4e-5.
    assert a1 == pytest.approx(expected, rel=tolerance)
    assert mean == pytest.approx(I_AVG * (1 - (EPS * K) ** 2 / 4), rel=2e-5)  # per true area: 1 - (eps k)^2/4
    # L_p / roughness scale (geometry metadata interface_length_scale_m = wavelength)
    assert metrics["polarisation_length_ratio"] == pytest.approx(sigma_k_rct / (2 * np.pi), rel=1e-10, abs=1e-15)
    assert metrics["hot_spots"][0]["position"][0] == pytest.approx(0.0, abs=WAVELENGTH / 50) or metrics["hot_spots"][0][
        "position"
    ][0] == pytest.approx(WAVELENGTH, abs=WAVELENGTH / 50)
