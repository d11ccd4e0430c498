"""A Li-filled pit with a crack at its bottom in the 3D cell: K_I along the front.

The cell (``cell_3d``, bare Li, glass; 6 x 3 x 4 um, half model about the crack plane
y = 0) holds a pit of depth a = 0.6 um and radius b = 0.3 um whose bottom has grown into a
half-elliptical Li-filled crack of apex height a_c = 1 um and half-length c = 1 um. The same
body without the pit is the quarter model of ``surface_crack_3d`` (a = c = 1 um, W = H = 6
um, T = 4 um) with the same supports (counter electrode and lateral faces on rollers,
mirror planes symmetric): the reference, itself checked against Raju and Newman in
tests/verification/test_fracture_3d.py. Under a unit pressure in the Li, the pit adds a
cavity with pressurised walls to the pressurised crack faces; the Li pressure on the pit
walls acts on material that, in the reference, carries the crack-face pressure across the
plane y = 0 already. By Bueckner's superposition the difference in K_I is the effect of the
cavity's stress field at the front: a pressurised spheroidal cavity's stress decays like
(b / r)^3, and the front lies r >= 0.4 um (apex) and 0.7 um (mouth) from the pit wall, so
the change is a few per cent at most, largest at the apex.

Measured (P2, front size 0.1 um, r2 = 0.5 um; the cell's 9 nodes over phi = 0..180 deg,
the reference's 5 over 0..90 deg; K_I per pascal about 1.1e-3 m^0.5):

    phi [deg]            0      22.5    45     67.5   90 (apex)
    cell / reference   0.994  0.973  0.978  0.980  0.982   (phi < 90)
                       0.991  0.972  0.976  0.982  0.982   (mirrored, phi > 90)

The finite opening lowers K_I by 0.6-2.8 %. Part of that is the two meshes (different
meshes with the same front size; the reference's own mesh error at this size is about
1 %). The test asserts the ratio between 0.95 and 1.0: the measured shift with a margin
of about the mesh error on each side; a pit that changed K_I by more than 5 % would not
be a "small opening". The half front must be symmetric about the apex (the cell is
symmetric about x = x0) to 1 %, the tolerance of the front integral's node values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
import meshes
from meshes import MeshSettings
from solver.errors import SettingError
from solver.geometry.driver import build_mesh
from solver.physics.elasticity import ElasticityProblem
from solver.physics.fracture_3d import CrackFront, front_stress_intensity
from solver.studies.flaw_risk_3d import default_radius, split_crack_faces
from tests.support import ROOT

E, NU = 22e9, 0.3  # LPSCl-like [Pa], [-]
CELL = dict(width="6 um", depth="3 um", thickness="4 um", anode="bare", electrolyte="glass",
            pit={"depth": "0.6 um", "radius": "0.3 um", "crack": {"depth": "1 um", "half_length": "1 um"}})
REFERENCE = dict(crack_depth="1 um", half_length="1 um", thickness="4 um", width="6 um", height="6 um",
                 li_filled=True, front_size="0.1 um")


def unit_pressure_front(name: str, segments: int, size_factor: float = 1.0, comm=MPI.COMM_WORLD, **params):
    """K_I(s) per pascal of Li pressure [m^0.5] on the flaw's faces, with the Porz chain's supports."""
    generator = meshes.get(name)
    tagged = build_mesh(name, generator.parameters(**params), MeshSettings(size_factor=size_factor), comm)
    flaw = tagged.metadata["flaws"][0]
    mech = split_crack_faces(tagged, [flaw], "anode_interface")
    constraints = {"counter_electrode": "roller", **{n: "symmetry" for n in tagged.metadata["mirror_planes"]},
                   **{n: "roller" for n in tagged.metadata["lateral_sides"]}}
    fields = ElasticityProblem(mech, {"electrolyte": (E, NU)}, pressures={"flaw_0_faces": 1.0},
                               constraints=constraints, degree=2).solve()
    front = CrackFront.from_metadata(flaw["crack_front"])
    return front_stress_intensity(fields, front, radius=default_radius(tagged, flaw["crack_front"]), pressure=1.0,
                                  segments=segments)


def test_declaration_and_checks_without_meshing():
    P, declare = meshes.get("cell_3d").parameters, meshes.get("cell_3d").declare
    decl = declare(P(**CELL))
    assert decl.flaws.stress_intensity and decl.flaws.tips[0].tip == pytest.approx((3e-6, 0.0, 1e-6))
    assert decl.boundaries == {"anode_interface", "counter_electrode", "ligament", "side_x", "side_y"}
    assert declare(P(**{**CELL, "pit": {"depth": "0.6 um", "radius": "0.3 um"}})).flaws.stress_intensity is False
    with pytest.raises(ValueError, match="outside the pit"):
        P(**{**CELL, "pit": {**CELL["pit"], "crack": {"depth": "0.65 um", "half_length": "1 um"}}})
    with pytest.raises(ValueError, match="leave y out"):
        P(**{**CELL, "pit": {**CELL["pit"], "y": "1 um"}})
    with pytest.raises(ValueError, match="clear of the sides"):
        P(**{**CELL, "width": "2.2 um"})


@pytest.mark.slow
def test_pit_crack_front_matches_the_surface_crack_of_the_same_outline():
    cell = unit_pressure_front("cell_3d", 9, **CELL)
    ref = unit_pressure_front("surface_crack_3d", 5, **REFERENCE)
    np.testing.assert_allclose(cell.parameter[:5], ref.parameter, atol=1e-9)
    # Raju-Newman at the deepest point, a/c = 1, a/t = 0.25, c/b = 1/3: Q = 2.464, F = 1.070;
    # measured 5.9 % below on this coarse mesh in a box of height 3a (Raju-Newman: remote load)
    raju_newman = 1.070 * math.sqrt(math.pi * 1e-6 / 2.464)
    assert ref.K_I[-1] == pytest.approx(raju_newman, rel=0.08)
    for half in (cell.K_I[:5], cell.K_I[4:][::-1]):
        ratio = half / ref.K_I
        assert np.all((ratio > 0.95) & (ratio < 1.0)), ratio
    np.testing.assert_allclose(cell.K_I, cell.K_I[::-1], rtol=0.01)  # symmetric about the apex


@pytest.mark.slow
def test_the_cell_pit_crack_case_gives_a_positive_finite_ccd():
    """cases/cell_3d_pit_crack.yaml: the 3D Porz chain on the pit crack (front overpotential ->
    pressure on the crack faces and pit walls -> K_I(s) -> ratio) and its CCD by bisection.
    At L_p ~ 1 mm the overpotential is uniform, so the CCD follows from the largest K_I per
    pascal as in tests/verification/test_fracture_3d.py (to the bisection tolerance)."""
    import yaml

    from solver.analysis.risk import LI_MOLAR_VOLUME
    from solver.config.case import parse_case
    from solver.physics.kinetics import FARADAY, GAS_CONSTANT
    from solver.studies.run import run_case

    raw = yaml.safe_load((ROOT / "cases" / "cell_3d_pit_crack.yaml").read_text())
    raw["mesh"]["size_factor"] = 1.4
    raw["risk"]["ccd_rtol"] = 1e-3
    raw["outputs"] = {"png": False, "fields": False}
    case = parse_case(raw)
    summary = run_case(case, write=False, quiet=True).summary
    risk, metrics = summary["risk"], summary["metrics"]
    assert 0 < risk["ccd"] < math.inf
    g_max = float(np.max(risk["influence_matrix_m05"]))
    eta_c = case.materials["electrolyte"].values["fracture_toughness"] * LI_MOLAR_VOLUME / (FARADAY * g_max)
    i0, T = case.materials["electrolyte"].values["exchange_current_density"], 298.15
    area_ratio = metrics["interface_area"] / metrics["counter_area"]
    expected = area_ratio * 2 * i0 * math.sinh(FARADAY * eta_c / (2 * GAS_CONSTANT * T))
    assert risk["ccd"] == pytest.approx(expected, rel=5e-3)
    worst = risk["at_applied"]["flaws"][0]
    assert len(worst["front"]["K_I"]) >= 5 and np.all(np.isfinite(worst["front"]["K_I"]))


@pytest.mark.mpi
def test_pit_crack_front_values_are_the_same_on_one_and_on_all_ranks():
    if MPI.COMM_WORLD.size == 1:
        pytest.skip("compares a distributed run with a one-rank one: run under mpiexec -n 2")
    values = [unit_pressure_front("cell_3d", 5, size_factor=2.0, comm=comm, **CELL)
              for comm in (MPI.COMM_WORLD, MPI.COMM_SELF)]
    np.testing.assert_allclose(values[0].K_I, values[1].K_I, rtol=0, atol=1e-6 * np.abs(values[1].K_I).max())


@pytest.mark.mpi
def test_front_nodes_whose_domain_reaches_the_interphase_are_skipped(caplog):
    """With a Li-Al-Cl interphase (0.2 um, E = 64 GPa) on the Li, the front's ends cross the
    layer: the nodes whose tent (half-width 22.5 deg of 9 nodes) comes within r2 = 0.5 um of
    it get NaN with a warning; the three around the apex (z >= 0.71 um - r2 > 0.2 um) do not."""
    params = {**CELL, "anode": "li_al_cl", "interphase_thickness": "0.2 um"}
    generator = meshes.get("cell_3d")
    tagged = build_mesh("cell_3d", generator.parameters(**params), MeshSettings(size_factor=1.5))
    flaw = tagged.metadata["flaws"][0]
    mech = split_crack_faces(tagged, [flaw], "anode_interface")
    constraints = {"counter_electrode": "roller", "ligament": "symmetry", "side_x": "roller", "side_y": "roller"}
    fields = ElasticityProblem(mech, {"electrolyte": (E, NU), "interphase": (64e9, 0.3)},
                               pressures={"flaw_0_faces": 1.0}, constraints=constraints, degree=1).solve()
    front = CrackFront.from_metadata(flaw["crack_front"])
    with pytest.raises(SettingError, match="material varies"):
        front_stress_intensity(fields, front, radius=0.5e-6, pressure=1.0, segments=9)
    result = front_stress_intensity(fields, front, radius=0.5e-6, pressure=1.0, segments=9, mixed_material="skip")
    skipped = np.isnan(result.K_I)
    np.testing.assert_array_equal(skipped, [True] * 3 + [False] * 3 + [True] * 3)
    assert np.all(result.K_I[~skipped] > 0) and result.youngs_modulus == E
    assert any("crosses a material boundary" in r.getMessage() for r in caplog.records) or MPI.COMM_WORLD.rank != 0
