"""The case file: YAML -> validated :class:`Case` with SI floats, at the edge of the program.

Every quantity may carry units ("0.69 mA/cm^2", "300 nm"); it is converted to SI once,
here. Any error becomes one :class:`CaseError` line naming the YAML key. See
``docs/case_reference.md`` for every key, its unit and default.

The sections of physics choices (``electrochemistry.kinetics``, ``risk``) are built from
the registries of kinetics laws and risk criteria, plugins included (:func:`case_model`).
Before anything is meshed the case is checked against what its geometry declares
(:mod:`solver.config.checks`).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

import meshes
from meshes import GeometryParameters, MeshSettings
from solver import plugins
from solver.analysis.risk import risk_criteria
from solver.config import checks
from solver.config.choices import DISCRIMINATORS, choice_model, choice_union
from solver.errors import CaseError, one_line
from solver.io.outputs import DEFAULT_OUTPUTS, output_names
from solver.analysis.acceptance import DEFAULT_CHARGE_BALANCE_TOLERANCE
from solver.config.feasibility import check_feasible
from solver.config.inputs import InputFileError, check_directory_path, read_text
from solver.config.petsc_values import check_petsc_option_values
from solver.physics.kinetics import kinetics_laws
from solver.materials.library import Material, material
from solver.config.units import Quantity
from solver.config.temperature import check_temperature, temperature_rules
from solver.analysis.risk import check_criterion_kinetics
from solver.config.cycling import Cycling

__all__ = ["Case", "case_model", "load_case", "read_case_mapping", "parse_case", "with_value", "MAX_CASE_BYTES"]

MAX_CASE_BYTES = 1_000_000  # a case is a few kB; anything larger is a mistake or an attack
MAX_CASE_NODES = 100_000  # values after expanding YAML aliases (a "billion laughs" file stops here)
MAX_CELLS_PER_LENGTH = 1e5  # largest geometry length / smallest element size
MIN_SIZE_FACTOR = 0.01
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$"  # a run name is part of a folder name


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


DEFAULT_LAW = "butler_volmer"
DEFAULT_CRITERION = "fracture_toughness"


class Electrochemistry(_Section):
    mode: Literal["galvanostatic", "potentiostatic"] = Field("galvanostatic", description="operating mode")
    direction: Literal["plating", "stripping"] = Field(
        "plating", description="plating deposits Li on the anode; stripping removes it"
    )
    applied_current_density: Quantity("A/m^2") | None = Field(
        None, gt=0, le=1e5, description="magnitude of the current density through the counter electrode [A/m^2]"
    )
    applied_potential: Quantity("V") | None = Field(
        None, gt=0, le=10, description="magnitude of the electrolyte potential at the counter vs the anode [V]"
    )
    temperature: Quantity("K") = Field(298.15, gt=0, le=2000, description="temperature [K]")
    missing_activation_energy: Literal["error", "hold"] = Field(
        "error", description="at a temperature other than a property's reference: error (name the material) or "
        "hold the properties that have no activation energy at their reference value")
    equilibrium_potential: Quantity("V") = Field(0.0, description="U_ref of the anode reaction [V]")
    kinetics: Any = Field(None, description="kinetics law: {law: NAME, ...its parameters} (default law: "
                          f"{DEFAULT_LAW}); see the kinetics laws")
    anode_interface: str = Field("anode_interface", description="boundary where charge transfer happens")
    counter_electrode: str = Field("counter_electrode", description="boundary carrying the applied load")
    stress_kinetics: bool = Field(
        False, description="Monroe-Newman: shift the equilibrium potential by -V_m p_h / F, with p_h the "
        "hydrostatic pressure of the electrolyte under mechanics.stack_pressure")
    counter_kinetics: Literal["ideal", "same_as_anode"] = Field(
        "ideal", description="counter electrode: ideal (non-polarisable) or Li with the anode's kinetics "
        "(symmetric Li | SE | Li cell; adds its overpotential to the cell voltage)")

    @model_validator(mode="after")
    def _load_given(self):
        if self.mode == "galvanostatic" and self.applied_current_density is None:
            raise ValueError("applied_current_density is required in galvanostatic mode")
        if self.mode == "potentiostatic" and self.applied_potential is None:
            raise ValueError("applied_potential is required in potentiostatic mode")
        return self

    @property
    def sign(self) -> float:
        return 1.0 if self.direction == "plating" else -1.0


class Solver(_Section):
    element_degree: int = Field(1, ge=1, le=3, description="Lagrange degree of the potential [-]")
    linear_solver: Literal["auto", "direct", "iterative"] = Field("auto", description="MUMPS LU or CG+GAMG")
    newton_rtol: float = Field(1e-10, gt=0, lt=1, description="relative Newton tolerance [-]")
    newton_max_iterations: int = Field(50, ge=1, le=1000)
    petsc_options: dict[str, bool | int | float | str | None] = Field(
        default_factory=dict,
        description="PETSc options of the potential solve (prefix dendrite_conduction_, names without it, "
        "e.g. ksp_rtol: 1.0e-9), merged over the tuned defaults; see docs/petsc_options.md")

    @field_validator("petsc_options")
    @classmethod
    def _petsc_option_names(cls, options: dict) -> dict:
        bad = [name for name in options if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_]*", name)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a PETSc option name: letters, digits and '_', "
                             "without the leading '-' and the prefix dendrite_conduction_")
        return check_petsc_option_values(options)
    charge_balance_tolerance: float = Field(
        DEFAULT_CHARGE_BALANCE_TOLERANCE, gt=0, lt=1,
        description="largest accepted |I_interface - I_applied| / |I_applied| of a solution [-]")
    on_check_failure: Literal["error", "mark_failed"] = Field(
        "error", description="a solution failing its checks: error (exit 3, no result) or mark_failed "
        "(result folder written with acceptance.passed false, exit 3)")


class Outputs(_Section):
    directory: str = Field("results", description="parent folder of the run folders")
    write: list[str] = Field(
        default_factory=lambda: list(DEFAULT_OUTPUTS),
        description="outputs of a run, by name: " + ", ".join(output_names()) + " (see docs/case_reference.md)")
    png: bool = Field(True, description="write PNG pictures (false: leaves 'pictures' out of 'write')")
    fields: bool = Field(True, description="write field files (false: leaves 'fields_*' out of 'write')")
    effective_conductivity: bool = Field(
        False, description="also compute the effective conductivity of the meshed electrolyte [S/m]")
    percentile: float = Field(99.0, gt=50, lt=100, description="percentile of the robust focusing factor [%]")
    mesh_cache: str | None = Field(
        "default", description="mesh cache folder ('default': the user cache folder; null: no cache)")
    lateral_guard_band: Quantity("m") | None = Field(
        None, ge=0, description="interior focusing metrics ignore the interface this close to the lateral sides [m]; "
        "default: the geometry's lateral length scale (at most a quarter of the width)")
    edge_averaging_length: Quantity("m") | None = Field(
        None, gt=0, description="length over which the current next to each contact edge (void) is averaged [m]; "
        "default: not computed (the edge maximum itself is mesh dependent)")

    @field_validator("write")
    @classmethod
    def _known_outputs(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in output_names()]
        if unknown:
            raise ValueError(f"unknown output {unknown[0]!r}; allowed: {', '.join(output_names())}")
        return list(dict.fromkeys(names))

    def selected(self) -> list[str]:
        """The outputs to write: ``write`` without those that ``png``/``fields`` switch off."""
        return [n for n in self.write if (self.png or n != "pictures") and (self.fields or not n.startswith("fields_"))]

    def mesh_cache_folder(self) -> Path | None:
        """The mesh cache folder (``default``: platformdirs' user cache, ``.../dendrite/meshes``)."""
        if self.mesh_cache is None:
            return None
        if self.mesh_cache == "default":
            import platformdirs

            return Path(platformdirs.user_cache_dir("dendrite")) / "meshes"
        return Path(self.mesh_cache)

    @field_validator("directory", "mesh_cache")
    @classmethod
    def _folder(cls, v):
        return v if v is None else check_directory_path(v)


class Mechanics(_Section):
    """Linear elasticity of the electrolyte (plane strain in 2D) for flaw stress intensity."""

    element_degree: int = Field(2, ge=1, le=2, description="Lagrange degree of the displacement [-]")
    stack_pressure: Quantity("Pa") = Field(0.0, ge=0, le=1e9, description="stack pressure on the cell [Pa]")
    lateral: Literal["symmetry", "free"] = Field(
        "symmetry", description="sides: symmetry planes (a periodic row of flaws, laterally confined cell) or "
        "traction-free (an isolated flaw; one corner is held against rigid motion)")
    integration_radius: Quantity("m") | None = Field(
        None, gt=0, description="outer radius r2 of the K_I interaction-integral domain around a crack tip or "
        "front [m]; default: 2D a quarter of the flaw depth, 3D six "
        "front elements (at most half the smaller crack dimension); a warning when it spans fewer than three "
        "elements")
    anode_regions: bool = Field(
        True, description="meshed anode regions (interphase layer, Li with its skeleton) take part in the "
        "elasticity problem; false: the electrolyte alone, its anode side traction-free except in the flaws")


class LiFlow(_Section):
    """Li in a flaw limited by its own creep flow (solver.physics.li_flow); defaults from material Li."""

    reference_strain_rate: Quantity("1/s") = Field(
        gt=0, description="strain rate of the test that measured reference_stress [1/s] (required: no default)")
    reference_stress: Quantity("Pa") | None = Field(None, gt=0, description="flow stress of Li at that rate "
                                                     "[Pa]; default: the Li yield_strength of the library")
    reference_temperature: Quantity("K") = Field(298.15, gt=0, description="temperature of that test [K]")
    stress_exponent: float | None = Field(None, gt=1, description="creep exponent n [-]; default: library Li")
    activation_energy: Quantity("J/mol") | None = Field(
        None, gt=0, description="creep activation energy Q [J/mol]; default: library Li")


class FlawPopulationSection(_Section):
    """A population of surface flaws for weakest-link CCD statistics (solver.analysis.flaw_population)."""

    kind: Literal["pareto", "roughness", "grain_boundary_grooves"] = Field(description="depth distribution")
    minimum_depth: Quantity("m") | None = Field(None, gt=0, description="pareto: smallest depth a_min [m]")
    exponent: float | None = Field(None, gt=0, description="pareto: tail exponent beta [-]")
    density: Quantity("1/m^2") | None = Field(None, gt=0, description="pareto: flaws per area [1/m^2]")
    rms_height: Quantity("m") | None = Field(None, gt=0, description="roughness: RMS height [m]")
    correlation_length: Quantity("m") | None = Field(None, gt=0, description="roughness: correlation length [m]")
    grain_size: Quantity("m") | None = Field(None, gt=0, description="grain_boundary_grooves: mean grain size [m]")
    depth_ratio: float | None = Field(None, gt=0, description="grain_boundary_grooves: groove depth / grain size [-]")
    electrode_area: Quantity("m^2") = Field(7.85e-5, gt=0, description="electrode area [m^2]; default: a 10 mm "
                                            "pellet (seed 001)")
    opening_ratio: float | None = Field(None, gt=0, description="opening / depth of the flaws [-] (needed with "
                                        "risk.li_flow: the Li flows out through the opening)")
    realisations: int = Field(2000, ge=10, le=1_000_000, description="Monte Carlo cells [-]")
    seed: int = Field(0, ge=0, description="random seed")

    @model_validator(mode="after")
    def _parameters_given(self):
        needed = {"pareto": ("minimum_depth", "exponent", "density"),
                  "roughness": ("rms_height", "correlation_length"),
                  "grain_boundary_grooves": ("grain_size", "depth_ratio")}[self.kind]
        missing = [k for k in needed if getattr(self, k) is None]
        if missing:
            raise ValueError(f"kind {self.kind} needs {', '.join(missing)}")
        return self

    def parameters(self) -> dict:
        keys = {"pareto": ("minimum_depth", "exponent", "density"), "roughness": ("rms_height", "correlation_length"),
                "grain_boundary_grooves": ("grain_size", "depth_ratio")}[self.kind]
        return {k: getattr(self, k) for k in keys}


class ToughnessTable(_Section):
    """K_IC from a shipped grain-size table (solver/materials/data/grain_size_tables.yaml)."""

    table: str = Field(description="table name, e.g. LLZO_Sharafi2017")
    grain_size: Quantity("m") = Field(gt=0, description="mean grain size of the electrolyte [m]")

    @field_validator("table")
    @classmethod
    def _shipped(cls, v):
        from solver.analysis.toughness import shipped_tables

        if v not in shipped_tables():
            raise ValueError(f"unknown grain-size table {v!r}; shipped: {', '.join(shipped_tables())}")
        return v


class Risk(_Section):
    """Dendrite risk of Li-filled flaws and the critical current density search.

    ``criterion: NAME`` picks a risk criterion, whose own keys (its threshold, named like
    it) join these; see the risk criteria.
    """

    fracture_toughness_table: ToughnessTable | None = Field(
        None, description="K_IC from a grain-size table at the case's grain size (instead of fracture_toughness)")
    pressure_cap: Quantity("Pa") | None = Field(
        None, gt=0, description="upper bound of the Porz pressure in a flaw [Pa] (Li flow/yield); none: uncapped")
    molar_volume: Quantity("m^3/mol") = Field(1.30e-5, gt=0, description="V_m of Li [m^3/mol] (Porz et al. 2017)")
    flaw_population: FlawPopulationSection | None = Field(
        None, description="surface-flaw population: weakest-link CCD distribution with the worst meshed flaw's "
        "tip focusing")
    li_flow: LiFlow | None = Field(None, description="limit the flaw pressure by the creep flow of Li out of the "
                                   "flaw (none: the Porz pressure, or pressure_cap)")
    ccd: bool = Field(True, description="search the critical current density")
    ccd_start: Quantity("A/m^2") = Field(1.0, gt=0, description="first current density of the CCD search [A/m^2]")
    ccd_maximum: Quantity("A/m^2") = Field(1000.0, gt=0, description="give up above this current density [A/m^2]")
    ccd_rtol: float = Field(2e-3, gt=0, lt=0.5, description="relative precision of the CCD [-]")
    also: list[str] = Field(default_factory=list, max_length=8, description="more criteria, each with its own CCD "
                            "search by the same bisection: " + ", ".join(n for n, c in risk_criteria.items()
                                                                        if c.combinable)
                            + "; the combined CCD is the smallest, with the mechanism that sets it")

    @field_validator("also")
    @classmethod
    def _combinable(cls, names: list[str]) -> list[str]:
        allowed = [n for n, c in risk_criteria.items() if c.combinable]
        wrong = [n for n in names if n not in allowed]
        if wrong or len(set(names)) != len(names):
            raise ValueError(f"{wrong or names} not allowed (each once); allowed: {', '.join(allowed)}")
        return names

    @model_validator(mode="after")
    def _consistent(self):
        pop = self.flaw_population
        if self.li_flow is not None and pop is not None and pop.opening_ratio is None:
            raise ValueError("with li_flow, flaw_population.opening_ratio is required")
        if getattr(self, "fracture_toughness", None) is not None and self.fracture_toughness_table is not None:
            raise ValueError("give fracture_toughness or fracture_toughness_table, not both")
        return self

class GrainBoundaries(_Section):
    """Zero-thickness grain boundaries on the interior facets ``grain_boundary_facets``.

    ``lumped_facets``: a GB layer of conductivity sigma_gb [S/m] and thickness delta [m]
    lumped on the facets, with normal resistance R = delta / sigma_gb [ohm m^2] and sheet
    conductance G = sigma_gb delta [S].
    """

    model: Literal["lumped_facets"] = Field("lumped_facets", description="grain-boundary model")
    material: str | dict[str, Any] = Field(
        description="material of the GB layer (name, or {material: NAME, PROPERTY: value}); needs an ionic "
                    "conductivity")
    thickness: Quantity("m") | None = Field(None, gt=0, description="GB layer thickness delta [m]; default: "
                                            "the material's thickness")


class Electronic(_Section):
    """Electrons in the electrolyte (mixed conductor, docs/electronic.md): the Li+ and the
    electron potentials, leakage, where Li metal can form inside, self-discharge."""

    anode: str = Field("lithium", description="anode contact: lithium (an electron source at the Li potential "
                       "exchanging Li+ by its kinetics; the only contact a Li anode can make)")
    counter: Literal["lithium", "ion_blocking", "electron_blocking"] = Field(
        "lithium", description="counter contact: lithium (Li+ and electrons), ion_blocking (electrons only, "
        "e.g. Ti), electron_blocking (Li+ only)")
    counter_equilibrium_potential: Quantity("V") | None = Field(
        None, ge=-10, le=10, description="U_c of the counter's Li+ reaction vs Li [V] (default: the anode's: a Li "
        "counter); the open-circuit voltage of the resting cell")
    electronic_conductivity: Quantity("S/m") | None = Field(
        None, ge=0, le=1e3, description="sigma_e of every electrolyte region [S/m] (default: each material's "
        "electronic_conductivity); 0 is the ionic-only limit")
    grain_boundary_enhancement: float = Field(
        1.0, gt=0, le=1e7, description="sigma_e of the grain boundaries / sigma_e of the grains [-] (GB facets and "
        "a region named grain_boundaries); studied range 1-1000, bounded by band-gap narrowing (docs/electronic.md)")
    statistics: Literal["constant", "n_type", "p_type"] = Field(
        "constant", description="sigma_e vs the local Li activity a_Li: constant, n_type (electrons, sigma_e ~ a_Li), "
        "p_type (holes, ~ 1/a_Li); the material value holds at a_Li = 1 (non-constant: no GB facets)")
    critical_supersaturation: Quantity("V") = Field(
        0.0, ge=0, le=1, description="eta_crit [V]: Li metal forms where eta_Li <= -eta_crit (0: wherever it is "
        "stable)")
    internal_distance: Quantity("m") = Field(
        1e-6, ge=0, description="Li forming at least this far from the anode counts as internal [m]")
    onset: bool = Field(True, description="search the internal-Li-formation onset current (needs "
                        "critical_supersaturation > 0 and galvanostatic mode)")
    self_discharge: bool = Field(True, description="solve the resting cell for its self-discharge current")

    @field_validator("anode")
    @classmethod
    def _li_anode(cls, v):
        if v != "lithium":
            raise ValueError(f"{v!r} is not possible: the anode is Li metal, an electron source at the Li potential "
                             "that exchanges Li+; allowed: lithium")
        return v


class Study(_Section):
    """A sweep of one key over values, run by ``dendrite sweep`` (``dendrite run`` ignores it)."""

    parameter: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$",
                           description="dotted key, e.g. electrochemistry.applied_current_density")
    values: list[Any] = Field(min_length=1, max_length=1000, description="values of the key, with units")


class GeometrySection(BaseModel):
    """``type`` picks the generator; every other key is one of its parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str


class Fracture(_Section):
    """A mechanics-only crack case: the loads and supports of a crack geometry, and K.

    ``dendrite run`` then solves linear elasticity (``mechanics.element_degree``) and
    reports K_I, K_II (and K_III in 3D) at every crack tip or along every crack front, with
    the domain interaction integral of radius ``mechanics.integration_radius``.
    """

    pressures: dict[str, Quantity("Pa")] = Field(
        min_length=1, description="boundary name -> normal pressure [Pa]: > 0 pushes on the face (crack_faces: a "
        "Li-filled or pressurised crack), < 0 pulls (e.g. top: -50 MPa for a remote tension)")
    constraints: dict[str, Literal["fixed", "roller", "symmetry"]] | None = Field(
        None, description="boundary name -> support; default: the generator's statically determinate supports")
    segments: int | None = Field(
        None, ge=2, le=201, description="3D: nodes along each crack front [-]; default about one per 2 r2 (5..41)")


class CaseModel(_Section):
    name: str | None = Field(None, pattern=NAME_PATTERN, description="run name (default: file name); letters, "
                             "digits and _ . + - only, as it names the result folder")
    description: str = ""
    geometry: GeometrySection
    mesh: MeshSettings = Field(default_factory=MeshSettings)
    materials: dict[str, Any] = Field(min_length=1, description="region name -> material (name or mapping)")
    electrochemistry: Electrochemistry | None = Field(
        None, description="operating conditions (required, except in a fracture case)")
    solver: Solver = Field(default_factory=Solver)
    outputs: Outputs = Field(default_factory=Outputs)
    mechanics: Mechanics = Field(default_factory=Mechanics)
    risk: Any = Field(None, description="flaw risk and CCD: {criterion: NAME, ...} (default criterion: "
                      f"{DEFAULT_CRITERION}, which needs a 2D geometry with flaws for K_I)")
    grain_boundaries: GrainBoundaries | None = Field(
        None, description="zero-thickness grain boundaries (geometries with grain_boundary_facets)")
    study: Study | None = Field(None, description="parameter sweep for `dendrite sweep`")
    electronic: Electronic | None = Field(None, description="electrons in the electrolyte (mixed conductor)")
    cycling: Cycling | None = Field(None, description="cycling protocol and interface laws for `dendrite cycle`")
    fracture: Fracture | None = Field(None, description="a mechanics-only crack case: loads, supports and K "
                                      "(instead of electrochemistry)")


def _registry_key() -> tuple:
    return (tuple((n, id(c)) for n, c in kinetics_laws.items()), tuple((n, id(c)) for n, c in risk_criteria.items()))


_MODELS: dict[tuple, type[CaseModel]] = {}


def case_model() -> type[CaseModel]:
    """The case model with the kinetics laws and risk criteria registered now (plugins included)."""
    key = _registry_key()
    if key not in _MODELS:
        laws = [choice_model(cls.parameters, "law", name, description=(cls.__doc__ or name).strip().splitlines()[0])
                for name, cls in kinetics_laws.items()]
        criteria = [choice_model(cls.parameters, "criterion", name, base=Risk, description=cls.description or name)
                    for name, cls in risk_criteria.items()]
        kinetics = choice_union(laws, "law", DEFAULT_LAW)
        default_law = next(m for m in laws if m.model_fields["law"].default == DEFAULT_LAW)
        electrochemistry = create_model("Electrochemistry", __base__=Electrochemistry,
                                        kinetics=(kinetics, Field(default_factory=default_law)))
        risk = choice_union(criteria, "criterion", DEFAULT_CRITERION)
        _MODELS[key] = create_model("CaseModel", __base__=CaseModel, electrochemistry=(
            electrochemistry | None, Field(None, description=CaseModel.model_fields["electrochemistry"].description)),
                                    risk=(risk | None, None))
    return _MODELS[key]


class Case:
    """A validated case: the raw mapping, the pydantic model, and resolved objects (SI)."""

    def __init__(self, raw: dict, model: CaseModel, geometry: GeometryParameters, materials: dict[str, Material],
                 name: str, grain_boundary: Material | None = None):
        self.raw = raw
        self.model = model
        self.geometry = geometry
        self.materials = materials
        self.name = name
        self.grain_boundary = grain_boundary  # material of the lumped GB layer (with its thickness)

    @property
    def electrochemistry(self) -> Electrochemistry:
        return self.model.electrochemistry

    @property
    def declaration(self) -> meshes.GeometryDeclaration | None:
        """What the geometry draws (regions, boundaries, flaws), known without meshing
        (None for a generator registered without a declaration)."""
        return meshes.get(self.model.geometry.type).declare(self.geometry)

    def exchange_current_density(self) -> tuple[float | None, str]:
        """i0 [A/m^2] and where it comes from (the case, or a material at the interface);
        (None, reason) when the kinetics law takes no exchange current density."""
        kin = self.electrochemistry.kinetics
        if "exchange_current_density" not in type(kin).model_fields:
            return None, f"not used by the {kin.law} law"
        if kin.exchange_current_density is not None:
            return kin.exchange_current_density, "case"
        for region in ("interphase", "electrolyte", "grains", *self.materials):
            mat = self.materials.get(region)
            if mat is not None and "exchange_current_density" in mat.values:
                return mat.values["exchange_current_density"], f"material {mat.name}: {mat.sources['exchange_current_density']}"
        raise CaseError(
            "electrochemistry.kinetics.exchange_current_density",
            "required: no material of the case provides one (e.g. '0.69 mA/cm^2')",
        )

    def resolved(self) -> dict:
        """The case in SI units, as JSON-ready data."""
        if self.model.fracture is not None:
            return {"name": self.name, "units": "SI (m, Pa)", "case": self.model.model_dump(mode="json"),
                    "geometry_parameters": self.geometry.model_dump(mode="json"),
                    "materials": {region: {"material": m.name, "values": m.values, "sources": m.sources}
                                  for region, m in self.materials.items()}}
        i0, i0_source = self.exchange_current_density()
        return {
            "name": self.name,
            "units": "SI (m, V, A/m^2, S/m, K, Pa)",
            "case": self.model.model_dump(mode="json"),
            "geometry_parameters": self.geometry.model_dump(mode="json"),
            "exchange_current_density": {"value": i0, "source": i0_source},
            "temperature_rules": temperature_rules(self),
            "materials": {
                region: {"material": m.name, "values": m.values, "sources": m.sources, "reference_temperature": m.reference_temperature}
                for region, m in self.materials.items()
            },
            **({"grain_boundaries": {"material": self.grain_boundary.name, "values": self.grain_boundary.values,
                                     "sources": self.grain_boundary.sources}} if self.grain_boundary else {}),
        }


def _yaml_path(loc: tuple, raw: Any) -> list[str]:
    """The YAML keys of a pydantic error location: without validator names and without the
    choice name a discriminated union inserts after its section (``kinetics.tafel.x``)."""
    path, node = [], raw
    for i, part in enumerate(loc):
        if str(part).startswith(("function-", "tagged-union")):
            continue
        chosen = isinstance(node, dict) and i + 1 < len(loc) and any(
            node.get(key, default) == part for key, default in DISCRIMINATORS.items())
        if chosen:
            continue
        path.append(str(part))
        node = node.get(part) if isinstance(node, dict) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None)
    return path


def _one_line(exc: ValidationError, prefix: str = "", raw: Any = None) -> CaseError:
    """The first pydantic error as 'key.path: message' (+ how many more)."""
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(_yaml_path(first["loc"], raw))
    key = ".".join(k for k in (prefix, loc) if k)
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown key (misspelt?)"
        choice = _choice_keys(first["loc"])
        if choice is not None:
            msg = f"not a parameter of the {choice[0]} (it takes: {', '.join(choice[1])})"
    elif first["type"] == "missing":
        msg = "required key is missing"
    elif first["type"] == "union_tag_invalid" and first["ctx"]["discriminator"].strip("'") in DISCRIMINATORS:
        ctx = first["ctx"]  # an unknown law or criterion: name its key
        name = ctx["discriminator"].strip("'")
        key = f"{key}.{name}" if key else name
        msg = f"unknown {name} {ctx['tag']!r}; allowed: {ctx['expected_tags'].replace(chr(39), '')}"
    if ("input" in first and first["type"] not in ("missing", "extra_forbidden")
            and not isinstance(first["input"], dict) and repr(first["input"]) not in msg):
        msg += f" (got {first['input']!r})"[:120]
    if len(errors) > 1:
        msg += f" [and {len(errors) - 1} more error(s)]"
    return CaseError(key, msg)


def _choice_keys(loc: tuple) -> tuple[str, list[str]] | None:
    """(which choice, the keys it takes) when an error location lies inside a law or criterion."""
    parts = [p for p in loc if isinstance(p, str) and not p.startswith(("function-", "tagged-union"))]
    if parts[:2] == ["electrochemistry", "kinetics"] and len(parts) > 3 and parts[2] in kinetics_laws:
        return f"law {parts[2]}", ["law", *kinetics_laws[parts[2]].parameters.model_fields]
    if parts[:1] == ["risk"] and len(parts) > 2 and parts[1] in risk_criteria:
        return f"criterion {parts[1]}", ["criterion", *risk_criteria[parts[1]].parameters.model_fields,
                                         *Risk.model_fields]
    return None


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader (no object construction) that rejects duplicate keys."""


def _no_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise CaseError(f"(line {key_node.start_mark.line + 1})", "keys must be plain names")
        if key in seen:
            raise CaseError(str(key), f"duplicate key (line {key_node.start_mark.line + 1})")
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _check_values(obj, path="", budget=None, ancestors=()):
    """Reject non-finite floats (naming the key) and alias bombs or self-references."""
    budget = budget if budget is not None else [MAX_CASE_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise CaseError(path or "(case)", f"the case expands to more than {MAX_CASE_NODES} values (YAML aliases?)")
    if isinstance(obj, float) and not math.isfinite(obj):
        raise CaseError(path, f"must be finite, got {obj}")
    if isinstance(obj, (dict, list)):
        if id(obj) in ancestors:
            raise CaseError(path, "refers to itself (recursive YAML alias)")
        ancestors = (*ancestors, id(obj))
        items = obj.items() if isinstance(obj, dict) else enumerate(obj)
        for k, v in items:
            _check_values(v, f"{path}.{k}" if path else str(k), budget, ancestors)


def parse_case(raw: Any, name: str = "case") -> Case:
    """Validate a case mapping (already parsed from YAML)."""
    if not isinstance(raw, dict):
        raise CaseError("(case)", "must be a mapping of sections (geometry, materials, electrochemistry, ...), "
                        f"got {type(raw).__name__}")
    _check_values(raw)
    plugins.load_entry_points()
    checks.old_grain_boundary_key(raw)
    try:
        model = case_model().model_validate(raw)
    except ValidationError as exc:
        raise _one_line(exc, raw=raw) from None
    gtype = model.geometry.type
    if gtype not in meshes.registry:
        raise CaseError("geometry.type", f"unknown geometry {gtype!r}; allowed: {', '.join(sorted(meshes.registry))}")
    try:
        geometry = meshes.get(gtype).parameters.model_validate(model.geometry.model_extra or {})
    except ValidationError as exc:
        raise _one_line(exc, "geometry", raw.get("geometry")) from None
    checks.bare_numbers(model, raw)
    checks.bare_numbers(geometry, raw["geometry"], "geometry")
    mats = {region: material(spec, f"materials.{region}") for region, spec in model.materials.items()}
    grain_boundary = _grain_boundary_material(model.grain_boundaries)
    _check_mesh_budget(model.mesh, geometry)
    check_feasible(geometry, model.mesh)
    case = Case(raw, model, geometry, mats, model.name or _safe_name(name), grain_boundary)
    if _is_fracture_case(model):
        return case
    checks.against_geometry(case, risk_criteria)
    if model.study is not None:
        _check_study(raw, model.study)
    case.exchange_current_density()  # fail early when i0 has no source
    if model.electronic is not None or (model.risk and (model.risk.criterion == "internal_li_formation"
                                                        or model.risk.also)):
        _check_electronic(case)
    check_temperature(case)  # and when a property has no activation energy at another temperature
    if model.risk is not None:
        kin = model.electrochemistry.kinetics
        check_criterion_kinetics(model.risk.criterion, kinetics_laws[kin.law].fixes_potential, kin.film_resistance)
    return case


def _is_fracture_case(model: CaseModel) -> bool:
    """A fracture case has no electrochemistry; every other case needs it."""
    if model.fracture is None:
        if model.electrochemistry is None:
            raise CaseError("electrochemistry", "required key is missing (a mechanics-only crack case gives a "
                            "fracture section instead)")
        return False
    for section in ("electrochemistry", "risk", "electronic", "cycling", "study"):
        if getattr(model, section) is not None:
            raise CaseError(section, "not in a fracture case (it solves elasticity only); leave out either this "
                            "section or fracture")
    return True


def _check_electronic(case: Case) -> None:
    """Every electrolyte region has an electronic conductivity (before any meshing)."""
    model = case.model
    if model.risk and model.risk.criterion == "internal_li_formation":
        raise CaseError("risk.criterion", "internal_li_formation is searched beside a flaw criterion: give "
                        "risk.also: [internal_li_formation] (eta_crit = electronic.critical_supersaturation)")
    if model.risk and "internal_li_formation" in model.risk.also:
        section = model.electronic
        if section is None or not section.critical_supersaturation:
            raise CaseError("risk.also", "internal_li_formation needs an electronic section with "
                            "critical_supersaturation > 0 (its threshold eta_crit)")
        if model.electrochemistry.mode != "galvanostatic":
            raise CaseError("risk.also", "internal_li_formation searches a current: galvanostatic mode only")
    section = model.electronic
    if section.electronic_conductivity == 0 and section.counter == "ion_blocking":
        raise CaseError("electronic.electronic_conductivity", "0 everywhere, and an ion_blocking counter passes "
                        "electrons only: the cell carries no current; give a value > 0 (e.g. 1e-8 S/cm) or "
                        "counter: lithium or electron_blocking")
    if section.electronic_conductivity is not None:
        return
    for region, mat in case.materials.items():
        if mat.role != "electrode" and "electronic_conductivity" not in mat.values:
            raise CaseError(f"materials.{region}.electronic_conductivity", f"material {mat.name!r} has none: give it "
                            "(e.g. 1e-8 S/cm) or electronic.electronic_conductivity")


def _grain_boundary_material(section: GrainBoundaries | None) -> Material | None:
    """The GB layer's material with the section's thickness; both properties it needs, checked."""
    if section is None:
        return None
    mat = material(section.material, "grain_boundaries.material")
    if section.thickness is not None:
        mat = dataclasses.replace(mat, values={**mat.values, "thickness": section.thickness},
                                  sources={**mat.sources, "thickness": "case (grain_boundaries.thickness)"})
    mat.get("ionic_conductivity", "grain_boundaries.material")
    mat.get("thickness", "grain_boundaries.thickness")
    return mat


def with_value(raw: dict, dotted: str, value) -> dict:
    """A deep copy of the case mapping ``raw`` with the key ``dotted`` set to ``value``."""
    raw = copy.deepcopy(raw)
    node = raw
    *parents, last = dotted.split(".")
    for i, key in enumerate(parents):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise CaseError(dotted, f"{'.'.join(parents[: i + 1])} is not a section")
        node = child
    node[last] = value
    return raw


def _check_study(raw: dict, study: Study) -> None:
    """Validate the case of every study point (before anything is meshed)."""
    base = {k: v for k, v in raw.items() if k != "study"}
    for i, value in enumerate(study.values):
        try:
            parse_case(with_value(base, study.parameter, value))
        except CaseError as exc:
            raise CaseError(f"study.values.{i}", f"{value!r} gives {exc}") from None


def _safe_name(stem: str) -> str:
    """A file name turned into a run name that matches ``NAME_PATTERN``."""
    cleaned = re.sub(r"[^A-Za-z0-9_.+-]", "_", stem).lstrip("._+-")[:100]
    return cleaned or "case"


def _check_mesh_budget(settings: MeshSettings, geometry: GeometryParameters) -> None:
    """Refuse element sizes that would make Gmsh run for hours (before any meshing)."""
    if settings.size_factor < MIN_SIZE_FACTOR:
        raise CaseError("mesh.size_factor", f"{settings.size_factor:g} is below {MIN_SIZE_FACTOR}: the mesh would "
                        f"have over {(1 / settings.size_factor) ** 2:.0e} times more cells than the default")
    lengths = [getattr(geometry, n) for n, f in type(geometry).model_fields.items()
               if any(getattr(m, "unit", None) == "m" for m in f.metadata)]
    extent = max((abs(v) for v in lengths if isinstance(v, float)), default=None)
    for key in ("size", "interface_size"):
        value = getattr(settings, key)
        if extent is not None and value is not None and extent / settings.scaled(value) > MAX_CELLS_PER_LENGTH:
            raise CaseError(f"mesh.{key}", f"{settings.scaled(value):.3g} m is too small for a geometry "
                            f"{extent:.3g} m across (over {MAX_CELLS_PER_LENGTH:.0e} elements along it)")


def read_case_mapping(path: str | Path) -> tuple[Any, str]:
    """(parsed YAML, text) of a case or comparison file, through the hardened reader.

    Regular files only, at most ``MAX_CASE_BYTES``, UTF-8, safe loader, duplicate keys,
    deep nesting and unreadable scalars rejected; every problem is one :class:`CaseError`
    keyed by the file's path.
    """
    where = one_line(str(path))
    try:
        text = read_text(path, MAX_CASE_BYTES)
    except InputFileError as exc:
        raise CaseError(where, exc.reason) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader), text
    except CaseError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CaseError(where, f"not valid YAML{at}: {problem}") from None
    except RecursionError:
        raise CaseError(where, "nests too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a 5000-digit integer
        raise CaseError(where, f"unreadable value: {str(exc).splitlines()[0][:100]}") from None


def load_case(path: str | Path) -> Case:
    """Read and validate a YAML case file (:func:`read_case_mapping`, then :func:`parse_case`).

    Every problem becomes one :class:`CaseError`; errors about the file as a whole are
    keyed by its path.
    """
    path = Path(path)
    raw, text = read_case_mapping(path)
    case = parse_case(raw, name=path.stem)
    case.source_text = text
    return case
