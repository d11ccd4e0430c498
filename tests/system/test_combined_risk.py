"""Criteria combined in the ``risk`` section: ``also: [internal_li_formation]`` beside a flaw
criterion; the combined CCD is the smaller of the two CCDs, with the mechanism that sets it.

Flat symmetric cell (rough_interface_2d, flat profile): the local current density is the
applied one everywhere, so the ``critical_local_current_density`` CCD is i_crit itself
(to the bisection width); the internal-formation onset is about 0.2 mA/cm^2 at eta_crit =
5 mV (its value against the exact slab answer: tests/verification/test_electronic.py).
An i_crit of 1 mA/cm^2 lies above it, 0.1 mA/cm^2 below: each setting must pick its mechanism.
"""

from __future__ import annotations

import copy
import math

import pytest
from mpi4py import MPI

from solver.config.case import parse_case
from solver.errors import CaseError
from solver.io.report import summary_text
from solver.studies.run import run_case
from tests.support import FLAT


def combined_case(i_crit: str, **changes) -> dict:
    raw = copy.deepcopy(FLAT)
    raw.pop("cycling")
    raw["name"] = "combined"
    raw["outputs"] = {"mesh_cache": None, "write": [], "png": False}
    raw["electronic"] = {"electronic_conductivity": "1e-3 S/m", "critical_supersaturation": "5 mV",
                         "onset": False, "self_discharge": False}
    raw["risk"] = {"criterion": "critical_local_current_density", "critical_local_current_density": i_crit,
                   "also": ["internal_li_formation"], "ccd_rtol": 1e-3}
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if value is None:
            raw[section].pop(name)
        else:
            raw[section][name] = value
    return raw


@pytest.mark.mpi
@pytest.mark.parametrize("i_crit, mechanism", [("1 mA/cm^2", "internal_li_formation"),
                                               ("0.1 mA/cm^2", "critical_local_current_density")])
def test_combined_ccd_is_the_smaller_with_its_mechanism(i_crit, mechanism):
    result = run_case(parse_case(combined_case(i_crit)), write=False, quiet=True, comm=MPI.COMM_WORLD)
    risk, electronic = result.summary["risk"], result.summary["electronic"]
    combined = risk["combined"]
    flaw_ccd, onset = risk["ccd"], electronic["onset_current_density"]
    assert combined["by_criterion"] == {"critical_local_current_density": flaw_ccd, "internal_li_formation": onset}
    # uniform local current: the flaw CCD is i_crit, bracketed to rtol from above
    i_crit_si = 10.0 if i_crit.startswith("1 ") else 1.0
    assert i_crit_si <= flaw_ccd <= i_crit_si * (1 + 1e-3)
    assert 1.0 < onset < 10.0  # between the two settings, so each one flips the answer
    assert combined["mechanism"] == mechanism and combined["ccd"] == min(flaw_ccd, onset)
    assert result.summary["metrics"]["combined_critical_current_density"] == combined["ccd"]
    assert f"lowest CCD set by: {mechanism}" in summary_text(result.summary)


def test_combined_ccd_none_in_range():
    from solver.analysis.risk import combined_ccd

    assert combined_ccd({"a": None, "b": None}) == {"ccd": None, "mechanism": None, "by_criterion": {"a": None,
                                                                                                    "b": None}}
    assert combined_ccd({"a": None, "b": 3.0, "c": 2.0})["mechanism"] == "c"
    assert combined_ccd({"a": 2.0, "b": 2.0})["mechanism"] == "a"  # a tie goes to the first listed
    assert not math.isinf(combined_ccd({"a": 1.0})["ccd"])


@pytest.mark.parametrize("changes, key", [
    ({"risk__also": ["fracture_toughness"]}, "risk.also"),  # a flaw criterion: not combinable
    ({"risk__also": ["internal_li_formation", "internal_li_formation"]}, "risk.also"),
    ({"electronic__critical_supersaturation": "0 V"}, "risk.also"),
    ({"risk__criterion": "internal_li_formation", "risk__critical_local_current_density": None,
      "risk__also": None}, "risk.criterion"),
])
def test_bad_combinations_name_the_key(changes, key):
    with pytest.raises(CaseError) as err:
        parse_case(combined_case("1 mA/cm^2", **changes))
    assert str(err.value).startswith(key) and "\n" not in str(err.value)


def test_internal_formation_needs_the_electronic_section():
    raw = combined_case("1 mA/cm^2")
    raw.pop("electronic")
    with pytest.raises(CaseError, match=r"^risk\.also: internal_li_formation needs an electronic section"):
        parse_case(raw)
