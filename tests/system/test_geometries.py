"""Geometry library (issue 4): named groups, region measures, seeds, conformity.

Every mesh here is small (seconds). Region measures are assembled with DOLFINx and
reduced over ranks; conformity is checked by comparing the exterior facets (facets with
one neighbouring cell) with the tagged outer boundaries: an internal crack or duplicated
nodes along a grain/layer interface would add untagged exterior facets.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
import dolfinx

import meshes
from meshes import MeshSettings
from solver.geometry.driver import build_mesh, mesh_key
from tests.support import ROOT, approx, assert_conforming, boundary_measure, build, measure, owned


# --------------------------------------------------------------------------- registry
def test_all_generators_registered_with_described_parameters():
    for name in ("rough_interface_3d", "flaw_2d", "profile_2d", "polycrystal_2d", "polycrystal_3d",
                 "nanodomains_2d", "stratified_anode_2d", "trench_2d"):
        gen = meshes.get(name)
        assert gen.description
        for field, info in gen.parameters.model_fields.items():
            assert info.description, f"{name}.{field} has no description"


# --------------------------------------------------------------------------- polycrystal
@pytest.mark.mpi
def test_polycrystal_2d_facets_groups_area_and_gb_length():
    tm, p = build("polycrystal_2d", width="5 um", thickness="4 um", mean_grain_size="1 um", seed=1)
    assert set(tm.regions) == {"grains"}
    assert set(tm.boundaries) == {"anode_interface", "counter_electrode", "sides", "grain_boundary_facets"}
    # straight edges are meshed exactly: only round-off (1e-9 relative)
    assert measure(tm, "grains") == approx(5e-6 * 4e-6, rel=1e-9)
    assert boundary_measure(tm, "anode_interface") == approx(5e-6, rel=1e-9)
    assert boundary_measure(tm, "grain_boundary_facets", interior=True) == approx(
        tm.metadata["gb_length_m"], rel=1e-9)
    assert tm.metadata["grain_count"] == 20
    assert_conforming(tm)


@pytest.mark.mpi
def test_polycrystal_2d_explicit_gb_fraction():
    tm, p = build("polycrystal_2d", width="5 um", thickness="4 um", mean_grain_size="1 um", seed=2,
                  gb="explicit", gb_thickness="40 nm")
    assert {"grains", "grain_boundaries"} == set(tm.regions)
    a_g, a_gb = measure(tm, "grains"), measure(tm, "grain_boundaries")
    assert a_g + a_gb == approx(2e-11, rel=1e-9)  # polygons: exact up to round-off
    assert a_gb == approx(tm.metadata["gb_area_m2"], rel=1e-6)
    # analytic estimate delta * L_gb / A ignores the O(delta^2) triple-junction overlaps and
    # edges shorter than delta: a few % at delta / D = 0.04, so 10 % is a safe bound
    assert a_gb / 2e-11 == approx(tm.metadata["gb_area_fraction_estimate"], rel=0.10)
    assert_conforming(tm)


def test_polycrystal_seed_reproducible_and_different():
    kw = dict(width="4 um", thickness="3 um", mean_grain_size="1 um", gb="explicit", gb_thickness="50 nm")
    a, pa = build("polycrystal_2d", seed=5, **kw)
    b, pb = build("polycrystal_2d", seed=5, **kw)
    c, pc = build("polycrystal_2d", seed=6, **kw)
    assert mesh_key("polycrystal_2d", pa, MeshSettings()) == mesh_key("polycrystal_2d", pb, MeshSettings())
    assert mesh_key("polycrystal_2d", pa, MeshSettings()) != mesh_key("polycrystal_2d", pc, MeshSettings())
    assert a.metadata["seeds_m"] == b.metadata["seeds_m"] != c.metadata["seeds_m"]
    assert a.statistics["cells"] == b.statistics["cells"]
    assert measure(a, "grain_boundaries") == measure(b, "grain_boundaries")  # bitwise: same mesh
    assert measure(a, "grain_boundaries") != approx(measure(c, "grain_boundaries"), rel=1e-6, abs=0)


def test_polycrystal_spread_changes_size_distribution():
    kw = dict(width="8 um", thickness="8 um", mean_grain_size="1 um", seed=3)
    even = meshes.get("polycrystal_2d").parameters(spread=0.0, **kw).seeds()
    poisson = meshes.get("polycrystal_2d").parameters(spread=1.0, **kw).seeds()
    from scipy.spatial import cKDTree

    nn = lambda s: cKDTree(s).query(s, k=2)[0][:, 1]  # noqa: E731  nearest-neighbour distances
    assert len(even) == len(poisson) == 64
    assert nn(even).min() >= 0.75e-6 * (1 - 1e-12)  # the hard-core distance at spread 0
    assert np.std(nn(poisson)) > 1.5 * np.std(nn(even))


def test_polycrystal_rejects_impossible_parameters():
    P2, P3 = meshes.get("polycrystal_2d").parameters, meshes.get("polycrystal_3d").parameters
    with pytest.raises(ValueError, match="quarter of the mean grain size"):
        P2(gb="explicit", gb_thickness="0.3 um", mean_grain_size="1 um")
    with pytest.raises(ValueError, match="only available in 2D"):
        P3(gb="explicit")
    with pytest.raises(ValueError, match="exceed the limit"):
        P2(width="1 mm", thickness="1 mm", mean_grain_size="1 um")


@pytest.mark.mpi
def test_polycrystal_3d_facets_volume_and_conformity():
    tm, p = build("polycrystal_3d", MeshSettings(size="0.6 um", interface_size="0.4 um"),
                  width="3 um", depth="3 um", thickness="3 um", mean_grain_size="1 um", seed=4)
    assert set(tm.regions) == {"grains"}
    assert {"anode_interface", "counter_electrode", "sides", "grain_boundary_facets"} == set(tm.boundaries)
    assert tm.metadata["grain_count"] == 27
    assert measure(tm, "grains") == approx(27e-18, rel=1e-9)  # planar faces: exact
    assert boundary_measure(tm, "anode_interface") == approx(9e-12, rel=1e-9)
    assert boundary_measure(tm, "grain_boundary_facets", interior=True) == approx(
        tm.metadata["gb_facet_area_m2"], rel=1e-6)
    assert_conforming(tm)


def test_nanodomains_regions_and_shell_fraction():
    tm, p = build("nanodomains_2d", width="150 nm", thickness="120 nm", seed=1)
    assert {"grains", "grain_boundaries"} == set(tm.regions)
    a_c, a_s = measure(tm, "grains"), measure(tm, "grain_boundaries")
    assert a_c + a_s == approx(150e-9 * 120e-9, rel=1e-9)
    # 5 nm shells on ~30 nm domains: delta L_gb / A estimate, corner terms (delta/D)^2 ~ 3 %
    assert a_s / (a_c + a_s) == approx(tm.metadata["gb_area_fraction_estimate"], rel=0.15)
    assert 0.15 < a_s / (a_c + a_s) < 0.45  # ~ 2 delta / D for D = 20..40 nm
    assert_conforming(tm)


# --------------------------------------------------------------------------- flaws
@pytest.mark.mpi
def test_flaw_2d_area_metadata_and_tip_refinement():
    from meshes.flaws import flaw_area

    flaws = [dict(position="4 um", depth="1.5 um", width="0.6 um", tip_radius="0.1 um"),
             dict(position="10 um", depth="1 um", width="1 um", shape="semi_ellipse")]
    tm, p = build("flaw_2d", width="14 um", thickness="6 um", flaws=flaws)
    assert set(tm.regions) == {"electrolyte"}
    assert {"anode_interface", "counter_electrode", "sides"} == set(tm.boundaries)
    expected = 14e-6 * 6e-6 - sum(flaw_area(f) for f in p.flaws)
    # arcs meshed by chords of length <= rho/8: area error << 1e-5 of the total
    assert measure(tm, "electrolyte") == approx(expected, rel=1e-5)
    meta = tm.metadata["flaws"]
    assert meta[0]["tip"] == approx([4e-6, 1.5e-6]) and meta[0]["direction"] == [0.0, 1.0]
    assert meta[1]["tip_radius"] == approx(0.5e-6**2 / 1e-6)
    assert meta[1]["mouth"] == approx([10e-6, 0.0]) and meta[1]["depth"] == approx(1e-6)
    # tip refinement: cells touching the tip are <= rho / 4 (the field asks rho / 8)
    msh = tm.mesh
    n = msh.topology.index_map(2).size_local
    cells = np.arange(n, dtype=np.int32)
    x = msh.geometry.x[msh.geometry.dofmaps[0][:n]]
    near = np.linalg.norm(x[:, :, :2] - np.array([4e-6, 1.5e-6]), axis=2).min(axis=1) < 1e-9
    h_tip = msh.comm.allreduce(float(msh.h(2, cells[near]).max()) if near.any() else 0.0, MPI.MAX)
    assert 0 < h_tip <= 0.1e-6 / 4
    assert_conforming(tm)


def test_flaw_2d_rejects_bad_flaws():
    P = meshes.get("flaw_2d").parameters
    with pytest.raises(ValueError, match="overlap"):
        P(flaws=[dict(position="5 um"), dict(position="5.2 um")])
    with pytest.raises(ValueError, match="exceeds half the opening width"):
        P(flaws=[dict(position="5 um", width="0.2 um", tip_radius="0.2 um")])
    with pytest.raises(ValueError, match="80 %"):
        P(thickness="1 um", flaws=[dict(position="5 um", depth="0.9 um")])


# --------------------------------------------------------------------------- measured profile
@pytest.mark.mpi
def test_profile_2d_from_example_csv():
    tm, p = build("profile_2d", thickness="6 um")
    assert {"anode_interface", "counter_electrode", "sides"} == set(tm.boundaries)
    x, h = p.heights()
    assert x[-1] == approx(12e-6)  # x column 0..12 um
    assert h[0] == approx(h[-1], abs=1e-15)  # periodic
    assert np.abs(h).max() > 100e-9  # nm column read in nm
    # spline through the samples vs its trapezoid integral: << 1e-5 of the area
    assert measure(tm, "electrolyte") == approx(tm.metadata["electrolyte_area_m2"], rel=1e-5)
    assert len(p.file_sha256) == 64
    assert_conforming(tm)


def test_profile_2d_ramps_and_errors(tmp_path):
    P = meshes.get("profile_2d").parameters
    x, h = P(ends="ramps", ramp_length="1 um").heights()
    assert h[0] == 0 and h[-1] == 0
    with pytest.raises(ValueError, match="not found"):
        P(file="no/such/file.csv")
    with pytest.raises(ValueError, match="cannot be converted"):
        P(x_unit="s")
    f = tmp_path / "p.csv"
    f.write_text("0,0\n1,1\n2,0\n3,1\n4,0\n")
    with pytest.raises(ValueError, match="ramps"):
        P(file=str(f), x_unit="um", y_unit="nm", ends="ramps", ramp_length="3 um")


# --------------------------------------------------------------------------- stratified anode
@pytest.mark.mpi
def test_stratified_anode_layers_and_skeleton():
    tm, p = build("stratified_anode_2d", width="6 um", li_thickness="3 um", electrolyte_thickness="3 um",
                  interphase_thickness="150 nm", graded_thickness="150 nm",
                  skeleton=dict(fraction=0.1, particle_diameter="0.6 um", seed=2))
    assert {"li_metal", "skeleton", "interphase_graded", "interphase", "electrolyte"} == set(tm.regions)
    assert {"anode_interface", "counter_electrode", "sides"} == set(tm.boundaries)
    W = 6e-6
    assert measure(tm, "interphase") == approx(150e-9 * W, rel=1e-9)  # flat layers: exact
    assert measure(tm, "interphase_graded") == approx(150e-9 * W, rel=1e-9)
    n = tm.metadata["particle_count"]
    r = 0.3e-6
    assert n == round(0.1 * W * 3e-6 / (np.pi * r**2))
    # circles meshed with ~25 chords (h = d/8): area deficit (2 pi / 25)^2 / 6 ~ 1 %; allow 2 %
    assert measure(tm, "skeleton") == approx(n * np.pi * r**2, rel=0.02)
    assert measure(tm, "li_metal") + measure(tm, "skeleton") == approx(W * 3e-6, rel=1e-9)
    # the anode interface (Li | graded layer) is interior and has length W
    assert boundary_measure(tm, "anode_interface", interior=True) == approx(W, rel=1e-9)
    # exterior = counter + sides + the untagged Li bottom; the anode interface is interior
    tdim = 1
    tm.mesh.topology.create_connectivity(tdim, 2)
    ext = owned(tm, dolfinx.mesh.exterior_facet_indices(tm.mesh.topology))
    mid = dolfinx.mesh.compute_midpoints(tm.mesh, 1, ext)
    bottom = tm.mesh.comm.allreduce(int(np.sum(np.isclose(mid[:, 1], -3e-6, atol=1e-12))))
    assert_conforming(tm, names=("counter_electrode", "sides"), extra_exterior=bottom)


def test_stratified_anode_bare_vs_li_al_cl_and_rough():
    P = meshes.get("stratified_anode_2d").parameters
    bare = P(surface="bare", skeleton=dict(fraction=0))
    assert bare.layers() == []
    assert [n for n, _ in P().layers()] == ["interphase"]
    tm, p = build("stratified_anode_2d", width="4 um", li_thickness="2 um", electrolyte_thickness="2 um",
                  skeleton=dict(fraction=0.05, particle_diameter="0.4 um", seed=1),
                  profile=dict(kind="sinusoids", modes=[dict(amplitude="0.2 um", wavelength="2 um")]))
    # a rough interphase is the same spline shifted by t: area t W up to chord error (1e-3)
    assert measure(tm, "interphase") == approx(100e-9 * 4e-6, rel=1e-3)
    with pytest.raises(ValueError, match="could not place|do not fit"):
        P(li_thickness="0.5 um", skeleton=dict(fraction=0.3, particle_diameter="0.45 um"))
    with pytest.raises(ValueError, match="bare anode"):
        P(surface="bare", graded_thickness="100 nm")


# --------------------------------------------------------------------------- rough 3D
@pytest.mark.mpi
def test_rough_interface_3d_random_volume_and_groups():
    settings = MeshSettings(size="2 um", interface_size="0.8 um")
    tm, p = build("rough_interface_3d", settings, width="6 um", depth="6 um", thickness="5 um",
                  height_map=dict(kind="random", rms_height="0.3 um", correlation_length="2 um", seed=3))
    assert {"anode_interface", "counter_electrode", "sides"} == set(tm.boundaries)
    # B-spline surface meshed by flat triangles of ~0.8 um on ~2 um bumps: volume error ~1e-4
    assert measure(tm, "electrolyte") == approx(tm.metadata["electrolyte_volume_m3"], rel=1e-3)
    assert boundary_measure(tm, "counter_electrode") == approx(36e-12, rel=1e-9)
    # control-net smoothing lowers the RMS a little below the requested 0.3 um
    assert 0.2e-6 < tm.metadata["interface_rms_height_m"] < 0.31e-6
    assert_conforming(tm)


def test_rough_interface_3d_seed_and_sinusoids():
    P = meshes.get("rough_interface_3d").parameters
    hm = dict(kind="random", rms_height="0.3 um", correlation_length="2 um")
    a, b, c = P(height_map=dict(hm, seed=1)), P(height_map=dict(hm, seed=1)), P(height_map=dict(hm, seed=2))
    assert np.array_equal(a.net()[2], b.net()[2]) and not np.allclose(a.net()[2], c.net()[2])
    h = a.net()[2]
    assert np.allclose(h[0], h[-1]) and np.allclose(h[:, 0], h[:, -1])  # periodic in x and y
    with pytest.raises(ValueError, match="does not divide"):
        P(height_map=dict(kind="sinusoids", modes=[dict(amplitude="0.1 um", wavelength_x="3 um")]))


def test_rough_interface_3d_png_height_map(tmp_path):
    import matplotlib.image

    x, y = np.meshgrid(np.linspace(0, 1, 24), np.linspace(0, 1, 16))
    matplotlib.image.imsave(tmp_path / "h.png", 0.5 + 0.5 * np.sin(2 * np.pi * x), cmap="gray", vmin=0, vmax=1)
    p = meshes.get("rough_interface_3d").parameters(
        height_map=dict(kind="image", file=str(tmp_path / "h.png"), max_height="1 um"))
    h = p.net()[2]
    assert abs(h.mean()) < 0.05e-6 and 0.4e-6 < h.max() - 0 < 0.55e-6  # gray 0..1 -> +-0.5 um after mean removal


# --------------------------------------------------------------------------- docs example
@pytest.mark.mpi
def test_docs_example_trench():
    tm, p = build("trench_2d")
    assert measure(tm, "electrolyte") == approx(10e-6 * 5e-6 - 1e-12, rel=1e-9)
    assert_conforming(tm)


def test_docs_embed_the_example_module():
    root = ROOT
    doc = (root / "docs" / "adding_a_geometry.md").read_text()
    assert (root / "meshes" / "examples_trench.py").read_text() in doc


def test_flaw_3d_pit_volume_and_metadata():
    tm, p = build("flaw_3d", MeshSettings(size="1 um", interface_size="0.12 um"), width="4 um", depth="4 um",
                  thickness="3 um", pit_depth="0.8 um", pit_radius="0.5 um")
    assert {"anode_interface", "counter_electrode", "sides"} == set(tm.boundaries)
    # the curved pit face is meshed by flat triangles (h ~ rho / 4): volume error ~1e-4 of the box
    assert measure(tm, "electrolyte") == approx(tm.metadata["electrolyte_volume_m3"], rel=1e-3)
    assert boundary_measure(tm, "counter_electrode") == approx(16e-12, rel=1e-9)
    f = tm.metadata["flaws"][0]
    assert f["tip"] == approx([2e-6, 2e-6, 0.8e-6]) and f["direction"] == [0.0, 0.0, 1.0]
    assert f["tip_radius"] == approx(0.5e-6**2 / 0.8e-6)
    assert_conforming(tm)
    with pytest.raises(ValueError, match="clear of the sides"):
        meshes.get("flaw_3d").parameters(width="1 um", pit_radius="0.5 um")


def test_docs_example_through_yaml_case():
    """The YAML snippet of docs/adding_a_geometry.md, completed to a case, loads and meshes."""
    import re

    import yaml

    from solver.config.case import parse_case

    doc = (ROOT / "docs" / "adding_a_geometry.md").read_text()
    raw = yaml.safe_load(re.search(r"```yaml\n(.*?)```", doc, re.S).group(1))
    raw.update(materials={"electrolyte": "Li5.5PS4.5Cl1.5"},
               electrochemistry={"applied_current_density": "1.0 mA/cm^2", "kinetics": {"law": "primary"}})
    case = parse_case(raw, "trench_doc")
    tm = build_mesh(case.model.geometry.type, case.geometry, case.model.mesh)
    assert measure(tm, "electrolyte") == approx(10e-6 * 5e-6 - 1e-6 * 1e-6, rel=1e-9)


@pytest.mark.parametrize("name, params", [
    ("polycrystal_2d", dict(width="4 um", thickness="3 um", gb="explicit", gb_thickness="80 nm", seed=1)),
    ("flaw_2d", dict(width="8 um", thickness="4 um", flaws=[dict(position="4 um")])),
    ("stratified_anode_2d", dict(width="4 um", li_thickness="2 um", electrolyte_thickness="2 um")),
])
def test_size_factor_refines_every_size(name, params):
    coarse, _ = build(name, MeshSettings(size_factor=2.0), **params)
    fine, _ = build(name, MeshSettings(size_factor=1.0), **params)
    # halving every size gives ~4x the triangles in 2D; fixed geometric features (short
    # edges, arcs) keep some elements fixed, hence the wide bracket
    assert 2.5 < fine.statistics["cells"] / coarse.statistics["cells"] < 5.0
