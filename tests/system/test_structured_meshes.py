"""Structured (height-map) and voxel meshes built by DOLFINx: tags, measures, solves, errors.

Exact references: region volumes are voxel counts x voxel volume and GB facet areas are
counts of label-changing voxel faces x face area (to round-off, 1e-12); a flat slab's
potential is linear (P1 exact, the Newton tolerance 1e-10 is the only error: 1e-8); the
piecewise-linear interpolant of a smooth surface has an area error O(h^2).
"""

import subprocess
import sys

import numpy as np
import pytest
import tifffile
import yaml
from mpi4py import MPI
from scipy.integrate import quad

import ufl
from dolfinx import fem

import meshes
from meshes import MeshSettings
from solver.analysis.metrics import conduction_metrics
from solver.config.adapter import build_case_mesh, case_conductivities, conduction_problem
from solver.config.case import parse_case
from solver.errors import CaseError
from solver.geometry.driver import build_mesh
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.kinetics import make_kinetics
from tests.support import ROOT, assert_charge_balance, assert_conforming, measure, mpirun, needs_mpiexec, shared_tmp

SIGMA = 0.5  # S/m
I = 10.0  # A/m^2


def _build(name, settings=None, **params):
    p = meshes.get(name).parameters.model_validate(params)
    return build_mesh(name, p, settings or MeshSettings()), p


def _surface(tm, tag, interior=False) -> float:
    """Area of the facets tagged ``tag`` [m^2], summed over ranks (owned facets once)."""
    measure_ = ufl.Measure("dS" if interior else "ds", tm.mesh, subdomain_data=tm.facet_tags)
    return tm.mesh.comm.allreduce(fem.assemble_scalar(fem.form(fem.Constant(tm.mesh, 1.0) * measure_(tag))), MPI.SUM)


def _label_faces(labels, same_region) -> np.ndarray:
    """Per axis, how many voxel faces separate two different labels of one region."""
    counts = []
    for axis in range(3):
        a, b = np.moveaxis(labels, axis, 0)[:-1], np.moveaxis(labels, axis, 0)[1:]
        counts.append(np.count_nonzero((a != b) & same_region(a, b)))
    return np.array(counts)


# ---------------------------------------------------------------- voxel meshes
VOXEL = [0.2e-6, 0.25e-6, 0.3e-6]


@pytest.mark.mpi
@pytest.mark.parametrize("cell_type", ["hexahedron", "tetrahedron"])
def test_core_shell_region_volumes_and_gb_area(cell_type):
    params = {"labels": {"kind": "core_shell", "mean_domain_size": "1.5 um", "shell_thickness": "0.1 um",
                         "width": "3 um", "depth": "2.5 um", "thickness": "2.4 um", "seed": 5},
              "voxel_size": VOXEL, "cell_type": cell_type, "regions": {0: "grain_boundaries", "1-3": "grains",
                                                                           "other": "electrolyte"}}
    tm, p = _build("voxel_3d", **params)
    labels = meshes.get("voxel_3d").build(p, MeshSettings()).labels
    assert labels.shape == (15, 10, 8)
    region = {0: "grain_boundaries", 1: "grains", 2: "grains", 3: "grains"}
    names = np.vectorize(lambda v: region.get(int(v), "electrolyte"))(labels)
    v_voxel = np.prod(VOXEL)
    for name in ("grains", "grain_boundaries", "electrolyte"):
        assert measure(tm, name) == pytest.approx(np.count_nonzero(names == name) * v_voxel, rel=1e-12)
    faces = _label_faces(labels, lambda a, b: (a > 0) & (b > 0) & ((a <= 3) == (b <= 3)))
    face_area = np.array([VOXEL[1] * VOXEL[2], VOXEL[0] * VOXEL[2], VOXEL[0] * VOXEL[1]])
    assert faces.sum() > 0
    assert _surface(tm, tm.boundaries["grain_boundary_facets"], True) == pytest.approx(faces @ face_area, rel=1e-12)
    box = np.array(labels.shape) * VOXEL
    assert _surface(tm, tm.boundaries["anode_interface"]) == pytest.approx(box[0] * box[1], rel=1e-12)
    assert _surface(tm, tm.boundaries["sides"]) == pytest.approx(2 * box[2] * (box[0] + box[1]), rel=1e-12)
    assert_conforming(tm)


@pytest.mark.mpi
def test_voronoi_gb_area_and_grain_count():
    tm, p = _build("voxel_3d", labels={"kind": "voronoi", "grain_count": 12, "width": "3 um", "depth": "3 um",
                                       "thickness": "3 um", "seed": 1}, voxel_size="0.25 um")
    labels = meshes.get("voxel_3d").build(p, MeshSettings()).labels
    assert np.unique(labels).size == 12 and tm.regions == {"grains": 1}
    faces = _label_faces(labels, lambda a, b: np.ones_like(a, bool))
    assert _surface(tm, tm.boundaries["grain_boundary_facets"], True) == pytest.approx(faces.sum() * 0.25e-6**2,
                                                                                        rel=1e-12)
    assert measure(tm, "grains") == pytest.approx(27e-18, rel=1e-12)


@pytest.mark.mpi
def test_smoothing_brings_a_voxel_sphere_closer_to_its_area():
    """A sphere of radius 6 voxels as a second grain: the staircase overestimates 4 pi r^2 by
    ~50 %; Taubin passes reduce that while keeping the volume within 3 %."""
    n, r = 20, 6.0
    c = (np.indices((n, n, n)) + 0.5 - n / 2)
    labels = np.where((c**2).sum(0) < r**2, 2, 1)
    areas, volumes = [], []
    for passes in (0, 4):
        tm = _label_mesh(labels, passes)
        areas.append(_surface(tm, tm.boundaries["grain_boundary_facets"], True))
        dx = ufl.Measure("dx", tm.mesh)
        volumes.append(tm.mesh.comm.allreduce(fem.assemble_scalar(fem.form(fem.Constant(tm.mesh, 1.0) * dx)), MPI.SUM))
    exact = 4 * np.pi * r**2
    assert areas[0] / exact > 1.3
    assert abs(areas[1] / exact - 1) < 0.6 * abs(areas[0] / exact - 1)
    assert volumes[1] == pytest.approx(volumes[0], rel=1e-12)  # box faces stay: total volume unchanged


def _label_mesh(labels, smoothing):
    from meshes.described import LabelVolume
    from solver.geometry.voxel import build_label_volume

    vol = LabelVolume(labels, (1.0, 1.0, 1.0), {1: "grains", 2: "grains"}, "tetrahedron", smoothing, {"gdim": 3})
    return build_label_volume(vol, MPI.COMM_WORLD)


def _stack_case(path, **geometry):
    return {"name": "stack", "geometry": {"type": "voxel_3d", "labels": {"kind": "file", "file": str(path)},
                                          **geometry},
            "materials": {"grains": "Li6PS5Cl"},
            "grain_boundaries": {"model": "lumped_facets", "material": "Li6PS5Cl_grain_boundary"},
            "electrochemistry": {"applied_current_density": "1 mA/cm^2", "kinetics": {"law": "primary"}},
            "outputs": {"mesh_cache": None}}


@pytest.mark.mpi
@pytest.mark.parametrize("cell_type", ["hexahedron", "tetrahedron"])
def test_two_grain_stack_adds_the_gb_resistance_in_series(tmp_path_factory, cell_type):
    """A .npy stack of two grains stacked along z: V = i L / sigma + i R_gb (P1-DG exact)."""
    folder = shared_tmp(tmp_path_factory, "stack")
    labels = np.ones((6, 5, 4), np.uint8)  # zyx: z = 0..5
    labels[3:] = 7
    if MPI.COMM_WORLD.rank == 0:
        np.save(folder / "two.npy", labels)
    MPI.COMM_WORLD.barrier()
    case = parse_case(_stack_case(folder / "two.npy", voxel_size="0.5 um", regions={"other": "grains"},
                                  cell_type=cell_type))
    tagged = build_case_mesh(case, MPI.COMM_WORLD)
    assert tagged.boundaries["grain_boundary_facets"] == 4
    conductivity, gb = case_conductivities(case)
    metrics, _, _ = conduction_metrics(conduction_problem(case, tagged).solve())
    assert_charge_balance(metrics, 1e-8)
    i, thickness = 10.0, 3e-6  # 1 mA/cm^2; 6 voxels of 0.5 um, the GB at 1.5 um
    assert metrics["counter_potential"] == pytest.approx(i * thickness / conductivity["grains"] + i * gb.resistance,
                                                         rel=1e-8)
    assert i * gb.resistance > 0.01 * metrics["counter_potential"]  # resolved: 1e-8 of the total is 1e-6 of it


ROUGH_VOXELS = {"labels": {"kind": "voronoi", "grain_count": 6, "width": "2 um", "depth": "3 um", "thickness": "2 um",
                           "seed": 4}, "voxel_size": "0.25 um", "cell_type": "tetrahedron"}
SINUSOID = {"kind": "sinusoids", "modes": [{"amplitude": "0.3 um", "wavelength_x": "2 um"}]}


@pytest.mark.mpi
def test_rough_voxel_polycrystal_follows_its_height_map():
    """The voxel grid mapped onto z' = h + (L - h) z / L: anode vertices on h (exactly, at the
    grid), the counter flat, the volume W D L minus the integral of the piecewise-linear h
    over the anode triangles (the mesh tiles the region between them, exact to round-off),
    and the same GB facets and labels as the flat grid."""
    flat, _ = _build("voxel_3d", **ROUGH_VOXELS)
    rough, p = _build("voxel_3d", **ROUGH_VOXELS, height_map=SINUSOID)
    width, depth, thickness = 2e-6, 3e-6, 2e-6
    h = lambda x, y: 0.3e-6 * np.cos(2 * np.pi * x / 2e-6)  # noqa: E731
    msh = rough.mesh
    corners = msh.geometry.x[_owned_facet_nodes(rough, "anode_interface")]  # (facets, 3, 3)
    assert np.max(np.abs(corners[..., 2] - h(corners[..., 0], corners[..., 1]))) < 1e-12 * thickness
    top = msh.geometry.x[_owned_facet_nodes(rough, "counter_electrode")]
    assert np.max(np.abs(top[..., 2] - thickness)) < 1e-12 * thickness
    e1, e2 = corners[:, 1, :2] - corners[:, 0, :2], corners[:, 2, :2] - corners[:, 0, :2]
    projected = 0.5 * np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    lost = msh.comm.allreduce(float(np.sum(projected * corners[..., 2].mean(axis=1))), MPI.SUM)
    assert measure(rough, "grains") == pytest.approx(width * depth * thickness - lost, rel=1e-12)
    gb = rough.boundary_tag("grain_boundary_facets")
    assert msh.comm.allreduce(rough.facet_tags.find(gb).size, MPI.SUM) == flat.mesh.comm.allreduce(
        flat.facet_tags.find(gb).size, MPI.SUM)
    assert _surface(rough, gb, interior=True) > _surface(flat, gb, interior=True)  # the sheared GBs are larger
    # the trapezoidal rule is exact for the sampled cosine: a / sqrt(2)
    assert rough.metadata["interface_rms_height_m"] == pytest.approx(0.3e-6 / np.sqrt(2), rel=1e-12)


def _owned_facet_nodes(tm, boundary):
    """Geometry rows of the vertices of the owned facets of ``boundary``, shape (facets, 3)."""
    import dolfinx.mesh

    facets = tm.facet_tags.find(tm.boundary_tag(boundary))
    facets = facets[facets < tm.mesh.topology.index_map(tm.mesh.topology.dim - 1).size_local]
    return dolfinx.mesh.entities_to_geometry(tm.mesh, tm.mesh.topology.dim - 1, facets)


def test_voxel_size_factor_scales_generated_voxels_and_not_a_stack():
    _, p = _build("voxel_3d", **ROUGH_VOXELS)
    fine = meshes.get("voxel_3d").build(p, MeshSettings(size_factor=0.5)).labels
    assert fine.shape == tuple(2 * n for n in p.shape())  # (8, 12, 8) voxels of 0.25 um -> 0.125 um
    assert p.estimated_size(MeshSettings(size_factor=0.5))[0] == 8 * p.estimated_size(MeshSettings())[0]


def test_a_height_map_too_large_for_the_voxel_box_names_its_key():
    raw = {"name": "r", "geometry": {"type": "voxel_3d", **ROUGH_VOXELS,
                                     "height_map": {"kind": "random", "rms_height": "2 um", "correlation_length": "1 um"}},
           "materials": {"grains": "Li6PS5Cl"}, "electrochemistry": {"applied_current_density": "1 mA/cm^2"}}
    assert _error(raw).key == "geometry.height_map"


# ---------------------------------------------------------------- height-map meshes
def _sinusoid_area(a, wavelength, width, depth):
    k = 2 * np.pi / wavelength
    return depth * quad(lambda x: np.sqrt(1 + (a * k * np.sin(k * x)) ** 2), 0, width, limit=200)[0]


@pytest.mark.mpi
def test_sinusoid_interface_area_converges_at_second_order():
    a, lam = 0.6e-6, 4e-6
    hmap = {"kind": "sinusoids", "modes": [{"amplitude": a, "wavelength_x": lam}]}
    exact = _sinusoid_area(a, lam, 8e-6, 4e-6)
    errors = []
    for h in (0.4e-6, 0.2e-6):
        tm, _ = _build("rough_interface_3d_structured", MeshSettings(interface_size=h, size=2e-6), width=8e-6,
                       depth=4e-6, thickness=6e-6, height_map=hmap)
        errors.append(abs(_surface(tm, tm.boundaries["anode_interface"]) / exact - 1))
        # full periods: the trapezoidal mean of the cosine is 0, so the volume is W D L
        assert measure(tm, "electrolyte") == pytest.approx(8e-6 * 4e-6 * 6e-6, rel=1e-12)
        assert _surface(tm, tm.boundaries["counter_electrode"]) == pytest.approx(32e-12, rel=1e-12)
        assert_conforming(tm)
    assert errors[1] < 2e-3
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.15)  # O(h^2)


@pytest.mark.mpi
def test_imported_planar_height_grid_is_meshed_exactly(tmp_path_factory):
    """A CSV grid of a tilted plane (slope 0.1 along x, mean removed by the reader): the
    piecewise-linear interface is the plane, area W D sqrt(1 + 0.01), volume W D L."""
    folder = shared_tmp(tmp_path_factory, "grid")
    x = np.linspace(0, 6, 7)  # um, 7 columns along x, 4 rows along y
    if MPI.COMM_WORLD.rank == 0:
        np.savetxt(folder / "plane.csv", np.tile(0.1 * x, (4, 1)), delimiter=",")
    MPI.COMM_WORLD.barrier()
    hmap = {"kind": "image", "file": str(folder / "plane.csv"), "unit": "um"}
    tm, _ = _build("rough_interface_3d_structured", MeshSettings(interface_size=0.5e-6, size=1e-6), width=6e-6,
                   depth=3e-6, thickness=4e-6, height_map=hmap)
    assert _surface(tm, tm.boundaries["anode_interface"]) == pytest.approx(18e-12 * np.sqrt(1.01), rel=1e-12)
    assert measure(tm, "electrolyte") == pytest.approx(72e-18, rel=1e-12)


def _slab_problem(tagged):
    kin = make_kinetics("primary", exchange_current_density=6.9, temperature=298.15)
    return ConductionProblem(tagged, {"electrolyte": SIGMA}, ConductionSettings(kinetics=kin, applied_current_density=I))


@pytest.mark.mpi
@pytest.mark.parametrize("cell_type", ["tetrahedron", "hexahedron"])
def test_flat_structured_slab_matches_the_1d_result(cell_type):
    flat = {"kind": "sinusoids", "modes": [{"amplitude": 0.0, "wavelength_x": 5e-6}]}
    tm, p = _build("rough_interface_3d_structured", MeshSettings(interface_size=0.5e-6, size=2e-6), width=5e-6,
                   depth=5e-6, thickness=8e-6, height_map=flat, cell_type=cell_type, growth_ratio=1.5)
    levels = p.grid(MeshSettings(interface_size=0.5e-6, size=2e-6))[2]
    assert np.diff(levels)[0] == pytest.approx(0.5e-6 * levels[-1] / levels[-1], rel=0.2)  # graded from the interface
    assert np.diff(levels).max() > 2.5 * np.diff(levels)[0]
    metrics, _, _ = conduction_metrics(_slab_problem(tm).solve())
    assert_charge_balance(metrics, 1e-8)
    assert metrics["counter_potential"] == pytest.approx(I * 8e-6 / SIGMA, rel=1e-8)


ROUGH_SCRIPT = """
import json, sys
from mpi4py import MPI
sys.path.insert(0, {root!r})
import meshes
from meshes import MeshSettings
from solver.geometry.driver import build_mesh
from solver.analysis.metrics import conduction_metrics
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.kinetics import make_kinetics
p = meshes.get("rough_interface_3d_structured").parameters.model_validate(
    {{"width": 4e-6, "depth": 4e-6, "thickness": 4e-6,
      "height_map": {{"kind": "random", "rms_height": 0.3e-6, "correlation_length": 1.5e-6, "seed": 2}}}})
tm = build_mesh("rough_interface_3d_structured", p, MeshSettings(interface_size=0.4e-6, size=1e-6))
kin = make_kinetics("primary", exchange_current_density=6.9, temperature=298.15)
m, _, _ = conduction_metrics(ConductionProblem(tm, {{"electrolyte": 0.5}},
    ConductionSettings(kinetics=kin, applied_current_density=10.0)).solve())
if MPI.COMM_WORLD.rank == 0:
    print(json.dumps({{"v": m["counter_potential"], "max": m["max_interface_current_density"], "cells": tm.statistics["cells"]}}))
"""


@needs_mpiexec
def test_rough_structured_serial_and_two_ranks_agree(tmp_path):
    import json

    script = tmp_path / "rough.py"
    script.write_text(ROUGH_SCRIPT.format(root=str(ROOT)))
    runs = [subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300),
            mpirun([sys.executable, str(script)], tmp_path, timeout=300)]
    out = []
    for r in runs:
        assert r.returncode == 0, r.stderr[-2000:]
        out.append(json.loads(r.stdout.strip().splitlines()[-1]))
    assert out[0]["cells"] == out[1]["cells"]
    # the same mesh and equations; Krylov tolerances (rtol 1e-10 on Newton) differ by rank count only
    assert out[1]["v"] == pytest.approx(out[0]["v"], rel=1e-7)
    assert out[1]["max"] == pytest.approx(out[0]["max"], rel=1e-6)


# ---------------------------------------------------------------- errors before meshing
def _error(raw) -> CaseError:
    with pytest.raises(CaseError) as info:
        parse_case(raw)
    return info.value


def test_stack_errors_name_their_key(tmp_path):
    floats = tmp_path / "gray.tif"
    tifffile.imwrite(floats, np.random.default_rng(0).random((4, 5, 6)).astype(np.float32), photometric="minisblack")
    assert _error(_stack_case(floats, voxel_size="1 um", regions={"other": "grains"})).key == "geometry.labels.file"
    many = tmp_path / "many.npy"
    np.save(many, np.arange(70000, dtype=np.int32).reshape(70, 100, 10))
    e = _error(_stack_case(many, voxel_size="0.1 um", regions={"other": "grains"}))
    assert e.key == "geometry.labels.file" and "distinct" in str(e)
    good = tmp_path / "good.npy"
    np.save(good, np.array([1, 2, 3] * 20, np.int16).reshape(3, 4, 5))
    assert _error(_stack_case(good, regions={"other": "grains"})).key == "geometry.voxel_size"
    e = _error(_stack_case(good, voxel_size="1 um", regions={"1-2": "grains"}))
    assert e.key == "geometry.regions" and "label 3" in str(e)
    assert _error(_stack_case(good, voxel_size="1 um")).key == "geometry.regions"
    e = _error(_stack_case(good, voxel_size="1 um", regions={"other": "grains"}, memory_limit="1 MB"))
    assert e.key == "geometry.labels.file" and "memory_limit" in str(e)
    raw = _stack_case(good, voxel_size="1 um", regions={"1": "grains", "2-3": "electrolyte"})
    assert _error(raw).key == "materials"  # the electrolyte region has no material
    flat = {"kind": "voronoi", "grain_count": 3, "width": "1 um", "depth": "1 um", "thickness": "1 um"}
    raw = _stack_case(good, voxel_size="1 nm")
    raw["geometry"]["labels"] = flat
    assert _error(raw).key == "geometry.voxel_size"  # 1e9 voxels


def test_tiff_stack_gives_its_voxel_size(tmp_path):
    path = tmp_path / "imagej.tif"
    labels = np.ones((4, 3, 2), np.uint8)  # zyx
    labels[2:] = 2
    tifffile.imwrite(path, labels, imagej=True, resolution=(1 / 0.1, 1 / 0.2), metadata={"spacing": 0.3, "unit": "um"})
    case = parse_case(_stack_case(path, regions={"other": "grains"}))
    assert case.geometry.spacing(case.geometry.stack()[1]) == pytest.approx((0.1e-6, 0.2e-6, 0.3e-6))
    assert case.geometry.stack()[0].shape == (2, 3, 4)  # x, y, z


def test_cli_refuses_a_gray_stack_with_one_line(tmp_path):
    path = tmp_path / "gray.npy"
    np.save(path, np.linspace(0, 1, 60).reshape(3, 4, 5))
    case = tmp_path / "c.yaml"
    case.write_text(yaml.safe_dump(_stack_case(path, voxel_size="1 um", regions={"other": "grains"})))
    r = subprocess.run([sys.executable, "-m", "solver", "validate", str(case)], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0
    assert "geometry.labels.file" in r.stderr and "not a label array" in r.stderr


def test_shipped_structured_cases_declare_what_they_mesh():
    for name, regions in (("rough_interface_3d_structured", {"electrolyte"}), ("polycrystal_3d_voxel", {"grains"})):
        case = parse_case(yaml.safe_load((ROOT / "cases" / f"{name}.yaml").read_text()))
        assert set(case.declaration.regions) == regions



@pytest.mark.slow
@pytest.mark.parametrize("name", ["rough_interface_3d_structured", "polycrystal_3d_voxel"])
def test_shipped_case_runs_through_the_cli(name, tmp_path):
    """`dendrite run` on the shipped case: exit 0, the current balanced, the mesh it declares."""
    import json

    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "solver", "run", str(ROOT / "cases" / f"{name}.yaml"), "--out", str(out)],
                       capture_output=True, text=True, cwd=tmp_path, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["dimension"] == 3
    assert summary["metrics"]["charge_balance_error"] < 1e-8
