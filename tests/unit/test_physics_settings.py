"""Errors of the numerics name their own settings; the adapter maps them to YAML keys that
exist. solver.physics and solver.analysis never import solver.config. PETSc options reach
the solver from the case and from PETSc's options database (PETSC_OPTIONS)."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from solver.config.adapter import (
    CONDUCTION_KEYS,
    FRACTURE_KEYS,
    MECHANICS_KEYS,
    build_case_mesh,
    case_keys,
    conduction_problem,
    yaml_key,
)
from solver.config.case import parse_case
from solver.errors import CaseError, SettingError
from tests.support import ROOT, make_tagged_box


FLAT_CASE = {
    "name": "flat",
    "geometry": {"type": "rough_interface_2d", "width": "10 um", "thickness": "10 um"},
    "mesh": {"interface_size": "1 um", "size": "2 um"},
    "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
    "electrochemistry": {"applied_current_density": "1 mA/cm^2"},
    "outputs": {"mesh_cache": None, "png": False},
}


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module a source file imports (relative ones resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module or ""]))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("layer", ["physics", "analysis"])
def test_physics_and_analysis_never_import_config(layer):
    files = sorted((ROOT / "solver" / layer).glob("*.py"))
    assert files
    offenders = {
        f.name: sorted(
            m for m in imported_modules(f) if m == "solver.config" or m.startswith("solver.config.")
        )
        for f in files
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_import_scan_sees_config_imports(tmp_path):
    """The scanner itself: absolute, from- and relative imports of solver.config are found."""
    probe = ROOT / "solver" / "physics" / "_probe_for_test.py"
    probe.write_text(
        "import solver.config.case\nfrom ..config import adapter\nfrom solver.config.units import Q\n"
    )
    try:
        found = imported_modules(probe)
    finally:
        probe.unlink()
    assert {"solver.config.case", "solver.config.adapter", "solver.config.units"} <= found


def test_yaml_key_mapping():
    assert yaml_key("degree", MECHANICS_KEYS, "mechanics") == "mechanics.element_degree"
    assert (
        yaml_key("materials.grains.poissons_ratio", MECHANICS_KEYS, "") == "materials.grains.poissons_ratio"
    )
    assert yaml_key("constraints.sides", MECHANICS_KEYS, "") == "mechanics.lateral"
    assert yaml_key("point_constraints[0]", MECHANICS_KEYS, "") == "mechanics.lateral"
    assert yaml_key("radius", FRACTURE_KEYS, "risk") == "mechanics.integration_radius"
    assert yaml_key("mode", CONDUCTION_KEYS, "") == "electrochemistry.mode"
    assert yaml_key("something_new", CONDUCTION_KEYS, "electrochemistry") == "electrochemistry"


def unit_square():
    return make_tagged_box(
        [[0.0, 1.0], [0.0, 1.0]],
        [[2], [2]],
        regions={"bulk": lambda x: np.ones(x.shape[1], bool)},
        boundaries={"bottom": lambda x: np.isclose(x[1], 0.0), "top": lambda x: np.isclose(x[1], 1.0)},
    )


def test_elasticity_names_its_argument_and_the_adapter_the_yaml_key():
    from solver.physics.elasticity import ElasticityProblem

    with pytest.raises(SettingError) as info:
        ElasticityProblem(unit_square(), {"bulk": (1e9, 0.25)}, degree=3)
    assert (info.value.setting, str(info.value)) == ("degree", "degree: must be 1 or 2, got 3")
    with pytest.raises(CaseError, match=r"^mechanics\.element_degree: must be 1 or 2, got 3$"):
        with case_keys(MECHANICS_KEYS, "mechanics"):
            ElasticityProblem(unit_square(), {"bulk": (1e9, 0.25)}, degree=3)


@pytest.mark.mpi
def test_fracture_and_homogenisation_name_their_arguments():
    from solver.analysis.homogenisation import effective_conductivity
    from solver.physics.elasticity import ElasticityProblem
    from solver.physics.fracture import CrackTip, interaction_integral

    with ElasticityProblem(
        unit_square(),
        {"bulk": (1e9, 0.25)},
        pressures={"top": 1e6},
        constraints={"bottom": "fixed"},
        degree=1,
    ) as problem:
        fields = problem.solve()
    with pytest.raises(SettingError, match=r"^radius: give the integration radius") as info:
        interaction_integral(fields, CrackTip((0.5, 0.5), (1.0, 0.0)), crack_faces=None)
    assert info.value.setting == "radius"
    with pytest.raises(CaseError, match=r"^mechanics.integration_radius: give the integration radius"):
        with case_keys(FRACTURE_KEYS, "risk"):
            interaction_integral(fields, CrackTip((0.5, 0.5), (1.0, 0.0)), crack_faces=None)
    with pytest.raises(SettingError, match=r"^direction: must be an axis index 0\.\.1, got 5$"):
        effective_conductivity(unit_square(), {"bulk": 1.0}, direction=5)


@pytest.mark.mpi
def test_case_errors_from_the_numerics_name_existing_keys():
    raw = dict(
        FLAT_CASE,
        electrochemistry={
            "applied_current_density": "1 mA/cm^2",
            "stress_kinetics": True,
            "kinetics": {"law": "primary"},
        },
    )
    case = parse_case(raw)
    with pytest.raises(CaseError, match=r"^electrochemistry\.stress_kinetics: needs finite kinetics"):
        conduction_problem(case, build_case_mesh(case))


@pytest.mark.mpi
def test_case_petsc_options_reach_the_solver():
    # iterative: PETSc reads no tolerances for a direct (preonly) KSP
    options = {"ksp_rtol": 1e-9, "ksp_monitor_cancel": True}
    case = parse_case(dict(FLAT_CASE, solver={"linear_solver": "iterative", "petsc_options": options}))
    with conduction_problem(case, build_case_mesh(case)) as problem:
        ksp = problem.problem.solver.getKSP()
        assert ksp.getOptionsPrefix() == "dendrite_conduction_"
        assert ksp.getTolerances()[0] == 1e-9
        assert problem.info["options_prefix"] == "dendrite_conduction_"
    for bad in ({"-ksp_rtol": 1e-9}, {"ksp rtol": 1}):
        with pytest.raises(CaseError, match=r"^solver\.petsc_options: .* is not a PETSc option name"):
            parse_case(dict(FLAT_CASE, solver={"petsc_options": bad}))


SCRIPT = """
import numpy as np
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.kinetics import make_kinetics
from tests.support import make_tagged_box
boundaries = {"anode_interface": lambda x: np.isclose(x[1], 0.0),
              "counter_electrode": lambda x: np.isclose(x[1], 1.0)}
tagged = make_tagged_box([[0.0, 1.0], [0.0, 1.0]], [[2], [2]], boundaries=boundaries)
kin = make_kinetics("butler_volmer", exchange_current_density=1.0, temperature=298.15)
settings = ConductionSettings(kinetics=kin, applied_current_density=1.0, petsc_options={"ksp_rtol": 1e-7})
with ConductionProblem(tagged, {"electrolyte": 1.0}, settings) as problem:
    ksp = problem.problem.solver.getKSP()
    print(ksp.getType(), ksp.getTolerances()[0], problem.problem.solver.getTolerances()[3])
"""


def test_options_from_the_petsc_options_environment_win():
    """PETSC_OPTIONS is read by PetscInitialize: the route for `dendrite run` and scripts."""
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        PETSC_OPTIONS="-dendrite_conduction_ksp_type gmres -dendrite_conduction_ksp_rtol 1e-8 "
        "-dendrite_conduction_snes_max_it 7",
    )
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    ksp_type, rtol, max_it = out.stdout.split()
    assert (ksp_type, float(rtol), int(max_it)) == ("gmres", 1e-8, 7)
