"""Li in a flaw limited by its own creep flow (solver.physics.li_flow).

Checks: the power-law flow stress returns its reference at the reference rate and
temperature and scales as eps_dot^(1/n) and exp(Q / (n R T)); the slab-analysis extrusion
pressure reduces to the plane-strain flow stress (2 / sqrt 3) sigma_f for a shallow flaw and
grows linearly with a / w; the limit lowers the flaw pressure of a case below the Porz value.
"""

import math

import pytest

from solver.physics.kinetics import FARADAY, GAS_CONSTANT
from solver.physics.li_flow import LiFlowLimit, extrusion_pressure, flow_stress

N, Q = 6.6, 37e3  # Masias et al. 2019 (library Li)


def test_flow_stress_power_law():
    ref = {"reference_stress": 0.8e6, "reference_strain_rate": 1e-4, "stress_exponent": N, "activation_energy": Q,
               "reference_temperature": 298.15}
    assert flow_stress(1e-4, 298.15, **ref) == pytest.approx(0.8e6, rel=1e-14)
    assert flow_stress(1e-2, 298.15, **ref) / flow_stress(1e-4, 298.15, **ref) == pytest.approx(100 ** (1 / N))
    hot = flow_stress(1e-4, 333.15, **ref) / 0.8e6
    assert hot == pytest.approx(math.exp(Q / (N * GAS_CONSTANT) * (1 / 333.15 - 1 / 298.15)))
    assert hot < 1  # Li is softer when hot
    assert flow_stress(0.0, 298.15, **ref) == 0.0


def test_extrusion_pressure_slab_analysis():
    assert extrusion_pressure(1e6, 0.0, 1e-6) == pytest.approx(2 / math.sqrt(3) * 1e6)
    assert extrusion_pressure(1e6, 5e-6, 1e-6) == pytest.approx(2 / math.sqrt(3) * 1e6 * 6)
    with pytest.raises(ValueError):
        extrusion_pressure(1e6, 1e-6, 0.0)


def test_flow_limit_at_a_tip_current():
    limit = LiFlowLimit(0.8e6, 1e-4, N, Q, temperature=298.15)
    i_tip, a, w = 100.0, 1e-6, 0.4e-6  # 10 mA/cm^2 at the tip
    rate = i_tip * 1.30e-5 / FARADAY / (0.5 * w)
    assert limit.strain_rate(i_tip, w) == pytest.approx(rate)
    expected = 2 / math.sqrt(3) * 0.8e6 * (rate / 1e-4) ** (1 / N) * (1 + a / w)
    assert limit.pressure(-i_tip, a, w) == pytest.approx(expected, rel=1e-12)
    # A few MPa: two orders of magnitude below the ~116 MPa a 1 um flaw needs to crack
    # (K_IC 0.23 MPa m^0.5): flowing Li alone cannot load such a flaw at this current.
    assert 1e6 < limit.pressure(i_tip, a, w) < 10e6


@pytest.mark.mpi
def test_flow_limit_lowers_the_flaw_pressure_of_a_case():
    from tests.support import analysis, flaw_case

    free = analysis(flaw_case()).evaluate(10.0)
    limited_case = flaw_case(li_flow={"reference_strain_rate": "1e-4 s^-1"})
    limited = analysis(limited_case).evaluate(10.0)
    porz, flow = free.flaws[0], limited.flaws[0]
    assert flow.overpotential == pytest.approx(porz.overpotential, rel=1e-12)  # same conduction
    # the flow limit of this flaw (a = 1 um, w = 0.2 um) at its tip current
    expected = LiFlowLimit(0.8e6, 1e-4, N, Q, temperature=298.15).pressure(flow.current_density, 1e-6, 0.2e-6)
    assert flow.pressure == pytest.approx(min(porz.pressure, expected), rel=1e-12)
    assert flow.pressure < porz.pressure
    # K_I is linear in the pressure: the ratio falls in proportion
    assert flow.ratio / porz.ratio == pytest.approx(flow.pressure / porz.pressure, rel=1e-9)


def test_inverse_and_population_flaw_with_flow_limit():
    import numpy as np

    from solver.analysis.flaw_population import FractureLimitedFlaw
    from solver.physics.kinetics import make_kinetics

    limit = LiFlowLimit(0.8e6, 1e-4, N, Q, temperature=298.15)
    current = limit.tip_current_for_pressure(5e6, 1e-6, 0.2e-6)
    assert limit.pressure(current, 1e-6, 0.2e-6) == pytest.approx(5e6, rel=1e-10)
    law = make_kinetics("butler_volmer", exchange_current_density=6.9, temperature=298.15).current_density
    porz = FractureLimitedFlaw(0.23e6, law, tip_focusing=2.0)
    flowing = FractureLimitedFlaw(0.23e6, law, tip_focusing=2.0, li_flow=limit, opening_ratio=0.2)
    depths = np.array([1e-7, 1e-6, 1e-5])
    p_c = porz.critical_pressure(depths)
    expected = np.maximum(porz(depths), limit.tip_current_for_pressure(p_c, depths, 0.2 * depths) / 2.0)
    assert flowing(depths) == pytest.approx(expected, rel=1e-12)
    # p_c ~ 40..400 MPa against a flow stress of ~1 MPa: creeping Li cannot load these flaws
    # at any practical current (n = 6.6): the flow limit, not the Porz pressure, decides
    assert np.all(flowing(depths) > 1e3 * porz(depths))


def test_population_with_li_flow_needs_the_opening_ratio():
    from solver.errors import CaseError
    from tests.support import flaw_case

    pop = {"kind": "roughness", "rms_height": "0.2 um", "correlation_length": "5 um"}
    with pytest.raises(CaseError, match="opening_ratio is required"):
        flaw_case(flaw_population=pop, li_flow={"reference_strain_rate": "1e-4 s^-1"})
    flaw_case(flaw_population={**pop, "opening_ratio": 0.2}, li_flow={"reference_strain_rate": "1e-4 s^-1"})
