"""Plugins from outside the package: the installed example package (entry points) and one
user module (`--plugin FILE.py`), used from YAML; an edited builder is meshed again."""

import copy
import hashlib
import importlib.metadata
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import meshes
from solver import plugins
from solver.cli import main
from solver.config.case import load_case, parse_case
from solver.physics.kinetics import FARADAY, GAS_CONSTANT
from tests.support import ROOT

PACKAGE = ROOT / "examples" / "dendrite_example_plugin"
SINGLE = ROOT / "examples" / "single_file_plugin.py"
LI_MOLAR_VOLUME = 1.30e-5  # m^3/mol (Porz et al. 2017), as solver.analysis.risk


def _sources(folder: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.glob("*.py")))).hexdigest()


@pytest.fixture(scope="module")
def example_package():
    """The example plugin package, installed (once, or again when its sources changed)."""
    try:
        dist = importlib.metadata.distribution("dendrite-example-plugin")
        installed = Path(dist.locate_file("dendrite_example_plugin"))
        fresh = installed.is_dir() and _sources(installed) == _sources(PACKAGE / "dendrite_example_plugin")
    except importlib.metadata.PackageNotFoundError:
        fresh = False
    if not fresh:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        str(PACKAGE)], check=True, timeout=600)
        importlib.invalidate_caches()
    plugins.load_entry_points(rescan=True)  # the package may have been installed just now
    return PACKAGE


def test_example_package_geometry_law_criterion_and_material_from_yaml(example_package, tmp_path):
    from solver.studies.run import run_case

    case = load_case(example_package / "step_case.yaml")
    assert case.declaration.dimension == 2 and case.materials["electrolyte"].name == "beta-Li3PS4"
    result = run_case(case, out=tmp_path / "run", quiet=True)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    m, risk = summary["metrics"], summary["risk"]
    # the law's own parameter: R = 10 ohm cm^2 = 1e-3 ohm m^2 is its linear resistance
    assert m["charge_transfer_resistance"] == pytest.approx(1e-3, rel=1e-12)
    # i = eta / R pointwise, so the mean |eta| is R times the mean interface current density
    assert abs(m["mean_overpotential"]) == pytest.approx(1e-3 * m["mean_interface_current_density"], rel=1e-8)
    # the criterion: Porz pressure of the worst |eta| over 100 MPa (no flaw: the interface as a whole)
    assert risk["criterion"] == "critical_pressure"
    assert risk["worst_ratio"] == pytest.approx(FARADAY * m["max_abs_overpotential"] / LI_MOLAR_VOLUME / 1e8,
                                                rel=1e-9)
    assert result.summary["metrics"]["charge_balance_error"] < 1e-10


@pytest.mark.mpi
def test_example_law_on_a_flat_cell_matches_its_resistance(example_package, tmp_path):
    """Flat slab, ohmic interface: phi_counter = i (L / sigma + R) exactly (P1 is exact)."""
    from solver.studies.run import run_case

    raw = {
        "name": "ohmic_flat",
        "geometry": {"type": "rough_interface_2d", "width": "4 um", "thickness": "10 um"},
        "mesh": {"size": "1 um", "interface_size": "1 um"},
        "materials": {"electrolyte": "beta-Li3PS4"},
        "electrochemistry": {"applied_current_density": "1 mA/cm^2",
                             "kinetics": {"law": "ohmic_interface", "interface_resistance": "25 ohm cm^2"}},
        "outputs": {"png": False, "fields": False, "mesh_cache": None},
    }
    result = run_case(parse_case(raw), out=tmp_path / "run", quiet=True)
    sigma = 0.164 * 0.1  # 0.164 mS/cm in S/m (the plugin material)
    exact = 10.0 * (10e-6 / sigma + 25e-4)
    # Newton/linear solve to 1e-10 relative: the finite-element answer is exact to round-off
    assert result.summary["metrics"]["counter_potential"] == pytest.approx(exact, rel=1e-8)


def test_plugin_file_geometry_law_criterion_from_yaml(tmp_path):
    out = tmp_path / "run"
    case_file = ROOT / "examples" / "single_file_case.yaml"
    assert main(["--plugin", str(SINGLE), "run", str(case_file), "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    m = summary["metrics"]
    i, i0, eta_0 = 10.0, 6.9, 0.040  # A/m^2 (1 mA/cm^2), LPSC's i0, the law's own parameter [V]
    # flat cell, uniform current: the plating overpotential inverts i = 2 i0 sinh(eta / eta_0)
    assert m["mean_overpotential"] == pytest.approx(-eta_0 * math.asinh(i / (2 * i0)), rel=1e-8)
    assert m["charge_transfer_resistance"] == pytest.approx(eta_0 / (2 * i0), rel=1e-12)
    # the criterion: growth velocity |i| V_m / F over 10 nm/s
    risk = summary["risk"]
    assert risk["criterion"] == "critical_plating_velocity"
    assert risk["worst_ratio"] == pytest.approx(m["max_interface_current_density"] * LI_MOLAR_VOLUME / FARADAY / 1e-8,
                                                rel=1e-9)
    # not BV: with eta_0 = 2 R T / F the law would be symmetric Butler-Volmer
    assert eta_0 != pytest.approx(2 * GAS_CONSTANT * 298.15 / FARADAY, rel=0.1)


def test_validate_with_a_plugin_file_and_without_it(tmp_path, capsys):
    case_file = ROOT / "examples" / "single_file_case.yaml"
    assert main(["validate", str(case_file), "--plugin", str(SINGLE)]) == 0
    assert "valid (geometry plain_slab_2d 2D" in capsys.readouterr().out
    assert main(["--plugin", str(tmp_path / "missing.py"), "validate", str(case_file)]) == 2
    assert "--plugin" in capsys.readouterr().err


def _load_copy(path: Path, geometry: str):
    """Load the plugin file at ``path`` afresh (as a new process would after an edit)."""
    meshes.registry.pop(geometry, None)
    for name in [n for n, m in list(sys.modules.items()) if getattr(m, "__file__", None) == str(path.resolve())]:
        del sys.modules[name]
    return plugins.load_file(path)


def test_an_edited_builder_is_meshed_again_not_served_from_the_cache(tmp_path):
    from solver.geometry.driver import build_mesh, mesh_key

    source = tmp_path / "my_plugin.py"
    text = SINGLE.read_text().replace('"plain_slab_2d"', '"cache_test_slab_2d"')
    source.write_text(text)
    _load_copy(source, "cache_test_slab_2d")
    gen = meshes.get("cache_test_slab_2d")
    params, settings, cache = gen.parameters(), meshes.MeshSettings(size="2 um"), tmp_path / "cache"
    first = build_mesh("cache_test_slab_2d", params, settings, cache_dir=cache)
    again = build_mesh("cache_test_slab_2d", params, settings, cache_dir=cache)
    assert not first.statistics["cache_hit"] and again.statistics["cache_hit"]
    key = mesh_key("cache_test_slab_2d", params, settings)
    # edit the builder: the element size it chooses by default (same parameters, same settings)
    source.write_text(text.replace('mesh.size or p.thickness / 8', 'mesh.size or p.thickness / 9'))
    _load_copy(source, "cache_test_slab_2d")
    assert mesh_key("cache_test_slab_2d", params, settings) != key
    edited = build_mesh("cache_test_slab_2d", params, settings, cache_dir=cache)
    assert not edited.statistics["cache_hit"]
    del meshes.registry["cache_test_slab_2d"]


def test_material_plugin_entries_carry_their_sources(example_package):
    from solver.materials.library import library

    mat = library()["beta-Li3PS4"]
    assert mat.values["ionic_conductivity"] == pytest.approx(0.0164, rel=1e-12)  # S/m
    assert "J. Am. Chem. Soc." in mat.sources["ionic_conductivity"]


def test_a_plugin_law_parameter_unknown_to_it_is_an_error(example_package):
    raw = yaml.safe_load((example_package / "step_case.yaml").read_text())
    bad = copy.deepcopy(raw)
    bad["electrochemistry"]["kinetics"]["anodic_transfer_coefficient"] = 0.5
    with pytest.raises(Exception) as info:
        parse_case(bad)
    assert str(info.value).startswith("electrochemistry.kinetics.anodic_transfer_coefficient: not a parameter of "
                                      "the law ohmic_interface (it takes: law, film_resistance, interface_resistance)")
