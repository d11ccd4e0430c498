"""Mechanism table for bare Li vs Li-Al-Cl on LPSC (seed 001: CCD 1.0 vs 2.5 mA/cm^2).

Inputs from sources, nothing fitted: i0 0.69 / 1.11 mA/cm^2 (seed 001, Supp. Fig. 23), the
same electrolyte (LPSC: K_IC from the library) and the same rough surface for both. With
Butler-Volmer kinetics, j_c = 2 i0 sinh(alpha f eta_c) at the same critical overpotential,
so the predicted ratio is exactly i0_B / i0_A = 1.61 with every mechanism on, and it falls
to 1 only when the interface kinetics are switched off: the remaining factor 2.5 / 1.61 =
1.55 must come from physics not in the chain (interphase mechanics, contact retention).
"""

import dataclasses

import pytest

from solver.analysis.mechanism_table import format_mechanism_table, mechanism_table
from solver.analysis.sensitivity import CcdInputs
from solver.materials.library import library
from solver.physics.kinetics import make_kinetics

LIB = library()


def _design(i0: float) -> CcdInputs:
    law = make_kinetics("butler_volmer", exchange_current_density=i0, temperature=298.15).current_density
    return CcdInputs(law, LIB["Li5.5PS4.5Cl1.5"].values["fracture_toughness"], "roughness",
                     {"rms_height": 0.2e-6, "correlation_length": 5e-6}, tip_focusing=2.0)


def test_bare_vs_li_al_cl_mechanism_table():
    bare = _design(LIB["Li5.5PS4.5Cl1.5"].values["exchange_current_density"])
    alloy = _design(LIB["Li9Al4+LiCl"].values["exchange_current_density"])
    rows = mechanism_table(bare, alloy, realisations=500)
    by_name = {r["switched_off"]: r["ratio"] for r in rows}
    i0_ratio = 1.11 / 0.69
    # same random draws in every design (fixed seed, same population): ratios are exact
    assert by_name[None] == pytest.approx(i0_ratio, rel=1e-9)
    for name in ("focusing", "flaws", "toughness", "interphase_mechanics"):
        assert by_name[name] == pytest.approx(i0_ratio, rel=1e-9)  # carries none of the difference
    assert by_name["interface_kinetics"] == pytest.approx(1.0, rel=1e-12)
    notes = {r["switched_off"]: r["note"] for r in rows}
    assert all(notes[n] == "the same in both designs" for n in ("focusing", "flaws", "toughness",
                                                                 "interphase_mechanics"))
    assert notes["interface_kinetics"] == ""  # i0 differs
    text = format_mechanism_table(rows, ("bare Li", "Li-Al-Cl"), measured_ratio=2.5)
    assert "| measured | | | 2.5 | |" in text and "factor 1.55" in text
    assert "| toughness | 0.202 | 0.325 | 1.61 | the same in both designs |" in text


def test_equal_kinetics_of_separate_laws_are_the_same_in_both_designs():
    bare = _design(0.69e1)
    layered = dataclasses.replace(_design(0.69e1), anode_shielding=0.84)  # a separate law object, same i0
    rows = {r["switched_off"]: r for r in mechanism_table(bare, layered, realisations=200)}
    assert rows["interface_kinetics"]["note"] == "the same in both designs"
    assert rows["interphase_mechanics"]["note"] == ""
    assert rows[None]["ratio"] > 1.1  # the shielded design is safer
    assert rows["interphase_mechanics"]["ratio"] == pytest.approx(1.0, rel=1e-12)


def test_a_mechanism_that_differs_moves_the_ratio():
    smooth = _design(6.9)
    rough = dataclasses.replace(smooth, parameters={"rms_height": 0.6e-6, "correlation_length": 5e-6})
    rows = {r["switched_off"]: r["ratio"] for r in mechanism_table(smooth, rough, realisations=500)}
    assert rows[None] < 0.9  # the rougher design fails earlier
    assert rows["flaws"] == pytest.approx(1.0, rel=1e-12)  # same flaws: no difference left
    assert rows["focusing"] == pytest.approx(rows[None], rel=1e-9)
