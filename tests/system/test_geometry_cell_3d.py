"""The combined 3D cell: interphase x rough Li surface with void patches x glass or polycrystal."""

from __future__ import annotations

import numpy as np
import pytest

import solver  # noqa: F401  (before dolfinx)

import meshes
from meshes import MeshSettings
from solver.analysis.metrics import conduction_metrics
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.kinetics import make_kinetics
from tests.support import approx, assert_charge_balance, assert_conforming, boundary_measure, build, measure

ROUGH = {"kind": "random", "rms_height": "0.15 um", "correlation_length": "2 um", "seed": 1}
FULL = dict(anode="li_al_cl", interphase_thickness="0.2 um", height_map=ROUGH,
            contact={"fraction": 0.85, "void_size": "1.2 um", "seed": 2}, electrolyte="polycrystal",
            mean_grain_size="1.2 um", buffer="0.3 um")


def test_declaration_and_checks_without_meshing():
    P, declare = meshes.get("cell_3d").parameters, meshes.get("cell_3d").declare
    full = declare(P(**FULL))
    assert full.regions == {"interphase", "electrolyte", "grains"}
    assert full.boundaries == {"anode_interface", "contact_voids", "counter_electrode", "sides"}
    assert full.optional_boundaries == {"grain_boundary_facets"}
    bare = declare(P(anode="bare"))
    assert bare.regions == {"electrolyte"} and "contact_voids" not in bare.boundaries
    with pytest.raises(ValueError, match="below half the smallest feature"):
        P(**{**FULL, "interphase_thickness": "1.5 um"})
    with pytest.raises(ValueError, match="no room for grains"):
        P(**{**FULL, "thickness": "1 um"})
    with pytest.raises(ValueError, match="more than 40%"):
        P(**{**FULL, "contact": {"fraction": 0.5, "void_size": "1 um"}})
    with pytest.raises(ValueError, match="grains"):
        P(**{**FULL, "mean_grain_size": "0.1 um"})  # polycrystal_3d's grain-count limit


@pytest.fixture(scope="module")
def full_cell():
    return build("cell_3d", MeshSettings(), **FULL)


@pytest.mark.mpi
def test_regions_boundaries_and_measures(full_cell):
    tm, p = full_cell
    assert set(tm.regions) == {"interphase", "electrolyte", "grains"}
    assert set(tm.boundaries) == {"anode_interface", "contact_voids", "counter_electrode", "sides",
                                  "grain_boundary_facets"}
    W, D, L = p.width, p.depth, p.thickness
    # the interphase is the Li surface shifted by t_i: exactly t_i W D (flat facets: 1e-3)
    assert measure(tm, "interphase") == approx(p.t_i * W * D, rel=1e-3)
    # the grain box is a plain box above z_g
    assert measure(tm, "grains") == approx(W * D * (L - p.grains_bottom()), rel=1e-9)
    total = sum(measure(tm, r) for r in tm.regions)
    assert total == approx(W * D * L, rel=5e-3)  # the B-spline's mean height is ~1e-3 of L
    assert boundary_measure(tm, "counter_electrode") == approx(W * D, rel=1e-9)
    # contact loss: 15 % of the projected area in void patches (true area: + roughness slope)
    voids, contact = boundary_measure(tm, "contact_voids"), boundary_measure(tm, "anode_interface")
    assert voids / (voids + contact) == approx(0.15, rel=0.05)
    assert voids == approx(tm.metadata["void_area_m2"], rel=0.03)
    assert tm.metadata["grain_count"] == p.grain_box().grain_count()
    assert boundary_measure(tm, "grain_boundary_facets", interior=True) == approx(
        tm.metadata["gb_facet_area_m2"], rel=1e-6)
    assert_conforming(tm)


@pytest.mark.mpi
def test_one_solve_through_every_layer(full_cell):
    """Three regions of different conductivity in series, the voids insulating: the current
    is conserved and goes into the contact only."""
    tm, _ = full_cell
    settings = ConductionSettings(kinetics=make_kinetics("butler_volmer", exchange_current_density=11.1,
                                                         temperature=298.15),
                                  applied_current_density=10.0, linear_solver="direct")
    sigma = {"interphase": 0.01, "electrolyte": 0.3, "grains": 0.3}
    with ConductionProblem(tm, sigma, settings) as problem:
        metrics, _, _ = conduction_metrics(problem.solve())
    assert_charge_balance(metrics, 1e-8)
    contact_area = boundary_measure(tm, "anode_interface")
    assert metrics["mean_interface_current_density"] == approx(10.0 * 16e-12 / contact_area, rel=1e-6)
    assert metrics["mean_interface_current_density"] > 10.0


def test_bare_flat_glass_is_a_box():
    tm, p = build("cell_3d", MeshSettings(size_factor=2.0), anode="bare", electrolyte="glass")
    assert set(tm.regions) == {"electrolyte"} and set(tm.boundaries) == {"anode_interface", "counter_electrode",
                                                                       "sides"}
    assert measure(tm, "electrolyte") == approx(p.width * p.depth * p.thickness, rel=1e-9)
    assert boundary_measure(tm, "anode_interface") == approx(p.width * p.depth, rel=1e-9)
    assert np.isclose(tm.metadata["interphase_volume_m3"], 0.0)


PIT = dict(anode="bare", electrolyte="polycrystal", mean_grain_size="1.2 um", pit={"depth": "1.2 um", "radius": "0.5 um"})


def half_spheroid_area(a: float, b: float) -> float:
    """Area of the half prolate spheroid of semi-axes (b, b, a > b) [m^2]."""
    e = np.sqrt(1 - (b / a) ** 2)
    return np.pi * b * b * (1 + a / (b * e) * np.arcsin(e))


def test_pit_declaration_and_checks():
    P, declare = meshes.get("cell_3d").parameters, meshes.get("cell_3d").declare
    flaws = declare(P(**PIT)).flaws
    assert len(flaws.tips) == 1 and not flaws.stress_intensity
    assert flaws.tips[0].tip == approx((2e-6, 2e-6, 1.2e-6)) and flaws.tips[0].tip_radius == approx(0.25e-12 / 1.2e-6)
    with pytest.raises(ValueError, match="clear of the sides"):
        P(**{**PIT, "pit": {"depth": "1 um", "radius": "0.5 um", "x": "0.4 um"}})
    with pytest.raises(ValueError, match="overlaps a contact void patch"):
        P(**{**PIT, "contact": {"fraction": 0.9, "void_size": "1.3 um", "seed": 0},
             "pit": {"depth": "1 um", "radius": "0.5 um", "x": "1.6 um", "y": "1.6 um"}})


@pytest.mark.mpi
def test_pit_cuts_into_the_grains_and_focuses_the_primary_current():
    tm, p = build("cell_3d", MeshSettings(), **PIT)
    a, b = p.pit.depth, p.pit.radius
    W, D, L = p.width, p.depth, p.thickness
    assert set(tm.regions) == {"electrolyte", "grains"} and "grain_boundary_facets" in tm.boundaries
    # the pit (a = 1.2 um) reaches through the 0.24 um band into the grains
    assert sum(measure(tm, r) for r in tm.regions) == approx(W * D * L - 2 * np.pi * b * b * a / 3, rel=1e-3)
    assert measure(tm, "grains") < W * D * (L - p.grains_bottom()) * (1 - 1e-3)
    assert boundary_measure(tm, "anode_interface") == approx(W * D - np.pi * b * b + half_spheroid_area(a, b),
                                                             rel=2e-3)
    assert_conforming(tm)
    settings = ConductionSettings(kinetics=make_kinetics("primary", exchange_current_density=1.0,
                                                         temperature=298.15), applied_current_density=10.0)
    with ConductionProblem(tm, {"electrolyte": 0.3, "grains": 0.3}, settings) as problem:
        metrics, _, _ = conduction_metrics(problem.solve())
    assert_charge_balance(metrics, 1e-8)
    # the hot spot is at the pit apex (within the apex element size and a sixth of the depth)
    assert np.linalg.norm(np.array(metrics["hot_spot"]) - np.array([2e-6, 2e-6, a])) < a / 6
    assert metrics["focusing_factor"] > 2.0
