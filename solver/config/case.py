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
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

import meshes
from meshes import GeometryParameters, MeshSettings
from solver import plugins
from solver.analysis.risk import risk_criteria
from solver.config import checks
from solver.config.choices import DISCRIMINATORS, choice_model, choice_union
from solver.errors import CaseError
from solver.physics.kinetics import kinetics_laws
from solver.materials.library import Material, material
from solver.config.units import Quantity

__all__ = ["Case", "case_model", "load_case", "parse_case", "with_value", "MAX_CASE_BYTES"]

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


class Outputs(_Section):
    directory: str = Field("results", description="parent folder of the run folders")
    png: bool = Field(True, description="write PNG pictures")
    fields: bool = Field(True, description="write XDMF fields for ParaView")
    effective_conductivity: bool = Field(
        False, description="also compute the effective conductivity of the meshed electrolyte [S/m]")
    percentile: float = Field(99.0, gt=50, lt=100, description="percentile of the robust focusing factor [%]")
    mesh_cache: str | None = Field(".cache/meshes", description="mesh cache folder (null: no cache)")


class Mechanics(_Section):
    """Linear elasticity of the electrolyte (plane strain in 2D) for flaw stress intensity."""

    element_degree: int = Field(2, ge=1, le=2, description="Lagrange degree of the displacement [-]")
    stack_pressure: Quantity("Pa") = Field(0.0, ge=0, le=1e9, description="stack pressure on the cell [Pa]")
    lateral: Literal["symmetry", "free"] = Field(
        "symmetry", description="sides: symmetry planes (a periodic row of flaws, laterally confined cell) or "
        "traction-free (an isolated flaw; one corner is held against rigid motion)")


class Risk(_Section):
    """Dendrite risk of Li-filled flaws and the critical current density search.

    ``criterion: NAME`` picks a risk criterion, whose own keys (its threshold, named like
    it) join these; see the risk criteria.
    """

    pressure_cap: Quantity("Pa") | None = Field(
        None, gt=0, description="upper bound of the Porz pressure in a flaw [Pa] (Li flow/yield); none: uncapped")
    molar_volume: Quantity("m^3/mol") = Field(1.30e-5, gt=0, description="V_m of Li [m^3/mol] (Porz et al. 2017)")
    ccd: bool = Field(True, description="search the critical current density")
    ccd_start: Quantity("A/m^2") = Field(1.0, gt=0, description="first current density of the CCD search [A/m^2]")
    ccd_maximum: Quantity("A/m^2") = Field(1000.0, gt=0, description="give up above this current density [A/m^2]")
    ccd_rtol: float = Field(2e-3, gt=0, lt=0.5, description="relative precision of the CCD [-]")


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


class Study(_Section):
    """A sweep of one key over values, run by ``dendrite sweep`` (``dendrite run`` ignores it)."""

    parameter: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$",
                           description="dotted key, e.g. electrochemistry.applied_current_density")
    values: list[Any] = Field(min_length=1, max_length=1000, description="values of the key, with units")


class GeometrySection(BaseModel):
    """``type`` picks the generator; every other key is one of its parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: str


class CaseModel(_Section):
    name: str | None = Field(None, pattern=NAME_PATTERN, description="run name (default: file name); letters, "
                             "digits and _ . + - only, as it names the result folder")
    description: str = ""
    geometry: GeometrySection
    mesh: MeshSettings = Field(default_factory=MeshSettings)
    materials: dict[str, Any] = Field(min_length=1, description="region name -> material (name or mapping)")
    electrochemistry: Electrochemistry
    solver: Solver = Field(default_factory=Solver)
    outputs: Outputs = Field(default_factory=Outputs)
    mechanics: Mechanics = Field(default_factory=Mechanics)
    risk: Any = Field(None, description="flaw risk and CCD: {criterion: NAME, ...} (default criterion: "
                      f"{DEFAULT_CRITERION}, which needs a 2D geometry with flaws for K_I)")
    grain_boundaries: GrainBoundaries | None = Field(
        None, description="zero-thickness grain boundaries (geometries with grain_boundary_facets)")
    study: Study | None = Field(None, description="parameter sweep for `dendrite sweep`")


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
        _MODELS[key] = create_model("CaseModel", __base__=CaseModel, electrochemistry=(electrochemistry, ...),
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
        i0, i0_source = self.exchange_current_density()
        return {
            "name": self.name,
            "units": "SI (m, V, A/m^2, S/m, K, Pa)",
            "case": self.model.model_dump(mode="json"),
            "geometry_parameters": self.geometry.model_dump(mode="json"),
            "exchange_current_density": {"value": i0, "source": i0_source},
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
    case = Case(raw, model, geometry, mats, model.name or _safe_name(name), grain_boundary)
    checks.against_geometry(case, risk_criteria)
    if model.study is not None:
        _check_study(raw, model.study)
    case.exchange_current_density()  # fail early when i0 has no source
    return case


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


def load_case(path: str | Path) -> Case:
    """Read and validate a YAML case file (safe loader, size-limited, duplicate keys rejected).

    Every problem becomes one :class:`CaseError`; errors about the file as a whole are
    keyed by its path.
    """
    path = Path(path)
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_CASE_BYTES:
            raise CaseError(where, f"{size} bytes; a case file is limited to {MAX_CASE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CaseError(where, f"cannot read the case file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CaseError(where, "not UTF-8 text") from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)
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
    case = parse_case(raw, name=path.stem)
    case.source_text = text
    return case
