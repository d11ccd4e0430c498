"""Flat cells against closed-form answers (physics.md section 6).

On a flat slab the potential is linear in each layer, so P1 represents it exactly and the
only error left is the Newton tolerance (rtol 1e-10): tolerances are 1e-8 relative.
"""

import numpy as np
import pytest

from tests.support import assert_charge_balance, slab
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.kinetics import FARADAY, GAS_CONSTANT, make_kinetics
from solver.analysis.metrics import conduction_metrics

T = 298.15
I0 = 6.9  # A/m^2 (0.69 mA/cm^2)
SIGMA = 0.5  # S/m
L = 20e-6  # m
RT_F = GAS_CONSTANT * T / FARADAY
TOL = 1e-8


def bv(**kw):
    return make_kinetics("butler_volmer", exchange_current_density=I0, temperature=T, **kw)


def solve(kinetics, load, layers=(("electrolyte", L, 8),), sigma=None, mode="galvanostatic", balance=TOL, **settings):
    tagged = slab(list(layers), width=L / 4)
    sigma = sigma or {name: SIGMA for name, _, _ in layers}
    key = "applied_current_density" if mode == "galvanostatic" else "applied_potential"
    problem = ConductionProblem(tagged, sigma, ConductionSettings(kinetics=kinetics, mode=mode, **{key: load}, **settings))
    metrics, _, _ = conduction_metrics(problem.solve())
    assert_charge_balance(metrics, balance)
    return metrics


@pytest.mark.mpi
@pytest.mark.parametrize("i", [10.0, -10.0, 100.0, -100.0])
def test_symmetric_bv_overpotential_and_cell_voltage(i):
    """eta = -(2RT/F) asinh(i/(2 i0)) (plating i > 0 gives eta < 0); V = iL/sigma + 2 (2RT/F) asinh(i/(2 i0))."""
    m = solve(bv(), i, counter_kinetics=bv())
    eta = 2 * RT_F * np.arcsinh(i / (2 * I0))
    assert m["mean_overpotential"] == pytest.approx(-eta, rel=TOL)
    assert m["max_overpotential"] == pytest.approx(-eta, rel=TOL)
    assert m["cell_voltage"] == pytest.approx(i * L / SIGMA + 2 * eta, rel=TOL)
    # ASR split sums to V / i (U_ref = 0): electrolyte L/sigma, both interfaces eta/i.
    split = m["asr_split"]
    assert split["electrolyte"] == pytest.approx(L / SIGMA, rel=TOL)
    assert split["charge_transfer"] == pytest.approx(eta / i, rel=TOL)
    assert split["total"] == pytest.approx(m["cell_voltage"] / i, rel=TOL)


@pytest.mark.mpi
def test_symmetric_bv_3d_and_uniform_statistics():
    """The same closed form on a 3D slab (tetrahedra, iterative CG + GAMG), and flat-cell statistics."""
    i = 30.0
    tagged = slab([("electrolyte", L, 6)], width=L / 4, gdim=3)
    settings = ConductionSettings(kinetics=bv(), applied_current_density=i, counter_kinetics=bv())
    m, _, _ = conduction_metrics(ConductionProblem(tagged, {"electrolyte": SIGMA}, settings).solve())
    assert_charge_balance(m)
    eta = 2 * RT_F * np.arcsinh(i / (2 * I0))
    assert m["cell_voltage"] == pytest.approx(i * L / SIGMA + 2 * eta, rel=TOL)
    assert m["interface_area"] == pytest.approx((L / 4) ** 2, rel=1e-12)
    assert m["overpotential_std"] < 1e-9 * eta
    assert m["overpotential_percentiles"]["1"] == pytest.approx(-eta, rel=TOL)
    assert m["overpotential_percentiles"]["99"] == pytest.approx(-eta, rel=TOL)
    assert m["focusing_factor"] == pytest.approx(1.0, abs=1e-8)


def test_plating_stripping_symmetry():
    """Symmetric kinetics: reversing the current reverses the potential field exactly."""
    plate, strip = solve(bv(), 30.0), solve(bv(), -30.0)
    assert strip["mean_overpotential"] == pytest.approx(-plate["mean_overpotential"], rel=TOL)
    assert strip["counter_potential"] == pytest.approx(-plate["counter_potential"], rel=TOL)


@pytest.mark.mpi
@pytest.mark.parametrize("alphas", [(0.3, 0.7), (0.7, 0.3)])
@pytest.mark.parametrize("i", [20.0, -20.0])
def test_asymmetric_bv_matches_scalar_inverse(alphas, i):
    law = bv(anodic_transfer_coefficient=alphas[0], cathodic_transfer_coefficient=alphas[1])
    m = solve(law, i)
    # the anode receives -i (current into the electrode when plating)
    assert m["mean_overpotential"] == pytest.approx(law.overpotential(-i), rel=TOL)


def test_linear_and_tafel_limits():
    """BV tends to linear kinetics at |i| << i0 and to Tafel at |i| >> i0."""
    # Tiny current: the cell current is 3.5e-8 A/m, so the absolute Newton tolerance
    # (1e-14 in residual units) bounds the charge balance at ~1e-6 relative.
    small = 1e-3 * I0
    assert solve(make_kinetics("linear", exchange_current_density=I0, temperature=T), small)[
        "mean_overpotential"
    ] == pytest.approx(-small * RT_F / I0, rel=TOL)
    # BV - linear: 2 asinh(x/2) - x ~ -x^3/24, relative 4e-8 at x = 1e-3
    assert solve(bv(), small, balance=1e-6)["mean_overpotential"] == pytest.approx(-small * RT_F / I0, rel=1e-6)
    big = 1e3 * I0
    tafel = make_kinetics("tafel", exchange_current_density=I0, temperature=T)
    eta_tafel = -np.log(big / I0) / (0.5 / RT_F)  # plating branch, alpha_c = 0.5
    assert solve(tafel, big)["mean_overpotential"] == pytest.approx(eta_tafel, rel=TOL)
    # BV differs from Tafel by the back reaction: relative (i0/i)^2 ~ 1e-6 in eta terms
    assert solve(bv(), big)["mean_overpotential"] == pytest.approx(eta_tafel, rel=1e-5)


@pytest.mark.mpi
def test_primary_distribution():
    m = solve(make_kinetics("primary", exchange_current_density=I0, temperature=T), 10.0)
    assert abs(m["max_abs_overpotential"]) < 1e-12
    assert m["counter_potential"] == pytest.approx(10.0 * L / SIGMA, rel=TOL)


@pytest.mark.mpi
@pytest.mark.parametrize("law", ["linear", "butler_volmer"])
def test_potentiostatic(law):
    """Applied V across electrolyte + interface: i solves V = i L/sigma - eta(i) (eta < 0 when plating)."""
    kin = make_kinetics(law, exchange_current_density=I0, temperature=T)
    v_app = 0.05
    m = solve(kin, v_app, mode="potentiostatic")
    i = m["applied_current_density_projected"]
    assert i > 0
    assert i * L / SIGMA - kin.overpotential(-i) == pytest.approx(v_app, rel=TOL)
    if law == "linear":
        assert i == pytest.approx(v_app / (L / SIGMA + kin.charge_transfer_resistance), rel=TOL)


@pytest.mark.mpi
def test_series_stack_asr_and_split():
    """ASR = sum t_k/sigma_k + R_ct (linear kinetics); split per layer and interface."""
    layers = (("interphase", 1e-6, 4), ("electrolyte", 30e-6, 6))
    sigma = {"interphase": 1e-3, "electrolyte": 0.5}
    kin = make_kinetics("linear", exchange_current_density=I0, temperature=T)
    i = 10.0
    m = solve(kin, i, layers=layers, sigma=sigma)
    expected = {"interphase": 1e-6 / 1e-3, "electrolyte": 30e-6 / 0.5, "charge_transfer": kin.charge_transfer_resistance}
    split = m["asr_split"]
    for key, value in expected.items():
        assert split[key] == pytest.approx(value, rel=TOL)
    assert m["counter_potential"] / i == pytest.approx(sum(expected.values()), rel=TOL)
    assert split["total"] == pytest.approx(sum(expected.values()), rel=TOL)


@pytest.mark.mpi
@pytest.mark.parametrize("i", [10.0, -50.0, 300.0])
@pytest.mark.parametrize("law", ["linear", "butler_volmer"])
def test_film_resistance_matches_meshed_interphase(law, i):
    """Lumped film R_f = t/sigma_f in series with the kinetics = a meshed layer of thickness t."""
    t_f, sigma_f = 0.5e-6, 2e-4
    r_f = t_f / sigma_f
    kin = dict(exchange_current_density=I0, temperature=T)
    meshed = solve(
        make_kinetics(law, **kin), i, layers=(("interphase", t_f, 2), ("electrolyte", L, 8)),
        sigma={"interphase": sigma_f, "electrolyte": SIGMA},
    )
    lumped = solve(make_kinetics(law, film_resistance=r_f, **kin), i)
    assert lumped["counter_potential"] == pytest.approx(meshed["counter_potential"], rel=TOL)
    assert lumped["asr_split"]["film"] == pytest.approx(meshed["asr_split"]["interphase"], rel=TOL)
    assert lumped["asr_split"]["charge_transfer"] == pytest.approx(meshed["asr_split"]["charge_transfer"], rel=TOL)
    lumped_law = make_kinetics(law, film_resistance=r_f, **kin)
    assert lumped["mean_overpotential"] == pytest.approx(lumped_law.overpotential(-i), rel=TOL)
    if law == "linear":
        assert lumped["counter_potential"] / i == pytest.approx(L / SIGMA + lumped_law.charge_transfer_resistance + r_f, rel=TOL)


def test_film_local_solve_is_exact():
    """The unrolled Newton solve of x + R_f i_ct(x) = eta against a bracketing root finder."""
    from scipy.optimize import brentq

    worst = 0.0
    for alphas in [(0.5, 0.5), (0.3, 0.7), (0.7, 0.3)]:
        for i0 in [0.1, 10.0, 1e3]:
            for r_f in [1e-6, 1e-4, 1e-2]:
                law = make_kinetics("butler_volmer", film_resistance=r_f, exchange_current_density=i0, temperature=T,
                                    anodic_transfer_coefficient=alphas[0], cathodic_transfer_coefficient=alphas[1])
                for eta in [-1.0, -0.3, -0.05, -1e-3, 1e-4, 0.02, 0.2, 1.0]:
                    root = brentq(lambda x: x + r_f * law.law.current_density(x) - eta, -abs(eta), abs(eta),
                                  xtol=1e-300, rtol=1e-15)
                    exact = law.law.current_density(root)
                    worst = max(worst, abs(law.current_density(np.array(eta)) - exact) / abs(exact))
    assert worst < 1e-9
