"""Temperature: Arrhenius i0 and conductivities from a case, and the missing-activation-energy rule.

A flat Li | Li6PS5Cl cell with linear kinetics is exact for the finite-element solution:
the dissipation split gives ASR_ct = R_ct(T) = R T / (F i0(T)) with
i0(T) = i0_ref exp(-E_a/k_B (1/T - 1/T_ref)) and ASR_electrolyte = L / sigma(T), to solver
tolerance. So ln(R_ct / T) against 1/T is a line of slope E_a / k_B, the signature of an
Arrhenius interface (R_ct falls on heating; a constant i0 would make R_ct grow like T).
"""

import math

import numpy as np
import pytest

from solver.analysis.metrics import conduction_metrics
from solver.config.adapter import build_case_mesh, conduction_problem
from solver.config.case import parse_case
from solver.errors import CaseError
from solver.materials.library import library
from solver.materials.temperature import BOLTZMANN_EV, arrhenius
from solver.physics.kinetics import FARADAY, GAS_CONSTANT

THICKNESS = 10e-6  # m


def _case(electrolyte: str = "Li6PS5Cl", temperature: str = "25 degC", **electrochemistry):
    return parse_case({
        "geometry": {"type": "rough_interface_2d", "width": "5 um", "thickness": "10 um"},
        "mesh": {"interface_size": "1 um", "size": "2 um"},
        "materials": {"electrolyte": electrolyte},
        "electrochemistry": {"applied_current_density": "1 mA/cm^2", "temperature": temperature,
                             "kinetics": {"law": "linear"}, **electrochemistry},
        "outputs": {"mesh_cache": None},
    })


def test_arrhenius_law():
    assert arrhenius(2.0, 0.4, 298.15, 298.15) == 2.0
    # one decade per E_a ln(10)... : ratio between two temperatures is exp(E_a/k_B (1/T1 - 1/T2))
    ratio = arrhenius(1.0, 0.38, 333.15, 298.15) / arrhenius(1.0, 0.38, 253.15, 298.15)
    assert ratio == pytest.approx(math.exp(0.38 / BOLTZMANN_EV * (1 / 253.15 - 1 / 333.15)), rel=1e-14)


@pytest.mark.mpi
def test_charge_transfer_resistance_follows_arrhenius_i0():
    mat = library()["Li6PS5Cl"]
    i0_ref, ea_i0 = mat.values["exchange_current_density"], mat.values["exchange_current_activation_energy"]
    sigma_ref, ea_sigma = mat.values["ionic_conductivity"], mat.values["activation_energy"]
    temperatures = np.array([253.15, 298.15, 333.15])
    r_ct = []
    for t in temperatures:
        case = _case(temperature=f"{t} K")
        fields = conduction_problem(case, build_case_mesh(case)).solve()
        metrics, _, _ = conduction_metrics(fields)
        split = metrics["asr_split"]
        i0 = i0_ref * math.exp(-ea_i0 / BOLTZMANN_EV * (1 / t - 1 / 298.15))
        expected = GAS_CONSTANT * t / (FARADAY * i0)
        # linear kinetics on a flat interface: exact up to the linear-solver tolerance
        assert split["charge_transfer"] == pytest.approx(expected, rel=1e-8)
        sigma = sigma_ref * math.exp(-ea_sigma / BOLTZMANN_EV * (1 / t - 1 / 298.15))
        assert split["electrolyte"] == pytest.approx(THICKNESS / sigma, rel=1e-8)
        r_ct.append(split["charge_transfer"])
    r_ct = np.array(r_ct)
    assert np.all(np.diff(r_ct) < 0)  # the interface conducts better when hot
    slope = np.polyfit(1 / temperatures, np.log(r_ct / temperatures), 1)[0]
    assert slope * BOLTZMANN_EV == pytest.approx(ea_i0, rel=1e-8)


def test_missing_activation_energy_is_an_error_naming_the_material():
    # Li5.5PS4.5Cl1.5 has no activation energy (neither of its conductivity nor of its i0)
    with pytest.raises(CaseError) as err:
        _case("Li5.5PS4.5Cl1.5", "60 degC")
    assert err.value.key == "materials.electrolyte"
    assert "'Li5.5PS4.5Cl1.5'" in str(err.value) and "missing_activation_energy: hold" in str(err.value)
    # At its reference temperature nothing is needed
    _case("Li5.5PS4.5Cl1.5", "25 degC")


def test_hold_keeps_reference_values_and_says_so():
    case = _case("Li5.5PS4.5Cl1.5", "60 degC", missing_activation_energy="hold")
    rules = case.resolved()["temperature_rules"]
    assert rules["electrolyte"]["ionic_conductivity"]["rule"] == "held"
    assert rules["anode_interface"]["exchange_current_density"]["rule"] == "held"
    hot = _case("Li6PS5Cl", "60 degC").resolved()["temperature_rules"]
    assert hot["anode_interface"]["exchange_current_density"] == {"rule": "arrhenius", "activation_energy_eV": 0.38}


def test_case_activation_energy_override_is_used():
    case = _case({"material": "Li5.5PS4.5Cl1.5", "activation_energy": "0.3 eV",
                  "exchange_current_activation_energy": "0.3 eV"}, "60 degC")
    rules = case.resolved()["temperature_rules"]
    assert rules["electrolyte"]["ionic_conductivity"] == {"rule": "arrhenius", "activation_energy_eV": 0.3}
