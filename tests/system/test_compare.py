"""dendrite compare (ensembles, report, verdict) and the calibration helper."""

import csv
import re

import pytest

from solver.studies.calibrate import calibrate_case
from solver.config.case import parse_case
from solver.studies.compare import Study, compare
from solver.config.adapter import build_case_mesh, case_conductivities
from solver.analysis.homogenisation import effective_conductivity
from tests.support import compare_case


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "cmp"
    cases = [compare_case("primary", law="primary"), compare_case("secondary", law="butler_volmer")]
    return compare(cases, 2, out, Study(name="t", cases=["a", "b"], seeds=2))


def test_comparison_report_table_pictures_and_verdict(comparison):
    text = (comparison / "comparison.md").read_text()
    assert "| focusing factor p99/mean [-] | " in text and "±" in text  # mean ± spread over 2 seeds
    assert "**secondary vs primary**" in text and "focuses current less" in text
    # the driver of the difference is named: the kinetics law
    assert "kinetics.law" in text and "primary -> butler_volmer" in text
    assert (comparison / "current_density_side_by_side.png").stat().st_size > 10_000
    from solver.io.pictures.meta import check_picture, read_info

    assert check_picture(comparison / "current_density_side_by_side.png") == []  # one colour scale, in the data
    assert read_info(comparison / "current_density_side_by_side.png")["case"] == "primary, secondary"
    rows = list(csv.DictReader(open(comparison / "metrics.csv")))
    assert [r["case"] for r in rows] == ["primary", "primary", "secondary", "secondary"]
    # realisations differ (the seeds were shifted), so the spread is real
    assert rows[0]["focusing_factor"] != rows[1]["focusing_factor"]
    # primary kinetics: the overpotential is round-off (~1e-22 V), shown as 0
    assert float(rows[0]["max_abs_overpotential"]) < 1e-15
    assert re.search(r"^\| worst local overpotential magnitude \[mV\] \| 0 \| [0-9.]+ ± ", text, re.M)


def test_comparison_report_embeds_pictures_inputs_and_run_reports(comparison):
    page = (comparison / "report.html").read_text()
    markdown = (comparison / "report.md").read_text()
    assert markdown.startswith((comparison / "comparison.md").read_text().strip())  # table, verdict as written
    assert page.count('src="data:image/png;base64,') == len(list(comparison.glob("*.png"))) >= 1
    assert "<table>" in page and "focuses current less" in page
    assert "### primary" in markdown and "### secondary" in markdown and "**[su2024]**" in markdown
    assert "[report](runs/primary-0/report.html)" in markdown and (comparison / "runs/primary-0/report.html").is_file()


def test_identical_designs_are_not_distinguishable(tmp_path):
    cases = [compare_case("a", law="butler_volmer"), compare_case("b", law="butler_volmer")]
    folder = compare(cases, 2, tmp_path / "same", Study(name="same", cases=["a", "b"], seeds=2))
    assert "not distinguishable" in (folder / "comparison.md").read_text()


def test_calibration_reproduces_the_target_conductivity():
    raw = {
        "name": "poly",
        "geometry": {"type": "polycrystal_2d", "width": "4 um", "thickness": "4 um", "mean_grain_size": "1 um",
                     "seed": 2, "gb": "explicit", "gb_thickness": "50 nm"},
        "mesh": {"size_factor": 2.0},
        "materials": {"grains": "Li2.82Al0.06PS4", "grain_boundaries": "LPS7228_grain_boundary"},
        "electrochemistry": {"applied_current_density": "1 mA/cm^2", "kinetics": {"exchange_current_density": 6.9}},
        "outputs": {"mesh_cache": None},
    }
    case = parse_case(raw)
    result = calibrate_case(case, "grain_boundaries", 0.5, (1e-3, 1e4))
    # check by a forward solve with the calibrated value: sigma_eff = target to the root tolerance
    sigma, gb = case_conductivities(case)
    sigma["grain_boundaries"] = result["conductivity_S_m"]
    tagged = build_case_mesh(case)
    assert effective_conductivity(tagged, sigma, direction=1) == pytest.approx(0.5, rel=1e-5)
    # a conductive GB phase must be more conductive than the total, the cores less
    assert result["conductivity_S_m"] > 0.5 > sigma["grains"]


def test_mechanism_table_in_the_comparison(tmp_path):
    """Two flat cells that differ only in i0, critical-overpotential criterion: the table's
    all-on ratio equals the finite-element CCD ratio, and only the kinetics carry it."""
    import copy
    import json

    from tests.support import FLAT

    def flat(name, i0):
        raw = copy.deepcopy(FLAT)
        raw.pop("cycling", None)
        raw.update(name=name, outputs={"mesh_cache": None, "png": False, "fields": False},
                   risk={"criterion": "critical_overpotential", "critical_overpotential": "15 mV",
                         "ccd_start": "0.5 mA/cm^2", "ccd_rtol": 1e-3})
        raw["electrochemistry"] = {"applied_current_density": "1 mA/cm^2",
                                   "kinetics": {"law": "butler_volmer", "exchange_current_density": i0}}
        return parse_case(raw)

    folder = compare([flat("slow", "0.69 mA/cm^2"), flat("fast", "1.11 mA/cm^2")], 1, tmp_path / "m",
                     Study(name="m", cases=["a", "b"], measured_ccd={"slow": 10.0, "fast": 25.0}))
    rows = {r["switched_off"]: r for r in csv.DictReader(open(folder / "mechanisms.csv"))}
    all_on, fe = rows["(none: all on)"], rows["(finite-element CCD)"]
    # flat interface, the same eta_c: CCD = 2 i0 sinh(F eta_c / 2RT), so the ratio is i0_b / i0_a
    assert float(all_on["ratio_b_a"]) == pytest.approx(1.11 / 0.69, rel=1e-9)
    assert float(fe["ratio_b_a"]) == pytest.approx(1.11 / 0.69, rel=3e-3)  # bisection tolerance
    assert float(rows["interface_kinetics"]["ratio_b_a"]) == pytest.approx(1.0, rel=1e-9)
    assert float(rows["focusing"]["ratio_b_a"]) == pytest.approx(1.11 / 0.69, rel=1e-3)
    assert rows["flaws"]["note"] == "in neither design: no change"
    text = (folder / "comparison.md").read_text()
    assert "## Mechanisms" in text and "| measured | | | | 2.5 | |" in text and "Porz" not in text
    assert json.loads((folder / "comparison.json").read_text())["mechanisms"][0]["design_b"] == "fast"


def test_where_li_forms_first_in_an_electronic_comparison(tmp_path):
    """Two flat symmetric cells that differ only in sigma_e (uniform): Li forms first inside at
    the same mesh point (the first vertex beyond internal_distance, anode half), and the
    applied onset differs by the leak alone, (1 + s_b (L/s_i + 2R)/L) / (1 + s_a (L/s_i + 2R)/L)
    (docs/electronic.md section 6); the internal onset sets both CCDs and the verdict uses it."""
    import copy

    from solver.physics.kinetics import FARADAY, GAS_CONSTANT
    from tests.support import FLAT

    def flat(name, sigma_e):
        raw = copy.deepcopy(FLAT)
        raw.pop("cycling", None)
        raw.update(name=name, outputs={"mesh_cache": None, "png": False, "fields": False},
                   risk={"criterion": "critical_overpotential", "critical_overpotential": "15 mV",
                         "ccd_start": "0.5 mA/cm^2", "ccd_rtol": 1e-4, "also": ["internal_li_formation"]},
                   electronic={"electronic_conductivity": sigma_e, "critical_supersaturation": "5 mV",
                               "internal_distance": "2 um", "self_discharge": False})
        return parse_case(raw)

    cases = [flat("tight", "1e-6 S/m"), flat("leaky", "1e-3 S/m")]
    folder = compare(cases, 1, tmp_path / "e", Study(name="e", cases=["a", "b"]))
    runs = {r["case"]: r for r in csv.DictReader(open(folder / "metrics.csv"))}
    distance = [float(runs[n]["first_internal_li_distance"]) for n in ("tight", "leaky")]
    assert distance[0] == distance[1] and 2e-6 <= distance[0] < 4e-6  # one mesh, first vertex beyond 2 um
    assert float(runs["tight"]["first_internal_li_depth_fraction"]) == pytest.approx(distance[0] / 20e-6, rel=1e-9)
    sigma_i = cases[0].materials["electrolyte"].get("ionic_conductivity")
    r_ct = GAS_CONSTANT * cases[0].electrochemistry.temperature / (FARADAY * cases[0].exchange_current_density()[0])
    factor = [1 + s * (20e-6 / sigma_i + 2 * r_ct) / 20e-6 for s in (1e-6, 1e-3)]
    onset = [float(runs[n]["internal_li_onset_current_density"]) for n in ("tight", "leaky")]
    assert onset[1] / onset[0] == pytest.approx(factor[1] / factor[0], rel=3e-4)  # two bisections at rtol 1e-4
    for n in ("tight", "leaky"):  # the internal onset sets the CCD (5 mV at 0.8 eta_a against 15 mV)
        assert float(runs[n]["combined_critical_current_density"]) == float(runs[n]["internal_li_onset_current_density"])
    text = (folder / "comparison.md").read_text()
    assert "predicted CCD ratio (all criteria)" in text
    section = text.split("## Where Li forms first")[1]
    assert section.count("| internal_li_formation | anode_half |") == 2
    rows = {r["switched_off"]: r for r in csv.DictReader(open(folder / "mechanisms.csv"))}
    assert float(rows["electronic_leakage"]["ratio_b_a"]) == pytest.approx(1.0, rel=1e-9)  # same flaw chain
