"""Li filling and cracking of a meshed flaw during cycling (cycling.flaws), on a small flaw_2d.

- With linear kinetics and no stack pressure, K_I of a full flaw is linear in the applied
  current (linear potential problem, Porz p = F |eta_tip| / V_m, K_I = G p): one steady
  flaw-risk solve gives the critical current i_c, and the cycling run at plating currents
  raised in steps cracks in the first step at or above i_c (the protocol resolution), with
  K_I/K_IC = i / i_c at every step.
- With the pressure held at risk.pressure_cap, K_I = G(a) p_cap: the meshed G of the
  1 um notch agrees with the pressurised edge crack 1.1215 sqrt(pi a) within 15 % (the
  notch tapers from 0.4 um at its mouth and the slab is 10 um thick with the counter held;
  measured 0.865), a cap below K_IC / G(a0) never cracks, one above runs to a short
  (G(a) rises with a up to 5 um and is flat beyond: measured 1.72, 2.39, 2.72, 2.91,
  2.90 mm^0.5 at a = 1, 2, 3, 5, 7 um).
- The new crack length is empty: the first step after an extension holds the same Li in
  the longer cavity, fill = V(a) / V(a + da); steps end exactly on a flaw becoming full.
- Charge passed equals Li moved in every step, across the rebuilt meshes.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from solver.config.case import parse_case
from solver.errors import CaseError
from solver.physics.kinetics import FARADAY
from solver.studies.cycle import run_cycle
from solver.studies.cycle_flaws import flaw_volume
from tests.support import analysis

K_IC = 0.23e6  # Pa m^0.5, library value of Li5.5PS4.5Cl1.5
DEPTH = 1e-6

RAW = {
    "name": "flaw_cycling",
    "geometry": {"type": "flaw_2d", "width": "20 um", "thickness": "10 um",
                 "flaws": [{"position": "10 um", "depth": "1 um", "width": "0.4 um", "tip_radius": "50 nm"}]},
    "mesh": {"size_factor": 2.0},
    "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
    "electrochemistry": {"applied_current_density": "1 mA/cm^2", "kinetics": {"law": "linear"}},
    "solver": {"linear_solver": "direct"},
    "mechanics": {"lateral": "symmetry"},
    "risk": {"criterion": "fracture_toughness", "fracture_toughness": "0.23 MPa m^0.5"},
    "outputs": {"mesh_cache": None, "fields": False, "png": False},
    "cycling": {
        "protocol": [{"type": "table", "time": [f"{60 * k} s" for k in range(25)],
                      "current_density": [f"{0.025 * (k + 1):.3f} mA/cm^2" for k in range(24)]}],
        "time_step": {"initial": "10 s", "maximum": "60 s"},
        "interface": {"supply_length": "4 um", "void_depth": "1 um"},
        "flaws": {"crack_increment": "8 um"},
    },
}


def raw_with(**changes):
    raw = copy.deepcopy(RAW)
    for path, value in changes.items():
        *head, last = path.split("__")
        node = raw
        for key in head:
            node = node[key]
        node[last] = value
    return raw


def charge_is_li_moved(rows):
    for r in rows:
        assert r["li_moved_C"] == pytest.approx(r["charge_passed_C"], rel=1e-9, abs=1e-18)


@pytest.mark.mpi
def test_the_flaw_cracks_in_the_first_step_at_or_above_the_linear_critical_current():
    case = parse_case(copy.deepcopy(RAW))
    steady = analysis(case).evaluate(1.0)  # K_I/K_IC at 1 A/m^2 (stack pressure 0)
    critical = 1.0 / steady.worst_ratio  # A/m^2: K_I linear in i
    result = run_cycle(case, write=False)
    rows = result.rows
    for r in rows:  # every step: full flaw, K_I / K_IC = i / i_c
        assert r["worst_stress_intensity_ratio"] == pytest.approx(r["applied_current_density_A_m2"] / critical,
                                                                   rel=1e-6)
    charge_is_li_moved(rows)
    step = 0.25  # A/m^2 (0.025 mA/cm^2)
    first = math.ceil(critical / step * (1 - 1e-12))
    assert 2 < first < 24  # inside the protocol, not at its first step
    s = result.summary
    assert s["short_by"] == "crack"  # 1 + 8 um passes the 8 um the geometry draws: the crack spans
    assert s["short_current_density_A_m2"] == pytest.approx(first * step, rel=1e-9)
    assert (first - 1) * step < critical <= first * step
    assert s["time_to_short_s"] == pytest.approx(60.0 * (first - 1), rel=1e-9)  # at the start of that step


def capped(ratio_of_handbook: float, extension_increment: str = "1 um"):
    """A run at a fixed flaw pressure p_cap = ratio x K_IC / (1.1215 sqrt(pi a0))."""
    p_cap = ratio_of_handbook * K_IC / (1.1215 * math.sqrt(math.pi * DEPTH))
    raw = raw_with(risk__pressure_cap=f"{p_cap!r} Pa", cycling__flaws={"crack_increment": extension_increment,
                                                                          "initial_fill": 0.5})
    raw["cycling"]["protocol"] = [{"type": "table", "time": ["0 s", "10 min"], "current_density": ["2 mA/cm^2"]}]
    raw["cycling"]["time_step"] = {"initial": "2 s", "maximum": "30 s"}
    return p_cap, run_cycle(parse_case(raw), write=False)


@pytest.mark.mpi
def test_below_the_edge_crack_threshold_the_flaw_fills_but_never_cracks():
    p_cap, result = capped(0.7)
    rows = result.rows
    full = [r for r in rows if r["worst_flaw_fill"] == pytest.approx(1.0, abs=1e-12) and r["worst_flaw_pressure_Pa"] > 0]
    assert full, "the flaw fills on plating"
    g = result.summary["flaw_influence"][0]["influence_m05"]
    assert g / (1.1215 * math.sqrt(math.pi * DEPTH)) == pytest.approx(1.0, abs=0.15)
    for r in full:
        assert r["worst_flaw_pressure_Pa"] == pytest.approx(p_cap, rel=1e-12)
        assert r["worst_stress_intensity_ratio"] == pytest.approx(g * p_cap / K_IC, rel=1e-12)
    assert all(r["crack_length_m"] == DEPTH for r in rows)
    assert result.summary["short_by"] is None and result.summary["crack_extensions"] == []
    # a step ends exactly where the half-full flaw becomes full (its K_I jumps there)
    first_full = rows.index(full[0])
    assert rows[first_full - 1]["worst_flaw_fill"] < 1.0
    charge_is_li_moved(rows)


@pytest.mark.mpi
def test_above_the_threshold_the_crack_runs_to_a_short_refilling_each_extension():
    p_cap, result = capped(1.4)
    s, rows = result.summary, result.rows
    assert s["short_by"] == "crack" and s["stop_reason"] == "short"
    depths = [e["depth_m"] for e in s["crack_extensions"]]
    assert depths == pytest.approx([DEPTH * k for k in range(2, 8)], rel=1e-9)  # 2 ... 7 um, then 8 um spans
    influence = {round(x["depth_m"] * 1e7): x["influence_m05"] for x in s["flaw_influence"]}
    for e in s["crack_extensions"]:  # K_I(a) = G(a) p_cap >= K_IC at every length it grew from
        assert e["stress_intensity_ratio"] >= 1.0
    assert min(influence.values()) * p_cap >= K_IC
    flaw = parse_case(copy.deepcopy(RAW)).geometry.flaws[0]
    for k, e in enumerate(s["crack_extensions"]):
        after = next(r for r in rows if r["time_s"] >= e["time_s"] and r["crack_length_m"] == pytest.approx(
            e["depth_m"], rel=1e-12))
        # the same Li in the longer cavity: the new crack length is empty
        expected = flaw_volume(flaw, e["depth_m"] - 1e-6) / flaw_volume(flaw, e["depth_m"])
        assert after["worst_flaw_fill"] == pytest.approx(expected, rel=1e-9)
        assert after["worst_flaw_pressure_Pa"] == 0.0
    assert np.all(np.diff([r["crack_length_m"] for r in rows]) >= 0)
    charge_is_li_moved(rows)


def test_crack_extension_on_a_geometry_without_flaws_names_the_key():
    raw = raw_with(geometry={"type": "rough_interface_2d", "width": "20 um", "thickness": "10 um"})
    with pytest.raises(CaseError, match=r"cycling\.flaws.*flaw_2d"):
        run_cycle(parse_case(raw), write=False)


def test_flaw_cycling_without_the_fracture_criterion_names_the_key():
    raw = copy.deepcopy(RAW)
    del raw["risk"]
    with pytest.raises(CaseError, match=r"risk\.criterion"):
        run_cycle(parse_case(raw), write=False)


def test_results_folder_has_the_crack_columns_plot_and_summary(tmp_path):
    import csv
    import json

    raw = raw_with(outputs={"mesh_cache": None, "fields": True, "png": True}, cycling__fields_every=1)
    raw["cycling"]["protocol"][0]["time"] = raw["cycling"]["protocol"][0]["time"][:4]
    raw["cycling"]["protocol"][0]["current_density"] = ["3 mA/cm^2", "-3 mA/cm^2", "3 mA/cm^2"]
    raw["cycling"]["flaws"] = {"crack_increment": "2 um", "initial_fill": 0.8}
    result = run_cycle(parse_case(raw), out=tmp_path / "run")
    from solver.analysis.registry import compute_stage

    values = compute_stage("cycling", result)  # what `dendrite compare --cycle` tabulates
    assert values["final_crack_length"] == result.summary["crack_length_m"] > DEPTH
    assert values["cycling_worst_stress_intensity_ratio"] == max(r["worst_stress_intensity_ratio"] for r in result.rows)
    with open(tmp_path / "run" / "cycle.csv") as f:
        rows = list(csv.DictReader(f))
    assert {"worst_stress_intensity_ratio", "crack_length_m", "worst_flaw_fill", "worst_flaw_pressure_Pa"} <= set(rows[0])
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["crack_length_m"] > DEPTH and summary["crack_extensions"]
    assert (tmp_path / "run" / "voltage.png").stat().st_size > 0
    assert (tmp_path / "run" / "fields_part1.xdmf").exists()  # the rebuilt mesh opens a new series


def test_a_step_that_would_carry_the_ratio_past_one_is_cut():
    from solver.studies.cycle_flaws import FlawCycling

    case = parse_case(copy.deepcopy(RAW))
    flaws = FlawCycling(case, case.model.cycling.flaws)
    flaws.plating[:] = 0.0  # full flaw: no fill limit
    flaws.ratio[:] = 0.5
    assert flaws.limit_step(100.0, 0.0, 1e-3) == 100.0  # no trend yet
    flaws.ratio[:] = 0.8  # +0.3 in 10 s: 1 is reached 6.67 s later
    assert flaws.limit_step(100.0, 10.0, 1e-3) == pytest.approx(0.2 / 0.03, rel=1e-12)
    flaws.ratio[:] = 0.99  # within ratio_tolerance (0.02) of 1 at the trend: the step stands
    assert flaws.limit_step(0.5, 20.0, 1e-3) == 0.5
    # an unfilled flaw that plates ends its step full
    flaws.li_volume[:] = 0.5 * flaws.volumes()
    flaws.plating[:] = 1e-4  # A/m
    flaws._trend = None
    fill_time = 0.5 * flaws.volumes()[0] * FARADAY / (flaws.molar_volume * 1e-4)
    assert flaws.limit_step(1e6, 30.0, 1e-3) == pytest.approx(fill_time, rel=1e-9)


@pytest.mark.mpi
def test_serial_and_two_processes_agree():
    from mpi4py import MPI

    raw = raw_with(cycling__flaws={"crack_increment": "3 um", "initial_fill": 0.5})
    raw["cycling"]["protocol"] = [{"type": "table", "time": ["0 s", "10 min"], "current_density": ["2 mA/cm^2"]}]
    world = run_cycle(parse_case(copy.deepcopy(raw)), write=False)
    alone = run_cycle(parse_case(copy.deepcopy(raw)), write=False, comm=MPI.COMM_SELF)
    assert len(world.rows) == len(alone.rows) and world.summary["short_by"] == "crack"
    for a, b in zip(world.summary["crack_extensions"], alone.summary["crack_extensions"]):
        assert a["time_s"] == pytest.approx(b["time_s"], rel=1e-8)
    assert world.summary["time_to_short_s"] == pytest.approx(alone.summary["time_to_short_s"], rel=1e-8)
    for a, b in zip(world.rows, alone.rows):
        assert a["worst_stress_intensity_ratio"] == pytest.approx(b["worst_stress_intensity_ratio"], rel=1e-8)


def test_a_run_killed_after_the_crack_grew_resumes_on_the_deeper_flaw(tmp_path, monkeypatch):
    from solver.studies import cycle_outputs

    p_cap = 1.4 * K_IC / (1.1215 * math.sqrt(math.pi * DEPTH))
    raw = raw_with(risk__pressure_cap=f"{p_cap!r} Pa", cycling__flaws={"crack_increment": "1 um", "initial_fill": 0.5},
                   cycling__checkpoint_every=2)
    raw["cycling"]["protocol"] = [{"type": "table", "time": ["0 s", "10 min"], "current_density": ["2 mA/cm^2"]}]
    reference = run_cycle(parse_case(copy.deepcopy(raw)), write=False)
    original = cycle_outputs.CycleWriter.step

    def killed(self, runner, row, solved):
        original(self, runner, row, solved)
        if runner.state.step == 6:
            raise KeyboardInterrupt

    monkeypatch.setattr(cycle_outputs.CycleWriter, "step", killed)
    with pytest.raises(KeyboardInterrupt):
        run_cycle(parse_case(copy.deepcopy(raw)), out=tmp_path / "run")
    monkeypatch.setattr(cycle_outputs.CycleWriter, "step", original)
    resumed = run_cycle(parse_case(copy.deepcopy(raw)), out=tmp_path / "run")
    assert reference.rows[5]["crack_length_m"] > DEPTH  # the checkpoint (after step 6) holds a grown crack
    assert len(resumed.rows) == len(reference.rows)
    assert resumed.summary["time_to_short_s"] == pytest.approx(reference.summary["time_to_short_s"], rel=1e-9)
    assert [e["time_s"] for e in resumed.summary["crack_extensions"]] == pytest.approx(
        [e["time_s"] for e in reference.summary["crack_extensions"]], rel=1e-9)


def test_the_pressure_of_a_full_flaw_is_the_steady_chain_with_li_extrusion():
    """Full flaw, contact 1: each step's pressure and K_I/K_IC are those of the steady flaw-risk
    chain at the same current, here limited by the extrusion of Li (risk.li_flow)."""
    raw = raw_with(risk__li_flow={"reference_strain_rate": "1e-4 s^-1"})
    raw["cycling"]["protocol"] = [{"type": "table", "time": ["0 s", "60 s", "120 s"],
                                   "current_density": ["0.2 mA/cm^2", "0.4 mA/cm^2"]}]
    case = parse_case(raw)
    steady = analysis(case)
    result = run_cycle(case, write=False)
    for r in result.rows:
        point = steady.evaluate(r["applied_current_density_A_m2"])
        flaw = point.flaws[0]
        porz = FARADAY * abs(flaw.overpotential) / 1.30e-5
        assert flaw.pressure < 0.9 * porz  # the extrusion limit is the one that holds
        assert r["worst_flaw_pressure_Pa"] == pytest.approx(flaw.pressure, rel=1e-9)
        assert r["worst_stress_intensity_ratio"] == pytest.approx(point.worst_ratio, rel=1e-9)
