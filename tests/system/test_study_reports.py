"""The reports of a cycling run, a cycling comparison, a fracture case and a sweep: report.md
and a self-contained report.html with the verdict, tables whose units come from the metric
registry, the pictures embedded and the inputs with their sources; the cycling report is
rendered in headless Chromium."""

from __future__ import annotations

import copy
import re

import pytest
import yaml
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
from solver.config.case import parse_case
from tests.support import BASE, CURRENT, FLAT, run_chromium, coloured_fraction, parse_html, screenshot, needs_chromium, shared_tmp

RESULTS = ("quantity", "value", "unit", "meaning")
MATERIALS = ("region", "material", "property", "value", "unit", "source")


def _document(folder):
    page = (folder / "report.html").read_text()
    return page, parse_html(page), (folder / "report.md").read_text()


def _embedded(page: str, folder) -> None:
    """Every PNG of the folder is embedded, nothing refers outside the file."""
    assert page.count('src="data:image/png;base64,') == len(list(folder.glob("*.png"))) > 0
    assert not re.search(r'src="(?!data:)', page)


@pytest.fixture(scope="module")
def cycling_run(tmp_path_factory):
    from solver.studies.cycle import run_cycle

    raw = copy.deepcopy(FLAT)
    raw.update(name="flat_cycle", description="flat Li | LPSC cell, one cycle, rest, two steps")
    raw["outputs"].update(png=True)
    return run_cycle(parse_case(raw), out=shared_tmp(tmp_path_factory, "cycling_report") / "run")


@pytest.mark.mpi
def test_cycling_report(cycling_run):
    if MPI.COMM_WORLD.rank != 0:
        return
    folder = cycling_run.folder
    page, document, markdown = _document(folder)
    _embedded(page, folder)
    headers = [tuple(t) for t in document.tables]
    assert RESULTS in headers and MATERIALS in headers and ("software", "version") in headers
    assert ("segment", "start [h]", "end [h]", "steps", "current density [mA/cm^2]", "cell voltage [mV]",
            "final contact fraction") in headers
    # the display units of the registry: 2 mA/cm^2 is the largest step of the protocol (20 A/m^2)
    assert "| highest current density applied | 2 | mA/cm^2 |" in markdown
    assert "| time to short | no short | h |" in markdown
    volts = max(abs(r["cell_voltage_V"]) for r in cycling_run.rows) * 1e3
    assert f"| largest \\|cell voltage\\| | {volts:.4g} | mV |" in markdown
    assert "No short within the" in markdown and "is a lower bound of the critical current density" in markdown
    assert "| block 1 rest |" in markdown and "**[su2024]**" in markdown
    assert f"| dendrite | {cycling_run.summary['versions']['dendrite']} |" in markdown


@needs_chromium
def test_cycling_report_renders_in_headless_chromium(cycling_run, tmp_path):
    if MPI.COMM_WORLD.rank != 0:
        return
    page = cycling_run.folder / "report.html"
    pixels = screenshot(tmp_path, page)
    assert pixels.std() > 10.0
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r"<img [^>]*>", "", page.read_text()))
    assert coloured_fraction(pixels) > coloured_fraction(screenshot(tmp_path, bare))
    dom = parse_html(run_chromium(tmp_path, page, "--dump-dom").stdout)
    assert list(RESULTS) in dom.tables and list(MATERIALS) in dom.tables
    assert dom.images == ["data:image/png;base64,"]


@pytest.mark.mpi
def test_cycling_comparison_report(tmp_path_factory):
    from solver.studies.compare_cycling import compare_cycling

    cases = []
    for name, i0 in (("low_i0", "0.5 mA/cm^2"), ("high_i0", "1.5 mA/cm^2")):
        raw = copy.deepcopy(FLAT)
        raw["name"] = name
        raw["electrochemistry"]["kinetics"] = {"law": "linear", "exchange_current_density": i0}
        raw["cycling"]["protocol"] = raw["cycling"]["protocol"][:1]
        cases.append(parse_case(raw))
    folder = compare_cycling(cases, out=shared_tmp(tmp_path_factory, "cycling_cmp") / "cmp",
                             groups=MPI.COMM_WORLD.size)
    if MPI.COMM_WORLD.rank != 0:
        return
    page, document, markdown = _document(folder)
    _embedded(page, folder)
    assert MATERIALS in [tuple(t) for t in document.tables]
    assert "| time to short [h] |" in markdown and "## Verdict" in markdown
    for name in ("low_i0", "high_i0"):  # each run has its own report, linked from the comparison
        assert (folder / "runs" / f"{name}-0" / "report.html").is_file()
        assert f"runs/{name}-0/report.html" in markdown
    assert "| exchange current density | 0.5 | mA/cm^2 | case |" in markdown


@pytest.mark.mpi
def test_fracture_report(tmp_path_factory):
    from solver.studies.run import run_case

    raw = yaml.safe_load(open("cases/fracture/edge_crack_2d.yaml"))
    raw["mesh"] = {"size": "4 um", "interface_size": "0.2 um"}  # coarse: the report, not K, is tested
    raw["outputs"] = {"mesh_cache": None}
    result = run_case(parse_case(raw), out=shared_tmp(tmp_path_factory, "fracture_report") / "run", quiet=True)
    if MPI.COMM_WORLD.rank != 0:
        return
    page, document, markdown = _document(result.folder)
    headers = [tuple(t) for t in document.tables]
    assert RESULTS in headers and MATERIALS in headers
    assert ("tip", "x [um]", "y [um]", "K_I [MPa m^0.5]", "K_II [MPa m^0.5]") in headers
    k_max = result.summary["fracture"]["max_stress_intensity"]
    assert f"| largest K_I | {k_max * 1e-6:.4g} | MPa m^0.5 |" in markdown
    # Li6PS5Cl: K_Ic 0.23 MPa m^0.5 in the library (mcgrogan2017)
    assert f"ratio {k_max / 0.23e6:.3g})" in markdown and "**[mcgrogan2017]**" in markdown
    assert "  report.html\n" in (result.folder / "checksums.sha256").read_text()


@pytest.mark.mpi
def test_sweep_report(tmp_path_factory):
    from solver.studies.sweep import run_sweep

    raw = copy.deepcopy(BASE)
    raw["outputs"] = {"mesh_cache": None}
    values = ["0.5 mA/cm^2", "2 mA/cm^2"]
    result = run_sweep(parse_case(raw), CURRENT, values, shared_tmp(tmp_path_factory, "sweep_report") / "sweep")
    if MPI.COMM_WORLD.rank != 0:
        return
    page, document, markdown = _document(result.folder)
    _embedded(page, result.folder)
    table = next(t for t in document.tables if t[0] == CURRENT)
    assert table[1] == "status" and "worst local current density [mA/cm^2]" in table
    for value in values:
        assert re.search(rf"\| {re.escape(value)} \| ok \| [0-9.]+ \|", markdown)
    assert "2 of 2 points solved" in markdown and MATERIALS in [tuple(t) for t in document.tables]
