"""The run report (report.html, report.md) and the field files a run writes.

A coarse 2D run with primary kinetics (its overpotential is zero by construction, ~1e-22 V
in floating point): the report is rendered in headless Chromium (Debian's ``chromium``)
and checked for a non-blank page with its pictures and tables; ``fields.vtu`` and
``fields.xdmf`` open with pyvista and meshio with named fields.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
from solver.analysis.registry import ROUND_OFF, format_value, metric
from solver.config.case import parse_case
from solver.studies.run import run_case
from tests.support import BASE, run_chromium, coloured_fraction, parse_html, screenshot, needs_chromium, shared_tmp

CELL_FIELDS = {"current_density_A_m2", "current_density_magnitude_A_m2", "ionic_conductivity_S_m", "region"}


@pytest.fixture(scope="module")
def primary_run(tmp_path_factory):
    raw = copy.deepcopy(BASE)
    raw.update(name="primary_report", description="Rough Li | LPSC, primary current distribution")
    raw["electrochemistry"]["kinetics"] = {"law": "primary"}
    raw["outputs"] = {"mesh_cache": None}
    return run_case(parse_case(raw), out=shared_tmp(tmp_path_factory, "report") / "run", quiet=True)


@pytest.mark.mpi
def test_report_is_written_after_the_pictures_and_checksummed(primary_run):
    folder = primary_run.folder
    if MPI.COMM_WORLD.rank != 0:
        return
    pictures = sorted(p.name for p in folder.glob("*.png"))
    assert pictures == ["current_density.png", "interface_current.png"]
    page = (folder / "report.html").read_text()
    markdown = (folder / "report.md").read_text()
    # every picture the run wrote: embedded in the HTML (nothing refers outside the file), linked in the Markdown
    assert page.count('src="data:image/png;base64,') == len(pictures)
    assert not re.search(r'src="(?!data:)', page)
    assert all(f"]({name})" in markdown for name in pictures)
    listed = (folder / "checksums.sha256").read_text()
    assert "  report.html\n" in listed and "  report.md\n" in listed
    assert solver.open_result(folder).verify() == []


@pytest.mark.mpi
def test_report_tables_carry_units_references_and_versions(primary_run):
    if MPI.COMM_WORLD.rank != 0:
        return
    folder = primary_run.folder
    document = parse_html((folder / "report.html").read_text())
    headers = [tuple(t) for t in document.tables]
    assert ("quantity", "value", "unit", "meaning") in headers
    assert ("region", "material", "property", "value", "unit", "source") in headers
    assert ("software", "version") in headers
    markdown = (folder / "report.md").read_text()
    # the unit column comes from the metric registry; the source column cites references.bib keys
    assert re.search(r"\| worst local current density \| [0-9.]+ \| mA/cm\^2 \|", markdown)
    assert "| electrolyte | Li5.5PS4.5Cl1.5 | ionic conductivity | 7.9 | mS/cm | Su et al. 2024 [su2024]" in markdown
    assert "**[su2024]**" in markdown and "https://doi.org/10.1038/s41467-024-48585-7" in markdown
    assert f"| dendrite | {primary_run.summary['versions']['dendrite']} |" in markdown
    assert "## Verdict" in markdown and "The solution passed its checks" in markdown


@pytest.mark.mpi
def test_round_off_overpotential_is_shown_as_zero(primary_run):
    m = primary_run.summary["metrics"]
    # primary kinetics: eta = 0 by construction; what the solution carries is 0 or round-off
    assert abs(m["max_abs_overpotential"]) < 1e-15 < m["cell_voltage"]
    if MPI.COMM_WORLD.rank != 0:
        return
    text = (primary_run.folder / "report.txt").read_text()
    markdown = (primary_run.folder / "report.md").read_text()
    assert re.search(r"worst local overpotential magnitude\s+0 mV$", text, re.M)
    assert re.search(r"mean overpotential\s+0 mV$", text, re.M)
    assert "| worst local overpotential magnitude | 0 | mV |" in markdown
    assert not re.search(r"overpotential.*\de-\d", text + markdown)


def test_round_off_level_is_relative_to_the_cell_voltage():
    eta = metric("max_abs_overpotential")
    among = {"cell_voltage": 0.1}
    assert format_value(eta, 1e-21, 2, among=among) == "0 mV"
    # a small but resolved overpotential (just above 1e-9 of the cell voltage) is kept
    assert format_value(eta, 2 * ROUND_OFF * 0.1, 2, among=among) == "2e-07 mV"
    assert format_value(eta, 1e-21, 2) == "1e-18 mV"  # without the run's metrics, no level is known


@needs_chromium
def test_report_renders_in_headless_chromium(primary_run, tmp_path):
    if MPI.COMM_WORLD.rank != 0:
        return
    page = primary_run.folder / "report.html"
    pixels = screenshot(tmp_path, page)
    assert pixels.shape == (2400, 1280, 3)
    assert pixels.std() > 10.0  # a blank page has no variance at all
    # the pictures are decoded and drawn: without them (same page, images removed) the
    # coloured fraction drops to the thin heading rule
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r'<img [^>]*>', "", page.read_text()))
    assert coloured_fraction(pixels) > 0.02 > coloured_fraction(screenshot(tmp_path, bare))
    dom = parse_html(run_chromium(tmp_path, page, "--dump-dom").stdout)
    assert len(dom.tables) >= 5 and ["quantity", "value", "unit", "meaning"] in dom.tables
    assert dom.images == ["data:image/png;base64,"] * 2


@pytest.mark.mpi
def test_fields_open_in_pyvista_and_meshio(primary_run):
    phi = primary_run.fields.potential  # P1: one value per vertex, owned by one rank
    owned = MPI.COMM_WORLD.gather(phi.x.array[:phi.function_space.dofmap.index_map.size_local], root=0)
    if MPI.COMM_WORLD.rank != 0:
        return
    import meshio
    import pyvista

    folder = primary_run.folder
    cells = primary_run.summary["mesh"]["cells"]
    vtu, xdmf = pyvista.read(folder / "fields.vtu"), pyvista.read(folder / "fields.xdmf")
    plain = meshio.read(folder / "fields.vtu")
    with meshio.xdmf.TimeSeriesReader(folder / "fields.xdmf") as series:
        points, blocks = series.read_points_cells()
        time, point_data, cell_data = series.read_data(0)
    assert vtu.n_cells == xdmf.n_cells == cells == sum(len(b.data) for b in blocks)
    assert sum(len(b.data) for b in plain.cells) == cells
    for names in (set(vtu.point_data), set(xdmf.point_data), set(plain.point_data), set(point_data)):
        assert names == {"potential_V"}
    for names in (set(vtu.cell_data), set(xdmf.cell_data), set(plain.cell_data), set(cell_data)):
        assert names == CELL_FIELDS
    assert time == 0.0 and xdmf["potential_V"].dtype == np.float64
    # one conforming mesh (no vertex duplicated at rank boundaries) carrying the solution's
    # P1 values exactly, in both files
    assert vtu.n_points == xdmf.n_points == len(points) == primary_run.summary["mesh"]["vertices"]
    solution = np.sort(np.concatenate(owned))
    np.testing.assert_array_equal(np.sort(vtu["potential_V"]), solution)
    np.testing.assert_array_equal(np.sort(xdmf["potential_V"]), solution)
    np.testing.assert_array_equal(np.sort(point_data["potential_V"].ravel()), solution)
    np.testing.assert_array_equal(np.unique(vtu["region"]), [primary_run.summary["mesh"]["regions"]["electrolyte"]])
    assert vtu["current_density_A_m2"].shape == (cells, 3)
