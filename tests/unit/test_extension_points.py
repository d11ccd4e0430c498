"""Extension points: geometry declarations, parameter models of laws and criteria, the
grain_boundaries section and the checks `dendrite validate` makes before any meshing."""

import copy
import json
import math
import subprocess
import sys

import pytest
import yaml
from mpi4py import MPI

import meshes
from solver.cli import main
from solver.config.case import load_case, parse_case
from solver.errors import CaseError
from solver.physics.kinetics import FARADAY, GAS_CONSTANT, ChargeTransferParameters, kinetics_from_parameters
from tests.support import ROOT


BASE = {
    "name": "t",
    "geometry": {"type": "rough_interface_2d", "width": "10 um", "thickness": "10 um"},
    "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
    "electrochemistry": {"applied_current_density": "1 mA/cm^2"},
    "outputs": {"mesh_cache": None},
}
FLAW = {"type": "flaw_2d", "width": "20 um", "thickness": "10 um",
        "flaws": [{"position": "10 um", "depth": "1 um", "width": "0.2 um", "tip_radius": "25 nm"}]}
POLY = {"type": "polycrystal_2d", "width": "4 um", "thickness": "4 um", "mean_grain_size": "1 um", "gb": "facets"}


def case(**sections) -> dict:
    raw = copy.deepcopy(BASE)
    raw.update(sections)
    return raw


# --------------------------------------------------------------------------- declarations
@pytest.mark.parametrize("name", sorted(n for n, g in meshes.registry.items() if g.build.__module__.startswith("meshes.")))
def test_every_geometry_declares_what_it_draws_without_meshing(name):
    gen = meshes.get(name)
    try:
        params = gen.parameters()
    except Exception:  # needs parameters (a flaw list, a profile file): covered below and by the mesh tests
        pytest.skip("no default parameters")
    decl = gen.declare(params)
    assert isinstance(decl, meshes.GeometryDeclaration) and decl.dimension in (2, 3)
    assert decl.regions and decl.boundaries
    # the mesh tests build these geometries; the driver then refuses any drawing that differs


def test_flaw_declarations_give_the_tips_and_whether_k_i_can_be_computed():
    flaw_2d = meshes.get("flaw_2d")
    params = flaw_2d.parameters.model_validate({k: v for k, v in FLAW.items() if k != "type"})
    flaws = flaw_2d.declare(params).flaws
    assert flaws.stress_intensity and len(flaws.tips) == 1
    tip = flaws.tips[0]
    assert tip.tip == pytest.approx((10e-6, 1e-6), rel=1e-12) and tip.tip_radius == pytest.approx(25e-9, rel=1e-12)
    flaw_3d = meshes.get("flaw_3d")
    assert not flaw_3d.declare(flaw_3d.parameters()).flaws.stress_intensity  # K_I is computed in 2D only


@pytest.mark.mpi
def test_driver_refuses_a_drawing_that_differs_from_its_declaration():
    """Gmsh runs on rank 0; the refusal reaches every rank."""
    from solver.errors import DendriteError, GeometryError
    from solver.geometry.driver import build_mesh
    from solver.studies.parallel import RemoteError

    class Params(meshes.GeometryParameters):
        pass

    def build(model, p, mesh):
        """A square whose region is not the declared one."""
        s = model.occ.addRectangle(0, 0, 0, 1e-6, 1e-6)
        model.occ.synchronize()
        model.addPhysicalGroup(2, [s], name="electrolyte")
        return {"gdim": 2}

    wrong = meshes.slab(2, regions=("grains",), boundaries=())
    meshes.register("test_wrong_declaration", Params, wrong)(build)
    try:
        with pytest.raises(DendriteError, match=r"regions \['grains'\] declared but not drawn") as info:
            build_mesh("test_wrong_declaration", Params(), meshes.MeshSettings(size=0.5e-6))
        assert isinstance(info.value, GeometryError if MPI.COMM_WORLD.rank == 0 else RemoteError)
    finally:
        del meshes.registry["test_wrong_declaration"]


# --------------------------------------------------------------------------- parameter models
def test_laws_and_criteria_read_their_own_parameters_with_units():
    c = parse_case(case(electrochemistry={"applied_current_density": "1 mA/cm^2",
                                          "kinetics": {"law": "tafel", "exchange_current_density": "0.5 mA/cm^2",
                                                       "cathodic_transfer_coefficient": 0.4}},
                        risk={"criterion": "critical_overpotential", "critical_overpotential": "15 mV"}))
    assert c.electrochemistry.kinetics.exchange_current_density == pytest.approx(5.0, rel=1e-12)  # A/m^2
    assert c.model.risk.critical_overpotential == pytest.approx(0.015, rel=1e-12)  # V
    assert c.model.risk.ccd_start == 1.0  # the section's own keys stay
    # a mapping without law: the default law (Butler-Volmer)
    assert parse_case(case()).electrochemistry.kinetics.law == "butler_volmer"


def test_a_law_is_built_from_its_parameter_model():
    law = kinetics_from_parameters("butler_volmer", ChargeTransferParameters(exchange_current_density=6.9), 298.15)
    # R_ct = R T / ((alpha_a + alpha_c) F i0), alpha_a + alpha_c = 1
    assert law.charge_transfer_resistance == pytest.approx(GAS_CONSTANT * 298.15 / (FARADAY * 6.9), rel=1e-14)
    c = parse_case(case(electrochemistry={"applied_current_density": "1 mA/cm^2", "kinetics": {"law": "primary"}}))
    assert c.exchange_current_density() == (None, "not used by the primary law")


def test_grain_boundaries_section_reads_material_and_thickness():
    from solver.config.adapter import case_conductivities

    c = parse_case(case(geometry=POLY, materials={"grains": "Li6PS5Cl"},
                        grain_boundaries={"model": "lumped_facets", "material": "Li6PS5Cl_grain_boundary",
                                          "thickness": "4 nm"}))
    _, gb = case_conductivities(c)
    sigma = c.grain_boundary.ionic_conductivity_at(298.15)
    assert gb.resistance == pytest.approx(4e-9 / sigma, rel=1e-12)  # R = delta / sigma_gb [ohm m^2]
    assert gb.conductance == pytest.approx(4e-9 * sigma, rel=1e-12)  # G = sigma_gb delta [S]


# --------------------------------------------------------------------------- validate-time errors
ERRORS = [
    # a region the geometry does not have
    (case(materials={"electrolyte": "Li5.5PS4.5Cl1.5", "grains": "Li6PS5Cl"}),
     "materials.grains", "geometry rough_interface_2d has no region 'grains'"),
    # a misspelt criterion
    (case(risk={"criterion": "critical_overpotentail", "critical_overpotential": "15 mV"}),
     "risk.criterion", "unknown criterion 'critical_overpotentail'; allowed: fracture_toughness"),
    # K_I asked of a geometry without flaws, and of a 3D flaw
    (case(risk={"criterion": "fracture_toughness"}), "risk.criterion", "has no flaws"),
    (case(geometry={"type": "flaw_3d"}, risk={"criterion": "fracture_toughness"}), "risk.criterion",
     "without a crack front"),
    # a parameter that does not belong to the chosen law / criterion
    (case(electrochemistry={"applied_current_density": "1 mA/cm^2",
                            "kinetics": {"law": "primary", "exchange_current_density": "1 mA/cm^2"}}),
     "electrochemistry.kinetics.exchange_current_density", "not a parameter of the law primary"),
    (case(risk={"criterion": "critical_overpotential", "critical_overpotential": "15 mV",
                "fracture_toughness": "0.2 MPa m^0.5"}),
     "risk.fracture_toughness", "not a parameter of the criterion critical_overpotential"),
    (case(risk={"criterion": "critical_overpotential"}), "risk.critical_overpotential", "required key is missing"),
    # bare numbers whose SI reading is implausible
    (case(mesh={"size": 0.5}), "mesh.size", "read as 0.5 m, which is implausible"),
    (case(geometry={"type": "rough_interface_2d", "width": 0.02, "thickness": "10 um"}), "geometry.width",
     "read as 0.02 m"),
    (case(electrochemistry={"applied_current_density": "1 mA/cm^2", "temperature": 25}),
     "electrochemistry.temperature", "'25 degC'"),
    # grain boundaries: the old material key, and a geometry without GB facets
    (case(materials={"grains": "Li6PS5Cl", "grain_boundary_facets": "Li6PS5Cl_grain_boundary"}, geometry=POLY),
     "materials.grain_boundary_facets", "grain_boundaries: {model: lumped_facets, material: Li6PS5Cl_grain_boundary}"),
    (case(grain_boundaries={"material": "Li6PS5Cl_grain_boundary"}), "grain_boundaries",
     "has no grain_boundary_facets"),
    (case(electrochemistry={"applied_current_density": "1 mA/cm^2", "anode_interface": "anode"}),
     "electrochemistry.anode_interface", "has no boundary 'anode'"),
]


@pytest.mark.parametrize("raw, key, fragment", ERRORS, ids=[e[1] + ":" + e[2][:20] for e in ERRORS])
def test_validate_names_the_key_in_one_line_with_exit_code_2(raw, key, fragment, tmp_path, capsys):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(CaseError) as info:
        load_case(path)
    assert info.value.key == key and fragment in str(info.value), str(info.value)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {key}: ") and fragment in err


def test_plausible_bare_numbers_and_quantities_with_units_pass():
    c = parse_case(case(mesh={"size": 5e-7}, geometry={"type": "rough_interface_2d", "width": 2e-5,
                                                       "thickness": "10 um"},
                        electrochemistry={"applied_current_density": 10, "temperature": 298.15}))
    assert c.model.mesh.size == 5e-7 and c.geometry.width == 2e-5


def test_shipped_cases_are_valid():
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        load_case(path)


def test_validate_needs_no_dolfinx_or_petsc(tmp_path):
    """In a fresh interpreter: after validate, no DOLFINx, PETSc, MPI or Gmsh module is loaded."""
    script = (
        "import sys, time, json\n"
        "t0 = time.perf_counter()\n"
        "from solver.cli import main\n"
        f"rc = main(['validate', {str(ROOT / 'cases' / 'flaw_bare_li.yaml')!r}])\n"
        "seconds = time.perf_counter() - t0\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('dolfinx', 'petsc4py', 'mpi4py', 'gmsh', 'ufl'))\n"
        "print(json.dumps({'rc': rc, 'heavy': heavy, 'seconds': seconds}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["rc"] == 0 and report["heavy"] == [], out.stderr
    print(f"validate in a fresh interpreter: {report['seconds']:.2f} s (imports included)")
    assert math.isfinite(report["seconds"])
