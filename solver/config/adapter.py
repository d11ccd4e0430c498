"""The one adapter between a case and the physics: a validated :class:`~solver.config.case.Case`
(SI floats, names) becomes the mesh, materials and settings that ``solver.physics`` takes.

``solver.physics`` and ``solver.analysis`` never import ``solver.config``; everything they
need from a case passes through here.
"""

from __future__ import annotations

from pathlib import Path

from mpi4py import MPI

from solver.config.case import Case
from solver.errors import CaseError
from solver.geometry.driver import TaggedMesh, build_mesh, restrict
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.grain_boundaries import GrainBoundaryModel
from solver.physics.kinetics import FARADAY, KineticsLaw, kinetics_from_parameters

GB_FACETS = "grain_boundary_facets"  # interior facets carrying the zero-thickness GB model

__all__ = ["GB_FACETS", "build_case_mesh", "case_conductivities", "case_kinetics", "conduction_problem",
           "stress_shift"]


def build_case_mesh(case: Case, comm: MPI.Comm = MPI.COMM_WORLD) -> TaggedMesh:
    """The mesh of a case (from the cache when it was built before with the same parameters)."""
    cache = case.model.outputs.mesh_cache
    return build_mesh(case.model.geometry.type, case.geometry, case.model.mesh, comm, Path(cache) if cache else None)


def case_conductivities(case: Case) -> tuple[dict[str, float], GrainBoundaryModel | None]:
    """Ionic conductivity [S/m] of every ionic region at the case temperature, and the
    lumped grain-boundary model of the ``grain_boundaries`` section (None without one)."""
    temperature = case.electrochemistry.temperature
    conductivity, grain_boundary = {}, None
    for region, mat in case.materials.items():
        if mat.role != "electrode":  # electronic conductors are equipotential, cut from the ionic domain
            conductivity[region] = mat.ionic_conductivity_at(temperature, f"materials.{region}")
    gb = case.grain_boundary
    if gb is not None:  # lumped_facets: a layer of conductivity sigma_gb and thickness delta on the facets
        grain_boundary = GrainBoundaryModel.from_layer(
            gb.ionic_conductivity_at(temperature, "grain_boundaries.material"), gb.get("thickness"), facets=GB_FACETS)
    return conductivity, grain_boundary


def case_kinetics(case: Case, direction: str) -> KineticsLaw:
    """The case's kinetics law for Li ``direction`` ("plating" or "stripping") at its temperature."""
    ec = case.electrochemistry
    i0, _ = case.exchange_current_density()
    return kinetics_from_parameters(ec.kinetics.law, ec.kinetics, ec.temperature, direction=direction,
                                    exchange_current_density=i0)


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
    fields = ElasticityProblem(tagged, materials, pressures=loads, constraints=constraints,
                               degree=mech.element_degree).solve()
    pressure = fields.hydrostatic_pressure_field(0)
    shift = fem.Function(pressure.function_space, name="equilibrium_shift_V")
    shift.x.array[:] = -LI_MOLAR_VOLUME * pressure.x.array / FARADAY
    return shift


def conduction_problem(case: Case, tagged: TaggedMesh) -> ConductionProblem:
    """The conduction problem of a case on its mesh: ionic regions, kinetics, settings (SI)."""
    ec = case.electrochemistry
    conductivity, grain_boundary = case_conductivities(case)
    tagged = restrict(tagged, list(conductivity))
    shift = stress_shift(case, tagged) if ec.stress_kinetics else None
    kinetics = case_kinetics(case, ec.direction)
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
    )
    return ConductionProblem(tagged, conductivity, settings)
