"""`dendrite compare --cycle`: cycling designs side by side (time to short, CCD step reached,
contact fraction), with ensembles and confidence intervals where seeds vary.

Designs: the FLAT symmetric cell of tests.support (linear kinetics), a step protocol from
0.2 mA/cm^2 in steps of 0.2 mA/cm^2, one minute per half cycle, plating first, and the
fracture criterion with a 1 um Li-filled flaw: a plating element shorts the cell as soon as
K_I = 1.1215 (F eta / V_m) sqrt(pi a) reaches K_IC (docs/cycling.md). On the flat interface
eta = R_ct i exactly, so the cell shorts at the first step i_k >= i_c = eta_c / R_ct with
eta_c = K_IC V_m / (1.1215 F sqrt(pi a)), at the start of that step's plating half cycle,
t = k 2 t_half. i0 = 0.5 and 1.5 mA/cm^2 put i_c at 0.30 and 0.91 mA/cm^2, away from steps.
"""

from __future__ import annotations

import copy
import csv
import json
import math

import numpy as np
import pytest
import yaml
from mpi4py import MPI

from solver.config.adapter import case_kinetics
from solver.config.case import parse_case
from solver.errors import CaseError
from solver.physics.interface_evolution import EDGE_CRACK_FACTOR
from solver.physics.kinetics import FARADAY
from tests.support import FLAT, shared_tmp

START = STEP = 2.0  # A/m^2 (0.2 mA/cm^2)
HALF = 60.0  # s
FLAW = 1e-6  # m


def design(name: str, i0: str, profile: dict | None = None) -> dict:
    raw = copy.deepcopy(FLAT)
    raw["name"] = name
    if profile is not None:
        raw["geometry"]["profile"] = profile
    raw["electrochemistry"]["kinetics"] = {"law": "linear", "exchange_current_density": i0}
    raw["risk"] = {"criterion": "fracture_toughness"}
    raw["cycling"]["protocol"] = [{"type": "ccd_steps", "start": "0.2 mA/cm^2", "step": "0.2 mA/cm^2",
                                   "maximum": "1.4 mA/cm^2", "half_cycle_time": "1 min", "first": "plating"}]
    raw["cycling"]["time_step"] = {"initial": "5 s", "maximum": "30 s"}
    raw["cycling"]["interface"]["filament_flaw_depth"] = "1 um"
    return raw


def expected_short(raw: dict) -> tuple[float, float]:
    """(current density [A/m^2], time [s]) of the short of a flat design (module docstring)."""
    case = parse_case(raw)
    toughness = case.materials["electrolyte"].values["fracture_toughness"]
    eta_c = toughness * 1.30e-5 / (EDGE_CRACK_FACTOR * FARADAY * math.sqrt(math.pi * FLAW))
    i_c = eta_c / case_kinetics(case, "plating").charge_transfer_resistance
    k = math.ceil((i_c - START) / STEP)
    assert abs(i_c - (START + k * STEP)) > 0.1 * STEP and abs(i_c - (START + (k - 1) * STEP)) > 0.1 * STEP
    return START + k * STEP, 2 * k * HALF


def test_cli_compares_two_flat_designs_against_the_exact_short(tmp_path):
    from solver.cli import main

    paths = []
    designs = [design("low_i0", "0.5 mA/cm^2"), design("high_i0", "1.5 mA/cm^2")]
    for raw in designs:
        paths.append(tmp_path / f"{raw['name']}.yaml")
        paths[-1].write_text(yaml.safe_dump(raw))
    study = tmp_path / "study.yaml"  # a comparison file: cycle: true, measured values shown beside
    study.write_text(yaml.safe_dump({"comparison": {
        "name": "flat_pair", "cases": [p.name for p in paths], "cycle": True,
        "measured_ccd": {"low_i0": "0.4 mA/cm^2", "high_i0": "1.0 mA/cm^2"},
        "measured_cycling": {"low_i0": "fails after 2 min"}, "measured_source": "made up for the test"}}))
    out = tmp_path / "cmp"
    assert main(["compare", str(study), "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [r["case"] for r in rows] == ["low_i0", "high_i0"] and {r["stop_reason"] for r in rows} == {"short"}
    for raw, row in zip(designs, rows):
        current, time = expected_short(raw)
        assert float(row["short_current_density_A_m2"]) == pytest.approx(current, rel=1e-12)
        assert float(row["time_to_short_s"]) == pytest.approx(time, rel=1e-12)
        run = json.loads((out / "runs" / f"{raw['name']}-0" / "summary.json").read_text())
        assert float(row["time_to_short_s"]) == run["time_to_short_s"]
        assert float(row["final_contact_fraction_1"]) == pytest.approx(1.0, abs=1e-12)  # no stripping void at 3 MPa
    text = (out / "comparison.md").read_text()
    assert "| time to short [h] |" in text and "| CCD step reached (current at short) [mA/cm^2] |" in text
    assert "| final contact fraction [-] |" in text and "Deterministic geometry" in text
    assert "ratio 2.5" in text  # the CCD steps 1.0 / 0.4 mA/cm^2
    assert "Measured CCD ratio 2.5 (1 mA/cm^2 vs 0.4 mA/cm^2; made up for the test)" in text
    assert "- low_i0: fails after 2 min" in text and "- high_i0: CCD 1 mA/cm^2" in text
    assert (out / "cycling_side_by_side.png").stat().st_size > 10_000


@pytest.mark.mpi
def test_ensembles_over_seeds_give_the_confidence_interval(tmp_path_factory):
    from scipy.stats import t as student

    from solver.studies.compare_cycling import compare_cycling

    profile = {"kind": "random", "rms_height": "0.3 um", "correlation_length": "3 um", "seed": 3}
    cases = [parse_case(design("rough_low", "0.5 mA/cm^2", profile)),
             parse_case(design("rough_high", "1.5 mA/cm^2", profile))]
    # one process group per rank: the runs are shared out, the tables gathered on rank 0
    folder = compare_cycling(cases, seeds=3, out=shared_tmp(tmp_path_factory) / "cmp", groups=MPI.COMM_WORLD.size)
    if MPI.COMM_WORLD.rank != 0:  # rank 0 writes the tables
        return
    rows = list(csv.DictReader((folder / "metrics.csv").open()))
    stats = json.loads((folder / "comparison.json").read_text())["designs"]
    for name in ("rough_low", "rough_high"):
        peak = np.array([float(r["highest_local_current_density_A_m2"]) for r in rows if r["case"] == name])
        assert peak.size == 3 and np.ptp(peak) > 0  # the seeds give different interfaces
        st = stats[name]["highest_local_current_density"]
        assert st["mean"] == pytest.approx(peak.mean(), rel=1e-12)
        assert st["ci95"] == pytest.approx(student.ppf(0.975, 2) * peak.std(ddof=1) / math.sqrt(3), rel=1e-12)
    low = [float(r["short_current_density_A_m2"]) for r in rows if r["case"] == "rough_low"]
    high = [float(r["short_current_density_A_m2"]) for r in rows if r["case"] == "rough_high"]
    assert max(low) < min(high)  # three times the exchange current: a higher step before the short
    assert "(distinguishable)" in (folder / "comparison.md").read_text()


def test_censored_runs_are_reported_as_bounds():
    from solver.studies.compare_cycling import _cell, _Design, ensemble_statistics

    st = ensemble_statistics([3600.0, math.inf, 7200.0])
    assert (st["n"], st["runs"], st["mean"]) == (2, 3, 5400.0)
    assert st["ci95"] == pytest.approx(12.706204736 * 2545.584412 / math.sqrt(2), rel=1e-6)
    runs = [{"time_to_short": t, "simulated_time": s, "highest_current_density": 10.0}
            for t, s in ((3600.0, 3600.0), (math.inf, 36000.0))]
    d = _Design(parse_case(design("a", "1 mA/cm^2")), runs, [], [])
    assert _cell(d, "time_to_short") == "1/2 shorted: 1; others > 10 h"
    d.runs = [dict(runs[1])]
    assert _cell(d, "time_to_short") == "no short (> 10 h)"


def test_a_case_without_cycling_is_refused():
    from solver.studies.compare_cycling import compare_cycling

    raw = design("steady", "1 mA/cm^2")
    raw.pop("cycling")
    raw.pop("risk")
    with pytest.raises(CaseError, match=r"^cycling: case 'steady' has no cycling section"):
        compare_cycling([parse_case(design("a", "1 mA/cm^2")), parse_case(raw)])
