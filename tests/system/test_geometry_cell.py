"""cell_2d (issue 4): anode x interface roughness (+ voids) x electrolyte microstructure in one model.

Small meshes (well under a second each). Helpers are those of test_geometries.py (tests/support.py): region
areas assembled by DOLFINx, tagged-facet lengths from vertices, conformity as "exterior
facets are exactly the tagged outer boundaries".
"""

from __future__ import annotations

import pytest

import solver  # noqa: F401  (before dolfinx)

import meshes
from meshes import MeshSettings
from solver.config.case import parse_case
from solver.studies.run import run_case
from tests.support import approx, assert_conforming, boundary_measure, build, measure

ROUGH_POLY = dict(
    width="4 um", thickness="4 um", anode="li_al_cl", interphase_thickness="150 nm",
    profile=dict(kind="random", rms_height="0.1 um", correlation_length="1 um", seed=2),
    contact=dict(fraction=0.8, void_size="0.4 um", seed=1),
    electrolyte="polycrystal", mean_grain_size="1 um", seed=3,
)
COARSE = MeshSettings(interface_size="60 nm", size="0.3 um")


@pytest.mark.mpi
def test_li_al_cl_random_voids_polycrystal():
    tm, p = build("cell_2d", COARSE, **ROUGH_POLY)
    md = tm.metadata
    assert set(tm.regions) == {"interphase", "electrolyte", "grains"}
    assert set(tm.boundaries) == {"anode_interface", "contact_voids", "counter_electrode", "sides",
                                  "grain_boundary_facets"}
    W, T, t = 4e-6, 4e-6, 150e-9
    # the interphase is the interface splines shifted by t along y: area t W exactly, up to
    # the chord error of the two (differently meshed) spline chains (1e-3)
    assert measure(tm, "interphase") == approx(t * W, rel=1e-3)
    # grains fill the straight box above the buffer: exact; total = W T up to chord error
    assert measure(tm, "grains") == approx(W * (T - md["grains_bottom_m"]), rel=1e-9)
    total = sum(measure(tm, r) for r in tm.regions)
    assert total == approx(W * T, rel=1e-3)
    # the interface is longer than W (rough); voids take their share of the arc length
    contact, void = boundary_measure(tm, "anode_interface"), boundary_measure(tm, "contact_voids")
    assert contact + void == approx(md["interface_length_m"], rel=2e-3)
    assert contact + void > W
    assert void == approx(md["void_length_m"], rel=5e-3)
    projected = sum(b - a for a, b in md["void_intervals_m"])
    assert projected / W == approx(1 - 0.8, rel=1e-9)
    assert boundary_measure(tm, "grain_boundary_facets") == approx(md["gb_length_m"], rel=1e-9)
    assert md["grain_count"] >= 5
    assert_conforming(tm)


def test_bare_sinusoid_glass_and_flat_voids():
    tm, p = build("cell_2d", width="4 um", thickness="3 um", anode="bare",
                  profile=dict(kind="sinusoids", modes=[dict(amplitude="0.2 um", wavelength="2 um")]))
    assert set(tm.regions) == {"electrolyte"}
    assert set(tm.boundaries) == {"anode_interface", "counter_electrode", "sides"}
    assert measure(tm, "electrolyte") == approx(4e-6 * 3e-6, rel=1e-3)  # mean-zero profile
    assert boundary_measure(tm, "anode_interface") == approx(tm.metadata["interface_length_m"], rel=2e-3)
    assert_conforming(tm)
    # flat Li-Al-Cl anode with voids on glass: straight lines, exact measures
    tm, p = build("cell_2d", width="4 um", thickness="2 um", interphase_thickness="100 nm",
                  contact=dict(fraction=0.75, void_size="0.5 um", seed=4))
    assert set(tm.regions) == {"interphase", "electrolyte"}
    assert measure(tm, "interphase") == approx(100e-9 * 4e-6, rel=1e-9)
    assert measure(tm, "electrolyte") == approx(1.9e-6 * 4e-6, rel=1e-9)
    assert boundary_measure(tm, "contact_voids") == approx(0.25 * 4e-6, rel=1e-9)
    assert boundary_measure(tm, "anode_interface") == approx(0.75 * 4e-6, rel=1e-9)
    assert_conforming(tm)


def test_seeded_reproducible_and_validated():
    a, _ = build("cell_2d", COARSE, **ROUGH_POLY)
    b, _ = build("cell_2d", COARSE, **ROUGH_POLY)
    c, _ = build("cell_2d", COARSE, **{**ROUGH_POLY, "seed": 4})
    assert a.metadata["seeds_m"] == b.metadata["seeds_m"] != c.metadata["seeds_m"]
    assert a.metadata["void_intervals_m"] == b.metadata["void_intervals_m"]
    assert a.statistics["cells"] == b.statistics["cells"]
    P = meshes.get("cell_2d").parameters
    with pytest.raises(ValueError, match="half the smallest"):
        P(interphase_thickness="0.6 um", profile=dict(kind="random", rms_height="0.1 um", correlation_length="1 um"))
    with pytest.raises(ValueError, match="no room for grains"):
        P(thickness="0.6 um", electrolyte="polycrystal", mean_grain_size="1 um")
    with pytest.raises(ValueError, match="does not divide"):
        P(profile=dict(kind="sinusoids", modes=[dict(amplitude="0.1 um", wavelength="3 um")]))


def charge_balance(tmp_path, geometry: dict, materials: dict, **sections) -> float:
    raw = {
        "name": "cell_test",
        "geometry": {"type": "cell_2d", **geometry},
        "mesh": {"interface_size": "60 nm", "size": "0.3 um"},
        "materials": materials,
        **sections,
        "electrochemistry": {"applied_current_density": "1 mA/cm^2"},
        "outputs": {"mesh_cache": None},
    }
    result = run_case(parse_case(raw, "cell_test"), out=tmp_path / "o", quiet=True)
    return result.summary["metrics"]["charge_balance_error"]


@pytest.mark.mpi
def test_cell_conduction_all_axes(tmp_path):
    """Li-Al-Cl interphase + random profile + voids + polycrystal with lumped GBs, also on 2 ranks
    (the lumped GB terms need the shared-facet ghosting the mesh driver sets)."""
    materials = {"electrolyte": "Li6PS5Cl", "grains": "Li6PS5Cl", "interphase": "Li9Al4+LiCl"}
    gb = {"model": "lumped_facets", "material": "Li6PS5Cl_grain_boundary"}
    assert charge_balance(tmp_path, ROUGH_POLY, materials, grain_boundaries=gb) < 1e-8
