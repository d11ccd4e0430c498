"""The one adapter between a case and the physics: a validated :class:`~solver.config.case.Case`
(SI floats, names) becomes the mesh, materials and settings that ``solver.physics`` takes.

``solver.physics`` and ``solver.analysis`` never import ``solver.config``; everything they
need from a case passes through here.
"""

from __future__ import annotations

import contextlib

from mpi4py import MPI

from solver.config.case import Case
from solver.config.temperature import exchange_current_density_at, grain_boundary_conductivity_at, ionic_conductivity_at
from solver.errors import CaseError, SettingError
from solver.geometry.driver import TaggedMesh, build_mesh, restrict
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.grain_boundaries import GrainBoundaryModel
from solver.physics.kinetics import FARADAY, KineticsLaw, kinetics_from_parameters

GB_FACETS = "grain_boundary_facets"  # interior facets carrying the zero-thickness GB model

__all__ = [
    "CONDUCTION_KEYS",
    "FRACTURE_KEYS",
    "GB_FACETS",
    "MECHANICS_KEYS",
    "build_case_mesh",
    "case_conductivities",
    "case_keys",
    "case_kinetics",
    "conduction_problem",
    "conduction_settings",
    "electronic_conductivities",
    "electronic_problem",
    "stress_shift",
    "yaml_key",
]

# Settings of the physics -> the YAML key that sets them. A name ending in "." or "["
# maps a family (``materials.grains.poissons_ratio`` -> ``materials.grains.poissons_ratio``).
CONDUCTION_KEYS = {
    "conductivity": "materials",
    "mode": "electrochemistry.mode",
    "equilibrium_shift": "electrochemistry.stress_kinetics",
    "grain_boundary": "grain_boundaries",
    "petsc_options": "solver.petsc_options",
}
MECHANICS_KEYS = {
    "degree": "mechanics.element_degree",
    "materials": "materials",
    "materials.": "materials.",
    "constraints.": "mechanics.lateral",  # the sides (symmetry) or the counter electrode (roller)
    "point_constraints[": "mechanics.lateral",  # free sides: a corner is held
}
# K_I of the flaws the geometry provides (2D); the integration radius follows the flaw depth
FRACTURE_KEYS = {
    "dimension": "risk.criterion",
    "radius": "mechanics.integration_radius",
    "inner_radius": "mechanics.integration_radius",
    "crack_faces": "geometry",
    "fracture_toughness": "risk.fracture_toughness",
}


def yaml_key(setting: str, keys: dict[str, str], default: str) -> str:
    """The YAML key of a physics ``setting`` (``default`` when ``keys`` does not know it)."""
    if setting in keys:
        return keys[setting]
    for name, key in keys.items():
        if name.endswith((".", "[")) and setting.startswith(name):
            return key + setting[len(name):] if key.endswith(name[-1]) else key
    return default


@contextlib.contextmanager
def case_keys(keys: dict[str, str], default: str = ""):
    """Re-raise a :class:`SettingError` of the physics as a :class:`CaseError` naming the YAML key."""
    try:
        yield
    except SettingError as exc:
        raise CaseError(yaml_key(exc.setting, keys, default), exc.detail) from None


def build_case_mesh(case: Case, comm: MPI.Comm = MPI.COMM_WORLD) -> TaggedMesh:
    """The mesh of a case (from the cache when it was built before with the same parameters)."""
    cache = case.model.outputs.mesh_cache_folder()
    return build_mesh(case.model.geometry.type, case.geometry, case.model.mesh, comm, cache)


def case_conductivities(case: Case) -> tuple[dict[str, float], GrainBoundaryModel | None]:
    """Ionic conductivity [S/m] of every ionic region at the case temperature, and the
    lumped grain-boundary model of the ``grain_boundaries`` section (None without one)."""
    conductivity, grain_boundary = {}, None
    for region, mat in case.materials.items():
        if mat.role != "electrode":  # electronic conductors are equipotential, cut from the ionic domain
            conductivity[region] = ionic_conductivity_at(case, region).value
    gb = case.grain_boundary
    if gb is not None:  # lumped_facets: a layer of conductivity sigma_gb and thickness delta on the facets
        with case_keys(CONDUCTION_KEYS):
            grain_boundary = GrainBoundaryModel.from_layer(
                grain_boundary_conductivity_at(case).value, gb.get("thickness"), facets=GB_FACETS)
    return conductivity, grain_boundary


def case_kinetics(case: Case, direction: str, wrap_kinetics=None) -> KineticsLaw:
    """The case's kinetics law for Li ``direction`` ("plating" or "stripping") at its temperature
    (i0 by Arrhenius from its reference temperature); ``wrap_kinetics(law) -> law`` may replace it."""
    ec = case.electrochemistry
    i0 = exchange_current_density_at(case).value
    law = kinetics_from_parameters(ec.kinetics.law, ec.kinetics, ec.temperature, direction=direction,
                                   exchange_current_density=i0)
    return wrap_kinetics(law) if wrap_kinetics is not None else law


def stress_shift(case: Case, tagged: TaggedMesh):
    """Monroe-Newman shift of the equilibrium potential, dU = -V_m p_h / F [V] (DG0).

    p_h [Pa] is the hydrostatic pressure of the electrolyte under the stack pressure
    (on the counter electrode and the anode side), from linear elasticity with the
    counter as a roller and the sides as in ``mechanics.lateral``; V_m of Li (Porz et al.).
    """
    from dolfinx import fem

    from solver.physics.elasticity import ElasticityProblem
    from solver.analysis.risk import LI_MOLAR_VOLUME

    ec, mech = case.electrochemistry, case.model.mechanics
    materials = {r: (case.materials[r].get("youngs_modulus", f"materials.{r}.youngs_modulus"),
                     case.materials[r].get("poissons_ratio", f"materials.{r}.poissons_ratio"))
                 for r in tagged.regions}
    constraints = {ec.counter_electrode: "roller"}
    if mech.lateral == "symmetry" and "sides" in tagged.boundaries:
        constraints["sides"] = "roller"
    else:
        raise CaseError("mechanics.lateral", "stress_kinetics needs lateral: symmetry (sides as rollers)")
    loads = {name: mech.stack_pressure for name in (ec.counter_electrode, ec.anode_interface, "contact_voids")
             if name in tagged.boundaries}
    with case_keys(MECHANICS_KEYS, "mechanics"), ElasticityProblem(
        tagged, materials, pressures=loads, constraints=constraints, degree=mech.element_degree
    ) as problem:
        fields = problem.solve()
    pressure = fields.hydrostatic_pressure_field(0)
    shift = fem.Function(pressure.function_space, name="equilibrium_shift_V")
    shift.x.array[:] = -LI_MOLAR_VOLUME * pressure.x.array / FARADAY
    return shift


def conduction_problem(case: Case, tagged: TaggedMesh, wrap_kinetics=None) -> ConductionProblem:
    """The conduction problem of a case on its mesh: ionic regions, kinetics, settings (SI).

    ``wrap_kinetics(law) -> law`` replaces the anode law (e.g. by one acting on the contacted
    area only, see solver.physics.interface_evolution.ContactKinetics)."""
    tagged, conductivity, settings = conduction_settings(case, tagged, wrap_kinetics)
    with case_keys(CONDUCTION_KEYS, "electrochemistry"):
        return ConductionProblem(tagged, conductivity, settings)


def conduction_settings(case: Case, tagged: TaggedMesh, wrap_kinetics=None) -> tuple[TaggedMesh, dict, ConductionSettings]:
    """The ionic regions (mesh restricted to them), their conductivities [S/m] and the settings (SI)."""
    ec = case.electrochemistry
    conductivity, grain_boundary = case_conductivities(case)
    tagged = restrict(tagged, list(conductivity))
    shift = stress_shift(case, tagged) if ec.stress_kinetics else None
    kinetics = case_kinetics(case, ec.direction, wrap_kinetics)
    counter = None
    if ec.counter_kinetics == "same_as_anode":  # the counter strips when the anode plates
        counter = case_kinetics(case, "stripping" if ec.direction == "plating" else "plating")
    settings = ConductionSettings(
        kinetics=kinetics,
        mode=ec.mode,
        applied_current_density=ec.sign * (ec.applied_current_density or 0.0),
        applied_potential=ec.sign * (ec.applied_potential or 0.0),
        equilibrium_potential=ec.equilibrium_potential,
        degree=case.model.solver.element_degree,
        anode_interface=ec.anode_interface,
        counter_electrode=ec.counter_electrode,
        linear_solver=case.model.solver.linear_solver,
        newton_rtol=case.model.solver.newton_rtol,
        newton_max_iterations=case.model.solver.newton_max_iterations,
        counter_kinetics=counter,
        grain_boundary=grain_boundary,
        equilibrium_shift=shift,
        petsc_options=dict(case.model.solver.petsc_options),
    )
    return tagged, conductivity, settings


def electronic_conductivities(case: Case, ionic_regions) -> tuple[dict[str, float], GrainBoundaryModel | None]:
    """sigma_e [S/m] of every ionic region and the electrons' lumped GB model.

    A region named ``grain_boundaries`` and the GB facets conduct electrons
    ``grain_boundary_enhancement`` times better than the grains (the region ``grains``, else
    the other regions, which must then agree); the facets keep the ionic GB thickness.
    """
    section = case.model.electronic
    key = "electronic.electronic_conductivity"

    def own(region):
        if section.electronic_conductivity is not None:
            return section.electronic_conductivity
        return case.materials[region].get("electronic_conductivity", f"materials.{region}.electronic_conductivity")

    grains = [r for r in ionic_regions if r != "grain_boundaries"]
    bulk = {own(r) for r in (["grains"] if "grains" in grains else grains)}
    factor = section.grain_boundary_enhancement
    sigma = {r: own(r) for r in grains}
    grain_value = None
    if "grain_boundaries" in ionic_regions or case.grain_boundary is not None:
        if len(bulk) != 1:
            raise CaseError(key, f"the grains differ in electronic conductivity ({sorted(bulk)} S/m): "
                            "grain_boundary_enhancement needs one grain value")
        grain_value = bulk.pop()
        if "grain_boundaries" in ionic_regions:
            sigma["grain_boundaries"] = factor * grain_value
    model = None
    if case.grain_boundary is not None and grain_value:
        thickness = case.grain_boundary.get("thickness", "grain_boundaries.thickness")
        model = GrainBoundaryModel.from_layer(factor * grain_value, thickness, facets=GB_FACETS)
    return sigma, model


def electronic_problem(case: Case, tagged: TaggedMesh):
    """The mixed ionic-electronic problem of a case with an ``electronic`` section."""
    from solver.physics.electron_statistics import make_statistics
    from solver.physics.electronic import ElectronicSettings, MixedConductorProblem, make_counter

    section = case.model.electronic
    if section is None:
        raise CaseError("electronic", "the case has no electronic section")
    tagged, conductivity, settings = conduction_settings(case, tagged)
    sigma_e, gb = electronic_conductivities(case, list(conductivity))
    counter = make_counter(section.counter)
    if not counter.passes_ions and settings.equilibrium_shift is not None:
        raise CaseError("electrochemistry.stress_kinetics", "not with an ion-blocking counter (no Li+ current)")
    electronic = ElectronicSettings(counter=counter, counter_equilibrium_potential=section.counter_equilibrium_potential,
                                    grain_boundary=gb, statistics=make_statistics(section.statistics))
    return MixedConductorProblem(tagged, conductivity, sigma_e, settings, electronic)
