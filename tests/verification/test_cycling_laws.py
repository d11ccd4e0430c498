"""The interface laws on their own (no finite elements): void growth against its analytic
solution with the observed order of the time integration, the critical stripping current's
pressure dependence, the steady partial contact of the creep law, skeleton pinning."""

from __future__ import annotations

import numpy as np
import pytest

from solver.physics.interface_evolution import MEGAPASCAL, LiSupply, VoidGrowthLaw, void_growth_time
from solver.physics.kinetics import FARADAY, GAS_CONSTANT

T = 298.15
DIFFUSION = {"self_diffusion": 5.6e-15, "supply_length": 4e-6, "temperature": T}
CREEP = {"creep_prefactor": 4.25e4, "creep_exponent": 6.56, "creep_activation_energy": 37e3,
         "supply_length": 4e-6, "temperature": T, "molar_volume": 1.30e-5}


def integrate(law, stripping, t_end, n):
    h = np.zeros(1)
    for _ in range(n):
        h, _ = law.step(h, np.array([stripping]), t_end / n)
    return float(law.contact(h)[0])


def test_void_growth_matches_its_analytic_solution_first_order():
    supply = LiSupply(["vacancy_diffusion"], **DIFFUSION)
    p, d = 3e6, 1e-6
    law = VoidGrowthLaw(supply, p, d)
    B = FARADAY * DIFFUSION["self_diffusion"] / (GAS_CONSTANT * T * DIFFUSION["supply_length"])  # A/(m^2 Pa)
    i_s = 4.0 * B * p  # four times the critical stripping current: steady contact 0.25
    target = 0.5
    t_end = void_growth_time(target, 1.0, i_s, B, p, d)
    errors = [abs(integrate(law, i_s, t_end, n) - target) for n in (50, 100, 200, 400)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    # backward Euler is first order: the observed order tends to 1 (0.9..1.1 allows the
    # pre-asymptotic drift of the coarsest pair)
    assert np.all((orders > 0.9) & (orders < 1.1)), orders
    assert errors[-1] < 2e-3


def test_stripping_without_supply_is_faraday():
    supply = LiSupply(["vacancy_diffusion"], self_diffusion=1e-30, supply_length=1e-6, temperature=T)
    law = VoidGrowthLaw(supply, 1e6, 1e-6)
    i_s, t = 2.0, 100.0
    c = integrate(law, i_s, t, 7)
    # h = V_m i t / F exactly (the supply is 1e-15 of the current): c = 1 - h / d
    assert c == pytest.approx(1 - 1.30e-5 * i_s * t / FARADAY / 1e-6, rel=1e-12)


def test_critical_stripping_current_scales_with_pressure_as_the_laws_say():
    creep = LiSupply(["power_law_creep"], **CREEP)
    diffusion = LiSupply(["vacancy_diffusion"], **DIFFUSION)
    for p1, p2 in [(1e6, 3e6), (3e6, 7e6)]:
        assert creep.critical_stripping_current(p2) / creep.critical_stripping_current(p1) == pytest.approx(
            (p2 / p1) ** 6.56, rel=1e-12)
        assert diffusion.critical_stripping_current(p2) / diffusion.critical_stripping_current(p1) == pytest.approx(
            p2 / p1, rel=1e-12)
    # the creep law's absolute value: (F / V_m) lambda A (p / MPa)^n exp(-Q / R T)
    expected = FARADAY / 1.30e-5 * 4e-6 * 4.25e4 * 3.0**6.56 * np.exp(-37e3 / (GAS_CONSTANT * T))
    assert creep.critical_stripping_current(3 * MEGAPASCAL) == pytest.approx(expected, rel=1e-12)


def test_creep_law_reaches_its_steady_partial_contact():
    # a prefactor that puts the critical stripping current near 1 A/m^2 at 1 MPa (time scales of hours)
    creep = LiSupply(["power_law_creep"], **{**CREEP, "creep_prefactor": 1e2})
    p = 1e6
    law = VoidGrowthLaw(creep, p, 1e-6)
    i_crit = creep.critical_stripping_current(p)
    i_s = 10.0 * i_crit
    # steady state: i_sup(p / c*) = i_s, i.e. c* = (i_crit / i_s)^(1/n)
    c_star = (i_crit / i_s) ** (1 / 6.56)
    h = np.zeros(1)
    for _ in range(400):
        h, _ = law.step(h, np.array([i_s]), 50.0)
    assert float(law.contact(h)[0]) == pytest.approx(c_star, rel=1e-6)


def test_skeleton_pins_contact_and_plating_recovers_it():
    supply = LiSupply(["vacancy_diffusion"], **DIFFUSION)
    law = VoidGrowthLaw(supply, 1e5, 1e-6, pinned_contact_fraction=0.6)
    h = np.zeros(1)
    for _ in range(100):
        h, _ = law.step(h, np.array([50.0]), 100.0)
    assert float(law.contact(h)[0]) == pytest.approx(0.6, abs=1e-12)
    for _ in range(100):  # plating at the same rate fills the voids again
        h, _ = law.step(h, np.array([-50.0]), 100.0)
    assert float(law.contact(h)[0]) == pytest.approx(1.0, abs=1e-12)


def test_error_estimate_is_the_explicit_backward_difference():
    supply = LiSupply(["vacancy_diffusion"], **DIFFUSION)
    law = VoidGrowthLaw(supply, 3e6, 1e-6)
    h0 = np.array([0.2e-6])
    h, err = law.step(h0, np.array([5.0]), 10.0)
    explicit = h0 + 10.0 * law.rate(h0, np.array([5.0]))
    assert err[0] == pytest.approx(abs(h[0] - explicit[0]) / 1e-6, rel=1e-9)
    # and it shrinks like dt^2 (local error of a first-order pair)
    _, err_half = law.step(h0, np.array([5.0]), 5.0)
    assert err[0] / err_half[0] == pytest.approx(4.0, rel=0.05)
