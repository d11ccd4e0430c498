"""Comparison texts and the mechanism table, checked without solving (each text that was
measured wrong on a real comparison has its case here)."""

import math

import pytest

from solver.analysis.builtin_metrics import _ccd_metric, _mechanics_computed
from solver.config.case import load_case
from solver.studies.compare_mechanisms import DesignChain, mechanism_markdown, mechanism_rows
from solver.studies.compare_text import assumptions, input_differences, verdict
from tests.support import ROOT


def test_equal_ccds_are_never_called_safer():
    conclusion, spread = verdict("a", "b", (4.258, 0.0, 1), (4.27, 0.0, 1), False, False, higher_is_safer=True)
    assert conclusion == "neither is predicted safer (within 1 %)" and "Deterministic" in spread
    conclusion, _ = verdict("a", "b", (4.0, 0.0, 1), (8.0, 0.0, 1), False, False, higher_is_safer=True)
    assert conclusion == "b is predicted safer"


def test_a_single_random_realisation_names_no_safer_design():
    conclusion, spread = verdict("a", "b", (4.0, 0.0, 1), (5.0, 0.0, 1), True, True, higher_is_safer=True)
    assert "predicted safer" not in conclusion and "b has the higher CCD in this realisation" in conclusion
    assert spread.startswith("Single realisation")
    conclusion, _ = verdict("a", "b", (4.258, 0.0, 1), (4.258, 0.0, 1), True, True, higher_is_safer=True)
    assert conclusion == "neither is predicted safer in this realisation (within 1 %)"


def test_ensembles_are_not_called_single_realisations():
    conclusion, spread = verdict("a", "b", (4.0, 0.1, 3), (5.0, 0.1, 3), True, True, higher_is_safer=True)
    assert conclusion == "b is predicted safer" and "Over 3 and 3 realisations" in spread
    assert "Single" not in spread
    # a deterministic design against an ensemble: the ensemble's standard error decides
    conclusion, spread = verdict("a", "b", (4.0, 0.0, 1), (4.1, 0.5, 3), False, True, higher_is_safer=True)
    assert conclusion == "neither is predicted safer" and "not distinguishable" in spread and "Single" not in spread


def test_driver_lists_every_difference_with_units_and_no_none():
    bare, alloy = (load_case(ROOT / "cases" / f"{n}.yaml") for n in ("flaw_bare_li", "flaw_li_al_cl"))
    diffs = input_differences(bare, alloy)
    text = "; ".join(diffs)
    print(text)
    for entry in ("`geometry.anode.interphase_thickness`: not set -> 100 nm",  # in the case's own words
                  "`geometry.anode.li_thickness`: not set -> 2 um", "`geometry.anode.skeleton_fraction`",
                  "`materials.interphase`: not set -> Li9Al4+LiCl", "`materials.li_metal`: not set -> Li",
                  "0.69 mA/cm^2 -> 1.11 mA/cm^2"):  # i0 in display units, once, from wherever it comes
        assert entry in text
    assert "None" not in text and text.count("1.11 mA/cm^2") == 1 and "11.1" not in text
    assert len(diffs) == 6  # the new regions are named once, not with every library value
    cut = input_differences(bare, alloy, limit=3)
    assert len(cut) == 4 and cut[-1].startswith("and 3 more")


def test_driver_shows_material_values_in_display_units():
    a = load_case(ROOT / "cases" / "flaw_bare_li.yaml")
    raw = dict(a.raw, materials={"electrolyte": {"material": "Li5.5PS4.5Cl1.5", "youngs_modulus": "30 GPa",
                                                 "fracture_toughness": "0.5 MPa m^0.5"}})
    from solver.config.case import parse_case

    text = "; ".join(input_differences(a, parse_case(raw, "stiffer")))
    assert "22 GPa -> 30 GPa" in text and "0.23 MPa m^0.5 -> 0.5 MPa m^0.5" in text
    small, large = (load_case(ROOT / "cases" / f"flaw_llzo_{n}_grains.yaml") for n in ("small", "large"))
    text = "; ".join(input_differences(small, large))
    assert "`risk.fracture_toughness_table.grain_size`: 5 um -> 600 um" in text
    assert "0.46 mS/cm -> 0.57 mS/cm" in text


def test_porz_only_for_flaw_criteria():
    assert not any("Porz" in line for line in assumptions({"critical_overpotential"}, False))
    assert any("Porz" in line for line in assumptions({"fracture_toughness"}, False))
    assert any("electronic" in line.lower() for line in assumptions({"fracture_toughness"}, True))


def test_k_i_not_computed_and_ccd_not_searched_are_not_reported_as_numbers():
    no_mechanics = {"flaws": 2, "influence_matrix_m05": [[0.0, 0.0], [0.0, 0.0]], "worst_stress_intensity": 0.0}
    assert not _mechanics_computed(no_mechanics)
    assert _mechanics_computed({"flaws": 1, "influence_matrix_m05": [[1.8e-3]]})
    assert _ccd_metric({"ccd": None, "ccd_note": "not searched: risk.ccd is false"}) is None
    assert _ccd_metric({"ccd": None, "ccd_note": "no flaw: no stress concentrator, no fracture-driven CCD"}) is None
    assert _ccd_metric({"ccd": None, "ccd_note": "criterion not reached below 1000 A/m^2"}) == math.inf
    assert _ccd_metric({"ccd": 10.7, "ccd_note": None}) == 10.7


def _linear(resistance):
    return lambda eta: eta / resistance  # i(eta) [A/m^2] of a linear law, R [ohm m^2]


def test_mechanism_rows_follow_the_chain():
    a = DesignChain("a", "critical_overpotential", _linear(4e-3), focusing=2.0, critical_overpotential=0.02)
    b = DesignChain("b", "critical_overpotential", _linear(2e-3), focusing=1.0, critical_overpotential=0.02,
                    onset=6.0)
    rows = {r["switched_off"]: r for r in mechanism_rows([a], [b])}
    # CCD = |i(-eta_c)| / f, then min with the onset: a 5/2 = 2.5, b min(10, 6) = 6 A/m^2
    assert rows[None]["ccd_a"] == pytest.approx(2.5) and rows[None]["ccd_b"] == pytest.approx(6.0)
    assert rows["focusing"]["ratio"] == pytest.approx(6.0 / 5.0)
    assert rows["electronic_leakage"]["ratio"] == pytest.approx(10.0 / 2.5)
    assert rows["interface_kinetics"]["ccd_b"] == pytest.approx(5.0)  # a's kinetics, b's onset above it
    assert rows["flaws"]["note"] == "in neither design: no change"
    text = "\n".join(mechanism_markdown("a", "b", list(rows.values()), measured_ratio=3.0))
    assert "| (all on) | every mechanism on | 0.25 | 0.6 | 2.4 |" in text and "factor 1.25" in text


def test_mechanism_rows_of_flaws_and_interphase():
    kw = {"criterion": "fracture_toughness", "current_density": _linear(4e-3), "focusing": 1.0,
          "fracture_toughness": 0.23e6}
    a = DesignChain("a", influence=1.8e-3, **kw)
    b = DesignChain("b", influence=1.5e-3, influence_without_anode=1.8e-3, **kw)
    rows = {r["switched_off"]: r for r in mechanism_rows([a], [b])}
    assert rows[None]["ratio"] == pytest.approx(1.8 / 1.5)  # eta_c ~ 1 / G, linear kinetics
    assert rows["interphase_mechanics"]["ratio"] == pytest.approx(1.0)
    assert rows["flaws"]["ratio"] == pytest.approx(1.0)
    assert rows["fracture_toughness"]["note"] == "the same in both designs: no change"
    # two separate but equal kinetics laws, the same focusing (not 1): both rows say so
    assert rows["interface_kinetics"]["note"] == "the same in both designs: no change"
    assert rows["focusing"]["note"] == "the same in both designs: no change"  # f = 1 already
    assert rows["interphase_mechanics"]["note"] == ""  # only b has the layer
    assert rows["li_stiffness"]["note"] == "in neither design: no change"


def test_li_yielded_row_is_the_lower_bound():
    kw = {"criterion": "fracture_toughness", "current_density": _linear(4e-3), "focusing": 1.0,
          "fracture_toughness": 0.23e6, "influence_without_anode": 1.8e-3}
    a = DesignChain("a", influence=1.8e-3, **{**kw, "influence_without_anode": None})
    b = DesignChain("b", influence=1.5e-3, influence_li_yielded=1.75e-3, **kw)
    rows = {r["switched_off"]: r for r in mechanism_rows([a], [b])}
    assert rows["li_stiffness"]["ratio"] == pytest.approx(1.8 / 1.75)  # linear kinetics: eta_c ~ 1 / G
    assert rows["li_stiffness"]["ratio"] < rows[None]["ratio"] and rows["li_stiffness"]["note"] == ""


def test_mechanism_rows_name_what_is_the_same_in_both_designs():
    a = DesignChain("a", "critical_overpotential", _linear(4e-3), focusing=2.0, critical_overpotential=0.02)
    b = DesignChain("b", "critical_overpotential", _linear(4e-3), focusing=2.0, critical_overpotential=0.03)
    rows = {r["switched_off"]: r for r in mechanism_rows([a], [b])}
    assert rows["interface_kinetics"]["note"] == "the same in both designs: no change"
    assert rows["focusing"]["note"] == "the same in both designs"  # CCDs change, the ratio does not
    assert rows["focusing"]["ratio"] == pytest.approx(rows[None]["ratio"], rel=1e-12)
    c = DesignChain("c", "critical_overpotential", _linear(2e-3), focusing=1.5, critical_overpotential=0.03)
    rows = {r["switched_off"]: r for r in mechanism_rows([a], [c])}
    assert rows["interface_kinetics"]["note"] == "" and rows["focusing"]["note"] == ""
