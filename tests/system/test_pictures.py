"""The pictures a run writes, checked from their metadata and pixels: a coarse 2D case with
contact voids (serial and under MPI), a polycrystal with its GB network, the fast entries of
the documentation gallery regenerated and compared with the shipped pictures, and every
picture of the shipped gallery."""

from __future__ import annotations

import copy
import json
import re

import pytest

from solver.config.case import parse_case
from solver.io.pictures.gallery import make_gallery
from solver.io.pictures.meta import check_picture, read_info
from solver.studies.run import run_case
from tests.support import ROOT, SMALL_CASE, shared_tmp

GALLERY = ROOT / "docs" / "img" / "gallery"


@pytest.fixture(scope="module")
def voids_run(tmp_path_factory):
    raw = copy.deepcopy(SMALL_CASE)
    raw["mesh"] = {"interface_size": "0.2 um", "size": "2 um"}
    raw["name"] = "voids"
    return run_case(parse_case(raw), out=shared_tmp(tmp_path_factory, "voids") / "out", quiet=True)


@pytest.mark.mpi
def test_run_pictures_pass_every_check(voids_run):
    folder = voids_run.folder
    for name in ("current_density.png", "interface_current.png"):
        assert check_picture(folder / name) == [], name


@pytest.mark.mpi
def test_map_states_units_range_and_draws_the_voids(voids_run):
    info = read_info(voids_run.folder / "current_density.png")
    assert info["title"] == "voids: current density magnitude" and info["unit"] == "mA/cm^2"
    assert info["axes"]["x"] == "x [\u00b5m]" and "[mA/cm$^{2}$]" in info["axes"]["colour"]
    lo, hi = info["colour_range"]
    dmin, dmax = info["data_range"]
    assert dmin <= lo < hi <= dmax  # robust range inside the data, the true maximum stated
    assert f"maximum {dmax:.3g} mA/cm^2" in info["caption"]
    assert "contact voids (no contact)" in info["layers"]


@pytest.mark.mpi
def test_interface_plot_maximum_is_the_reported_metric(voids_run):
    info = read_info(voids_run.folder / "interface_current.png")
    summary = json.loads((voids_run.folder / "summary.json").read_text())
    reported = summary["metrics"]["max_interface_current_density"] * 0.1  # A/m^2 -> mA/cm^2
    assert info["max_current_density"] == pytest.approx(reported, rel=1e-12)
    # 20 % contact loss in 1 um voids on a 10 um interface: separate contact runs, no line across a void
    assert info["contact_runs"] == 1 + summary["metrics"]["void_edges"]["count"] // 2
    assert info["overpotential"] == "shown"


def test_primary_kinetics_overpotential_is_not_applicable(tmp_path):
    raw = copy.deepcopy(SMALL_CASE)
    raw["mesh"] = {"interface_size": "0.25 um", "size": "2 um"}
    raw["electrochemistry"]["kinetics"] = {"law": "primary"}
    result = run_case(parse_case(raw), out=tmp_path / "out", quiet=True)
    info = read_info(result.folder / "interface_current.png")
    assert info["overpotential"] == "not applicable"
    assert check_picture(result.folder / "interface_current.png") == []


def test_the_gallery_regenerates_and_matches_the_shipped_pictures(tmp_path):
    """The docs gallery, made again from the shipped cases (2D and 3D) by the test command."""
    sections = make_gallery(tmp_path / "img", tmp_path / "gallery.md")
    made = [p for _, pictures in sections for p in pictures]
    assert {p.name for p in made} == {p.name for p in GALLERY.glob("*.png")}
    for png in made:
        assert check_picture(png) == [], png.name
        new, shipped = read_info(png), read_info(GALLERY / png.name)
        for key in ("title", "quantity", "unit", "axes"):
            assert new[key] == shipped[key], (png.name, key)
        for key in ("colour_range", "data_range"):
            if key in new:
                assert new[key] == pytest.approx(shipped[key], rel=1e-6), (png.name, key)
    page = (tmp_path / "gallery.md").read_text()
    assert all(f"img/gallery/{p.name}" in page for p in made)


def test_shipped_gallery_page_and_pictures():
    page = (ROOT / "docs" / "gallery.md").read_text()
    linked = re.findall(r"\]\(img/gallery/([^)]+\.png)\)", page)
    on_disk = sorted(p.name for p in GALLERY.glob("*.png"))
    assert sorted(linked) == on_disk and len(on_disk) >= 10
    assert any(read_info(GALLERY / n).get("kind") == "view_3d" for n in on_disk)  # 2D and 3D
    for name in on_disk:
        assert check_picture(GALLERY / name) == [], name
    assert "gallery.md" in (ROOT / "mkdocs.yml").read_text()
