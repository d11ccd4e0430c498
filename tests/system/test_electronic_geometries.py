"""The mixed ionic-electronic solve on every registered geometry, 2D and 3D.

Each generator is built with its own default parameters (the coarse ones it ships with;
where a default cannot be meshed in 3D at all, the nearest coarse case file's values), with
every region and optional region given a material, zero-thickness GB facets where the
geometry can draw them, and an ``electronic`` section whose electrons conduct 1e-6 S/m
(grain boundaries 10x better). Every solve must conserve both carriers separately
(counter inflow = anode outflow) and carry the applied current as ionic plus electronic.
"""

from __future__ import annotations

import pytest
from mpi4py import MPI

import meshes
from solver.config.adapter import build_case_mesh, electronic_problem
from solver.config.case import parse_case

MATERIALS = {"electrolyte": "Li6PS5Cl", "grains": "Li6PS5Cl", "grain_boundaries": "Li6PS5Cl_grain_boundary",
             "interphase": "Li9Al4+LiCl", "interphase_graded": "Li9Al4+LiCl", "li_metal": "Li",
             "skeleton": "LiCl"}
GB_FACETS = "grain_boundary_facets"
#: parameters beyond the defaults: the 10-20 nm default interphases of the 3D cells imply
#: 1e7 cells; these are the values of cases/cell_3d_li_al_cl_polycrystal.yaml (smaller box)
#: and cases/stratified_anode_3d.yaml
GEOMETRY = {"cell_3d": {"interphase_thickness": "0.2 um", "width": "4 um", "depth": "4 um", "thickness": "4 um"},
            "stratified_anode_3d": {"width": "2 um", "depth": "2 um", "li_thickness": "1.2 um",
                                    "electrolyte_thickness": "2 um", "interphase_thickness": "150 nm",
                                    "graded_thickness": "150 nm",
                                    "skeleton": {"shape": "particles", "fraction": 0.1,
                                                 "particle_diameter": "0.5 um", "seed": 1}},
            "polycrystal_2d": {"gb": "facets"}, "polycrystal_3d": {"gb": "facets"}}
MESH = {"cell_3d": {"interface_size": "0.2 um"}}
#: run under mpiexec -n 2 as well: 2D with and without GB facets, a cut electrode region, 3D
#: from Gmsh and from voxels (with GB facets)
PARALLEL = {"rough_interface_2d", "polycrystal_2d", "stratified_anode_2d", "rough_interface_3d", "voxel_3d"}
SLOW = set()  # every generator's default mesh solves in under ~15 s serial


def _params(name):
    marks = [pytest.mark.mpi] if name in PARALLEL else []
    marks += [pytest.mark.slow] if name in SLOW else []
    return pytest.param(name, marks=marks, id=name)


GENERATORS = sorted(n for n, g in meshes.registry.items() if g.build.__module__.startswith("meshes."))


def electronic_case(name: str):
    """The case of generator ``name`` (None with the reason when it has no electrochemical cell)."""
    gen = meshes.get(name)
    params = gen.parameters.model_validate(GEOMETRY.get(name, {}))
    decl = gen.declare(params)
    if "anode_interface" not in decl.boundaries or "counter_electrode" not in decl.boundaries:
        return None, (f"{name} is a mechanics-only crack geometry: no anode interface and counter electrode "
                      f"(boundaries {', '.join(sorted(decl.boundaries))})")
    raw = {"name": f"electronic_{name}", "geometry": {"type": name, **GEOMETRY.get(name, {})},
           "mesh": MESH.get(name, {}),
           "materials": {r: MATERIALS[r] for r in decl.regions | decl.optional_regions},
           "electrochemistry": {"applied_current_density": "1 mA/cm^2",
                                "kinetics": {"law": "butler_volmer", "exchange_current_density": "1 mA/cm^2"},
                                "counter_kinetics": "same_as_anode"},
           "outputs": {"png": False, "fields": False, "mesh_cache": None},
           "electronic": {"electronic_conductivity": "1e-6 S/m", "grain_boundary_enhancement": 10,
                          "onset": False, "self_discharge": False}}
    if GB_FACETS in decl.boundaries:
        raw["grain_boundaries"] = {"model": "lumped_facets", "material": "Li6PS5Cl_grain_boundary"}
    return parse_case(raw), decl.dimension


def test_every_electrochemical_geometry_is_covered():
    """The crack plates are the only geometries without an electrochemical cell."""
    skipped = {n for n in GENERATORS if electronic_case(n)[0] is None}
    assert skipped == {"bimaterial_edge_crack_plate", "centre_crack_plate", "edge_crack_3d", "edge_crack_plate",
                       "embedded_crack_3d"}


@pytest.mark.parametrize("name", [_params(n) for n in GENERATORS])
def test_both_carriers_conserved_on_every_geometry(name):
    case, dimension = electronic_case(name)
    if case is None:
        pytest.skip(dimension)
    problem = electronic_problem(case, build_case_mesh(case, MPI.COMM_WORLD))
    state = problem.solve()
    errors = state.conservation_errors()
    # 2D: direct solves, fluxes at round-off (measured < 1e-13); 3D: the default iterative solver
    # (ksp_rtol 1e-10 on the preconditioned residual) leaves flux errors up to 7e-9 (measured)
    tolerance = 1e-9 if dimension == 2 else 1e-7
    assert errors["ionic"] < tolerance and errors["electronic"] < tolerance, errors
    # galvanostatic: ionic plus electronic current is the applied 1 mA/cm^2 = 10 A/m^2 (balance rtol 1e-12)
    assert state.total_current == pytest.approx(10.0 * state.counter_area, rel=1e-10)
    # sigma_e / sigma_i = 1e-6 / 0.3..1 S/m: a small but nonzero leak, below 5 % even where
    # the 10x GB enhancement and low-conducting shells (nanodomains) raise it
    share = state.electronic_current / state.total_current
    assert 0 < share < 0.05, share
