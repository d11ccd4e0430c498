"""Risk criteria and kinetics: an overpotential criterion under the primary distribution is
refused before meshing (eta = 0 there by definition: it would report no risk at any
current); a criterion that reads the local current is accepted. And the regime statement:
the attenuation of the geometric focusing of a feature is the verified first-order
sinusoid result 1 / (1 + sigma k R_ct) with k = 2 pi / l.
"""

import math

import pytest

from solver.analysis.regime import focusing_attenuation, polarisation_regime
from solver.config.case import parse_case
from solver.errors import CaseError


def _case(law: str, criterion: str, **kinetics):
    thresholds = {"critical_overpotential": "10 mV", "critical_local_current_density": "10 mA/cm^2"}
    risk = {"criterion": criterion, **({criterion: thresholds[criterion]} if criterion in thresholds else {})}
    return parse_case({
        "geometry": {"type": "rough_interface_2d", "width": "5 um", "thickness": "10 um"},
        "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
        "electrochemistry": {"applied_current_density": "1 mA/cm^2", "kinetics": {"law": law, **kinetics}},
        "risk": risk,
    })


@pytest.mark.parametrize("criterion", ["critical_overpotential", "fracture_toughness"])
def test_overpotential_criteria_refused_with_primary_kinetics(criterion):
    with pytest.raises(CaseError) as err:
        _case("primary", criterion)
    assert err.value.key == "risk.criterion"
    assert "critical_local_current_density" in str(err.value)


def test_local_current_criterion_and_films_accepted_with_primary_kinetics():
    _case("primary", "critical_local_current_density")
    _case("primary", "critical_overpotential", film_resistance="1e-4 ohm*m^2")  # the film carries an overpotential
    _case("butler_volmer", "critical_overpotential")


def test_regime_attenuation_is_the_sinusoid_amplitude_ratio():
    sigma, r_ct, wavelength = 0.5, 3.7e-3, 10e-6
    k = 2 * math.pi / wavelength
    assert focusing_attenuation(sigma * r_ct, wavelength) == pytest.approx(1 / (1 + sigma * k * r_ct), rel=1e-14)
    # Li | LPSC with micron roughness: L_p ~ 2 mm >> 10 um, focusing kept to ~1e-3
    regime = polarisation_regime(sigma * r_ct, wavelength)
    assert regime["regime"] == "kinetic" and regime["attenuation"] < 1e-3
    assert polarisation_regime(0.0, wavelength)["regime"] == "geometric"
    # comparable lengths: L_p = l / (2 pi) halves the focusing
    assert polarisation_regime(wavelength / (2 * math.pi), wavelength)["attenuation"] == pytest.approx(0.5)
    assert polarisation_regime(wavelength / (2 * math.pi), wavelength)["regime"] == "mixed"
