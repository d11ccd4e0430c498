"""Flaw populations, weakest-link statistics and microstructural toughness.

Weibull check: power-law flaw depths P(a > x) = (x / a_min)^(-beta) and a fracture-limited
flaw under linear kinetics, j_c = C a^(-1/2) exactly, give a Weibull CCD of modulus
m = 2 beta and scale j_0 = C a_min^(-1/2) (rho A)^(-1/m) (module docstring of
solver.analysis.flaw_population). The Monte Carlo cells must follow it.
"""

import dataclasses
import math

import numpy as np
import pytest

from solver.analysis.flaw_population import (
    EDGE_CRACK_FACTOR,
    FractureLimitedFlaw,
    ccd_distribution,
    make_population,
    sample_ccd,
    weibull_failure_probability,
)
from solver.analysis.toughness import (
    grain_size_table,
    make_toughness_law,
    measured_outcome,
    microstructure_toughness,
)
from solver.physics.kinetics import FARADAY, make_kinetics

K_IC = 0.23e6  # Pa m^0.5 (Li2S-P2S5, physics.md section 3)
V_M = 1.30e-5  # m^3/mol
LAW = make_kinetics("linear", exchange_current_density=6.9, temperature=298.15)  # R_ct = 3.7e-3 ohm m^2


def _flaw(**kw):
    return FractureLimitedFlaw(K_IC, LAW.current_density, V_M, **kw)


def test_single_flaw_critical_current_is_the_handbook_chain():
    a = 1e-6
    p_c = K_IC / (EDGE_CRACK_FACTOR * math.sqrt(math.pi * a))  # 116 MPa (physics.md example)
    assert p_c == pytest.approx(115.7e6, rel=1e-3)
    eta_c = p_c * V_M / FARADAY  # 15.6 mV
    assert _flaw()(a) == pytest.approx(eta_c / LAW.charge_transfer_resistance, rel=1e-12)
    assert _flaw(tip_focusing=4.0)(a) == pytest.approx(0.25 * _flaw()(a), rel=1e-12)
    assert _flaw(pressure_limit=50e6)(a) == np.inf  # Li flows before the flaw can be loaded


def test_weakest_link_is_weibull_with_modulus_twice_the_depth_exponent():
    beta, a_min, density, area = 2.0, 0.2e-6, 1e10, 1e-9  # 10 flaws per cell on average
    population = make_population("pareto", minimum_depth=a_min, exponent=beta, density=density)
    flaw = _flaw()
    rng = np.random.default_rng(1)
    n = 5000
    ccds = np.sort(sample_ccd(population, flaw, area, n, rng, method="explicit"))
    m = 2 * beta
    j0 = flaw(a_min) * (density * area) ** (-1 / m)
    # Kolmogorov-Smirnov distance to the analytic Weibull law; 1.95 / sqrt(n) is the 0.1 %
    # critical value (the test fails by chance once in a thousand seeds, never for this seed)
    ecdf = np.arange(1, n + 1) / n
    ks = np.max(np.abs(ecdf - weibull_failure_probability(ccds, j0, m)))
    assert ks < 1.95 / math.sqrt(n)
    # Area scaling of the median: A -> 16 A lowers it by 16^(-1/m) = 1/2.
    big = sample_ccd(population, flaw, 16 * area, n, rng, method="explicit")
    small_stats, big_stats = ccd_distribution(ccds), ccd_distribution(big)
    expected_small = j0 * math.log(2) ** (1 / m)
    lo, hi = small_stats["median_confidence_interval"]
    assert lo <= expected_small <= hi
    lo, hi = big_stats["median_confidence_interval"]
    assert lo <= expected_small * 16 ** (-1 / m) <= hi
    assert small_stats["p05"] < small_stats["median"] < small_stats["p95"]


def test_grain_boundary_grooves_deepen_with_grain_size():
    # identical grooves c d: the cell CCD is that of one groove (once a cell has flaws)
    for d in (5e-6, 50e-6):
        population = make_population("grain_boundary_grooves", grain_size=d, depth_ratio=0.1)
        ccds = sample_ccd(population, _flaw(), 1e-7, 50, np.random.default_rng(0))
        assert np.all(ccds == pytest.approx(_flaw()(0.1 * d), rel=1e-12))
    # j_c ~ a^(-1/2) at fixed K_IC: ten times larger grains, sqrt(10) lower CCD
    assert _flaw()(0.1 * 5e-6) / _flaw()(0.1 * 50e-6) == pytest.approx(math.sqrt(10), rel=1e-12)


def test_roughness_pits_are_rayleigh():
    population = make_population("roughness", rms_height=0.5e-6, correlation_length=4e-6)
    assert population.density == pytest.approx(1 / 16e-12)
    depths = population.depths(200000, np.random.default_rng(2))
    # Rayleigh(sigma): mean sigma sqrt(pi/2); sampling error 0.5 % at n = 2e5 is < 1e-3 relative
    assert depths.mean() == pytest.approx(0.5e-6 * math.sqrt(math.pi / 2), rel=5e-3)


def test_llzo_grain_size_table_and_outcome_guard():
    d, k, source = grain_size_table("LLZO_Sharafi2017")
    assert "Sharafi" in source and d[0] == pytest.approx(5e-6) and k[0] == pytest.approx(0.82e6)
    law = make_toughness_law("table", grain_sizes=d, fracture_toughness=k)
    assert [law(x) for x in d] == pytest.approx(list(k), rel=1e-12)  # the measured points
    assert law(1e-6) == pytest.approx(0.82e6) and law(1e-3) == pytest.approx(0.60e6)  # held, not extrapolated
    assert law(math.sqrt(5e-6 * 40e-6)) == pytest.approx(0.5 * (0.82e6 + 0.61e6), rel=1e-12)  # log midpoint
    with pytest.raises(ValueError, match="measured outcome"):
        grain_size_table("LLZO_Sharafi2017", "critical_current_density")
    _, ccd, _ = measured_outcome("LLZO_Sharafi2017", "critical_current_density")
    assert ccd[-1] == pytest.approx(6.0)  # 0.6 mA/cm^2 in A/m^2


def test_crack_path_at_a_grain_boundary():
    grain, weak = 0.8e6, 0.4e6
    inside = microstructure_toughness(grain, weak, tip_on_grain_boundary=False)
    assert (inside.fracture_toughness, inside.path) == (grain, "transgranular")
    straight = microstructure_toughness(grain, weak, True, 0.0)
    assert (straight.fracture_toughness, straight.path) == (weak, "intergranular")
    # cos^3(theta/2) = 1/2 at theta = 2 acos(2^(-1/3)): the kinked GB needs exactly K_grain
    theta = 2 * math.acos(2 ** (-1 / 3))
    assert microstructure_toughness(grain, weak, True, 0.99 * theta).path == "intergranular"
    steep = microstructure_toughness(grain, weak, True, 1.01 * theta)
    assert (steep.fracture_toughness, steep.path) == (grain, "transgranular")


@pytest.mark.parametrize("kind, parameters", [
    ("pareto", {"minimum_depth": 0.2e-6, "exponent": 1.5, "density": 2e10}),
    ("roughness", {"rms_height": 0.3e-6, "correlation_length": 7e-6}),
])
def test_extreme_value_draw_matches_explicit_sampling(kind, parameters):
    from scipy.stats import ks_2samp

    population = make_population(kind, **parameters)
    area, n = 1e-9, 4000  # 20 flaws per cell
    explicit = sample_ccd(population, _flaw(), area, n, np.random.default_rng(3), method="explicit")
    extreme = sample_ccd(population, _flaw(), area, n, np.random.default_rng(4), method="extreme")
    # two independent samples of the same law: the KS test must not reject it at 0.1 %
    assert ks_2samp(explicit, extreme).pvalue > 1e-3


@pytest.mark.mpi
def test_population_ccd_of_a_flaw_case():
    from solver.studies.flaw_risk import FlawRiskAnalysis
    from tests.support import analysis, flaw_case

    case = flaw_case(flaw_population={"kind": "roughness", "rms_height": "0.2 um", "correlation_length": "5 um",
                                      "electrode_area": "1 mm^2", "realisations": 400})
    risk = analysis(case)
    point = risk.evaluate(10.0)
    pop = risk.population_ccd(point)
    worst = point.flaws[0]
    assert pop["tip_focusing"] == pytest.approx(abs(worst.current_density) / 10.0, rel=1e-12)
    assert pop["flaws_per_cell"] == pytest.approx(1e-6 / 25e-12, rel=1e-9)
    # A cell's CCD is that of its deepest pit. The median deepest of N Rayleigh(h_rms) pits
    # has survival ln 2 / N: a_med = h_rms sqrt(2 ln(N / ln 2)); the median CCD is j_c(a_med)
    # with the case's K_IC, kinetics and the meshed flaw's tip focusing.
    n = pop["flaws_per_cell"]
    a_med = 0.2e-6 * math.sqrt(2 * math.log(n / math.log(2)))
    kinetics = risk.problem.settings.kinetics
    expected = FractureLimitedFlaw(risk.threshold, kinetics.current_density, 1.30e-5, pop["tip_focusing"])(a_med)
    lo, hi = pop["median_confidence_interval"]
    # within the 95 % CI widened by its own width on each side (about a 3.5-sigma band, so
    # a chance failure is below 1e-3); 400 cells: the interval is well under 1 % wide
    assert lo - (hi - lo) <= expected <= hi + (hi - lo) and hi / lo < 1.01
    assert 0 < pop["p05"] <= pop["median"] <= pop["p95"] < np.inf
    assert isinstance(risk, FlawRiskAnalysis)
    assert pop["anode_shielding"] == 1.0  # no anode side in the mechanics


@pytest.mark.mpi
def test_population_ccd_carries_the_meshed_anode_shielding():
    from solver.config.case import parse_case
    from tests.support import analysis, anode_flaw_case

    raw = anode_flaw_case(
        mesh={"size_factor": 3},
        risk={"criterion": "fracture_toughness", "ccd": False,
              "flaw_population": {"kind": "grain_boundary_grooves", "grain_size": "5 um", "depth_ratio": 0.1,
                                  "electrode_area": "1 mm^2", "realisations": 50}})
    risk = analysis(parse_case(raw))
    point = risk.evaluate(10.0)
    pop = risk.population_ccd(point)
    s = risk.anode_shielding(0)
    assert s == pytest.approx(risk.influence[0, 0] / risk.influence_without_anode[0, 0], rel=1e-12)
    assert pop["anode_shielding"] == s and 0.75 < s < 0.9  # measured 0.84: the bonded layer and Li
    # identical grooves: every cell's CCD is j_c(0.5 um) with K_I scaled by s
    kinetics = risk.problem.settings.kinetics
    flaw = FractureLimitedFlaw(risk.threshold, kinetics.current_density, 1.30e-5, pop["tip_focusing"],
                               anode_shielding=s)
    assert pop["median"] == pytest.approx(float(flaw(0.5e-6)), rel=1e-12)
    bare = FractureLimitedFlaw(risk.threshold, kinetics.current_density, 1.30e-5, pop["tip_focusing"])
    assert pop["median"] > 1.1 * float(bare(0.5e-6))  # the shielded flaw fails later
    # fully yielded Li (the Li region restrains nothing): the lower bound, same cells
    bound = pop["li_yielded_bound"]
    assert bound["anode_shielding"] == pytest.approx(risk.anode_shielding(0, li="yielded"), rel=1e-12)
    assert s < bound["anode_shielding"] < 1.05  # measured 1.018 at this coarse mesh (0.992 at size_factor 1.5)
    assert bound["median"] == pytest.approx(float(dataclasses.replace(flaw, anode_shielding=bound["anode_shielding"])(
        0.5e-6)), rel=1e-12)
    assert bound["median"] < pop["median"]


def test_case_toughness_from_the_grain_size_table():
    from solver.errors import CaseError
    from solver.studies.flaw_risk import table_toughness
    from tests.support import flaw_case

    case = flaw_case(fracture_toughness_table={"table": "LLZO_Sharafi2017", "grain_size": "5 um"})
    assert table_toughness(case.model.risk.fracture_toughness_table) == pytest.approx(0.82e6, rel=1e-12)
    case = flaw_case(fracture_toughness_table={"table": "LLZO_Sharafi2017", "grain_size": "600 um"})
    assert table_toughness(case.model.risk.fracture_toughness_table) == pytest.approx(0.60e6, rel=1e-12)
    with pytest.raises(CaseError, match="risk.fracture_toughness_table.table: unknown grain-size table"):
        flaw_case(fracture_toughness_table={"table": "nope", "grain_size": "5 um"})  # before meshing
    with pytest.raises(CaseError, match="not both"):
        flaw_case(toughness="1 MPa*m^0.5", fracture_toughness_table={"table": "LLZO_Sharafi2017", "grain_size": "5 um"})
