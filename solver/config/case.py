"""The case file: YAML -> validated :class:`Case` with SI floats, at the edge of the program.

Every quantity may carry units ("0.69 mA/cm^2", "300 nm"); it is converted to SI once,
here. Any error becomes one :class:`CaseError` line naming the YAML key. See
``docs/case_reference.md`` for every key, its unit and default.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

import meshes
from meshes import GeometryParameters, MeshSettings
from solver.analysis.acceptance import DEFAULT_CHARGE_BALANCE_TOLERANCE
from solver.config.feasibility import check_feasible
from solver.config.inputs import InputFileError, check_directory_path, read_text
from solver.errors import CaseError, one_line
from solver.physics.kinetics import kinetics_laws
from solver.materials.library import Material, material
from solver.config.units import Quantity

__all__ = ["Case", "load_case", "read_case_mapping", "parse_case", "with_value", "MAX_CASE_BYTES"]

MAX_CASE_BYTES = 1_000_000  # a case is a few kB; anything larger is a mistake or an attack
MAX_CASE_NODES = 100_000  # values after expanding YAML aliases (a "billion laughs" file stops here)
MAX_CELLS_PER_LENGTH = 1e5  # largest geometry length / smallest element size
MIN_SIZE_FACTOR = 0.01
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$"  # a run name is part of a folder name


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kinetics(_Section):
    law: str = Field("butler_volmer", description="kinetics law: " + ", ".join(kinetics_laws))
    exchange_current_density: Quantity("A/m^2") | None = Field(
        None, gt=0, description="i0 [A/m^2]; default: from the material at the anode interface"
    )
    anodic_transfer_coefficient: float = Field(0.5, gt=0, lt=1, description="alpha_a [-]")
    cathodic_transfer_coefficient: float = Field(0.5, gt=0, lt=1, description="alpha_c [-]")
    film_resistance: Quantity("ohm*m^2") = Field(
        0.0, ge=0, description="area-specific resistance of an unmeshed film in series with the kinetics [ohm m^2]")

    @field_validator("law")
    @classmethod
    def _known(cls, v):
        if v not in kinetics_laws:
            raise ValueError(f"unknown law {v!r}; allowed: {', '.join(kinetics_laws)}")
        return v


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
    kinetics: Kinetics = Field(default_factory=Kinetics)
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
    charge_balance_tolerance: float = Field(
        DEFAULT_CHARGE_BALANCE_TOLERANCE, gt=0, lt=1,
        description="largest accepted |I_interface - I_applied| / |I_applied| of a solution [-]")
    on_check_failure: Literal["error", "mark_failed"] = Field(
        "error", description="a solution failing its checks: error (exit 3, no result) or mark_failed "
        "(result folder written with acceptance.passed false, exit 3)")


class Outputs(_Section):
    directory: str = Field("results", description="parent folder of the run folders")
    png: bool = Field(True, description="write PNG pictures")
    fields: bool = Field(True, description="write XDMF fields for ParaView")
    effective_conductivity: bool = Field(
        False, description="also compute the effective conductivity of the meshed electrolyte [S/m]")
    percentile: float = Field(99.0, gt=50, lt=100, description="percentile of the robust focusing factor [%]")
    mesh_cache: str | None = Field(".cache/meshes", description="mesh cache folder (null: no cache)")

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


class Risk(_Section):
    """Dendrite risk of Li-filled flaws and the critical current density search."""

    criterion: str = Field("fracture_toughness", description="fracture_toughness | critical_overpotential | "
                           "critical_local_current_density")
    fracture_toughness: Quantity("Pa*m^0.5") | None = Field(
        None, gt=0, description="K_IC [Pa m^0.5]; default: the electrolyte material's value")
    critical_overpotential: Quantity("V") | None = Field(None, gt=0, description="eta_crit [V]")
    critical_local_current_density: Quantity("A/m^2") | None = Field(None, gt=0, description="i_crit [A/m^2]")
    pressure_cap: Quantity("Pa") | None = Field(
        None, gt=0, description="upper bound of the Porz pressure in a flaw [Pa] (Li flow/yield); none: uncapped")
    molar_volume: Quantity("m^3/mol") = Field(1.30e-5, gt=0, description="V_m of Li [m^3/mol] (Porz et al. 2017)")
    ccd: bool = Field(True, description="search the critical current density")
    ccd_start: Quantity("A/m^2") = Field(1.0, gt=0, description="first current density of the CCD search [A/m^2]")
    ccd_maximum: Quantity("A/m^2") = Field(1000.0, gt=0, description="give up above this current density [A/m^2]")
    ccd_rtol: float = Field(2e-3, gt=0, lt=0.5, description="relative precision of the CCD [-]")

    @field_validator("criterion")
    @classmethod
    def _known_criterion(cls, v):
        from solver.analysis.risk import risk_criteria

        if v not in risk_criteria:
            raise ValueError(f"unknown criterion {one_line(v)[:80]!r}; allowed: {', '.join(risk_criteria)}")
        return v

    @model_validator(mode="after")
    def _threshold_given(self):
        needed = {"critical_overpotential": self.critical_overpotential,
                  "critical_local_current_density": self.critical_local_current_density}
        if self.criterion in needed and needed[self.criterion] is None:
            raise ValueError(f"criterion {self.criterion} needs risk.{self.criterion}")
        return self


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
    risk: Risk | None = Field(None, description="flaw risk and CCD (needs a geometry with flaws for K_I)")
    study: Study | None = Field(None, description="parameter sweep for `dendrite sweep`")


class Case:
    """A validated case: the raw mapping, the pydantic model, and resolved objects (SI)."""

    def __init__(self, raw: dict, model: CaseModel, geometry: GeometryParameters, materials: dict[str, Material], name: str):
        self.raw = raw
        self.model = model
        self.geometry = geometry
        self.materials = materials
        self.name = name

    @property
    def electrochemistry(self) -> Electrochemistry:
        return self.model.electrochemistry

    def exchange_current_density(self) -> tuple[float, str]:
        """i0 [A/m^2] and where it comes from (the case, or a material at the interface)."""
        kin = self.electrochemistry.kinetics
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
        }


def _one_line(exc: ValidationError, prefix: str = "") -> CaseError:
    """The first pydantic error as 'key.path: message' (+ how many more)."""
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith(("function-", "tagged-union")))
    key = ".".join(k for k in (prefix, loc) if k)
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        msg = "unknown key (misspelt?)"
    elif first["type"] == "missing":
        msg = "required key is missing"
    if ("input" in first and first["type"] not in ("missing", "extra_forbidden")
            and not isinstance(first["input"], dict) and repr(first["input"]) not in msg):
        msg += f" (got {first['input']!r})"[:120]
    if len(errors) > 1:
        msg += f" [and {len(errors) - 1} more error(s)]"
    return CaseError(key, msg)


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
    try:
        model = CaseModel.model_validate(raw)
    except ValidationError as exc:
        raise _one_line(exc) from None
    gtype = model.geometry.type
    if gtype not in meshes.registry:
        raise CaseError("geometry.type", f"unknown geometry {gtype!r}; allowed: {', '.join(sorted(meshes.registry))}")
    try:
        geometry = meshes.get(gtype).parameters.model_validate(model.geometry.model_extra or {})
    except ValidationError as exc:
        raise _one_line(exc, "geometry") from None
    mats = {region: material(spec, f"materials.{region}") for region, spec in model.materials.items()}
    _check_mesh_budget(model.mesh, geometry)
    check_feasible(geometry, model.mesh)
    if model.study is not None:
        _check_study(raw, model.study)
    case = Case(raw, model, geometry, mats, model.name or _safe_name(name))
    case.exchange_current_density()  # fail early when i0 has no source
    return case


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
