"""The material library: named materials with sourced properties, in SI units.

Library data live in ``solver/materials/data/materials.yaml`` (one entry per material; each value
with its units and its source as a citation key of ``solver/materials/data/references.bib``, the
place in that work and whether it is primary, secondary or assumed). Cases refer to materials by
name and may override any value:

    materials:
      electrolyte: Li6PS5Cl
      grain_boundaries: {material: LLZO_grain_boundary, ionic_conductivity: 1 uS/cm}

Conductivity depends on temperature by Arrhenius' law,
``sigma(T) = sigma_ref exp(-E_a / k_B (1/T - 1/T_ref))`` [S/m], when the material has an
activation energy; otherwise it is taken as temperature independent (and a run at a
temperature other than the reference says so in its summary).

``references_for(materials)`` lists the works behind the values of some materials, as a run's
summary does for the materials of its case.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources

import yaml

from solver.errors import CaseError
from solver.config.units import to_si

__all__ = ["BASES", "Citation", "Material", "PROPERTIES", "library", "material", "references",
           "references_for", "format_reference", "add_materials"]

BOLTZMANN_EV = 8.617333262e-5  # eV/K (CODATA 2018)
DEFAULT_REFERENCE_TEMPERATURE = 298.15  # K

#: property name -> SI unit. Anything else in the library or an override is an error.
PROPERTIES = {
    "ionic_conductivity": "S/m",
    "electronic_conductivity": "S/m",
    "activation_energy": "eV",
    "electronic_activation_energy": "eV",
    "exchange_current_activation_energy": "eV",
    "exchange_current_density": "A/m^2",
    "youngs_modulus": "Pa",
    "poissons_ratio": "",
    "fracture_toughness": "Pa*m^0.5",
    "yield_strength": "Pa",
    "creep_stress_exponent": "",
    "creep_activation_energy": "J/mol",
    "molar_volume": "m^3/mol",
    "thickness": "m",
}

#: how a library value relates to the work it cites (see the header of materials.yaml)
BASES = ("primary", "secondary", "assumed")


@dataclasses.dataclass(frozen=True)
class Citation:
    """Where one library value comes from.

    ``key`` is a citation key of references.bib, ``at`` the page, section, table or figure
    in that work, ``basis`` one of :data:`BASES`, ``note`` anything else a reader must know.
    """

    key: str
    at: str
    basis: str
    note: str = ""

    def text(self) -> str:
        """One line for people, e.g. ``Su et al. 2024 [su2024], Supplementary Fig. 23 (primary)``."""
        detail = f"{self.basis}; {self.note}" if self.note else self.basis
        return f"{_short_name(self.key)} [{self.key}], {self.at} ({detail})"


@dataclasses.dataclass(frozen=True)
class Material:
    """A material's properties in SI units, each with its source text.

    ``values[name]`` is an SI float, ``sources[name]`` where it comes from (text),
    ``citations[name]`` the same as a :class:`Citation` (library values only; a value the
    case overrides has none), ``reference_temperature`` [K] the temperature of the
    conductivity value.
    """

    name: str
    description: str
    role: str
    values: dict[str, float]
    sources: dict[str, str]
    reference_temperature: float = DEFAULT_REFERENCE_TEMPERATURE
    citations: dict[str, Citation] = dataclasses.field(default_factory=dict)
    temperatures: dict[str, float] = dataclasses.field(default_factory=dict)

    def reference_temperature_of(self, prop: str) -> float:
        """Temperature [K] at which ``prop`` was given (the conductivity's, or 298.15 K)."""
        return self.temperatures.get(prop, self.reference_temperature)

    def get(self, prop: str, key: str = "") -> float:
        """A property [SI]; a CaseError naming ``key`` when the material lacks it."""
        if prop not in self.values:
            raise CaseError(
                key or f"materials.{self.name}",
                f"material {self.name!r} has no {prop}; "
                f"give it in the case (e.g. {prop}: <value with units>)",
            )
        return self.values[prop]

    def ionic_conductivity_at(self, temperature: float, key: str = "") -> float:
        """Ionic conductivity [S/m] at ``temperature`` [K] (Arrhenius if E_a is known)."""
        sigma = self.get("ionic_conductivity", key)
        ea = self.values.get("activation_energy")
        if ea is None:
            return sigma
        return sigma * math.exp(-ea / BOLTZMANN_EV * (1.0 / temperature - 1.0 / self.reference_temperature))

    def with_overrides(self, overrides: dict[str, object], key: str) -> "Material":
        """A copy with values from the case (quantities with units allowed)."""
        values, sources, citations = dict(self.values), dict(self.sources), dict(self.citations)
        for prop, raw in overrides.items():
            if prop not in PROPERTIES:
                allowed = ", ".join(PROPERTIES)
                raise CaseError(f"{key}.{prop}", f"unknown material property; allowed: {allowed}")
            try:
                values[prop] = _si(raw, PROPERTIES[prop])
            except ValueError as exc:
                raise CaseError(f"{key}.{prop}", str(exc)) from None
            sources[prop] = "case override"
            citations.pop(prop, None)
        return dataclasses.replace(self, values=values, sources=sources, citations=citations)


def _si(raw, unit: str) -> float:
    """An SI value of a property; every property here is a positive magnitude."""
    value = to_si(raw, unit or "dimensionless")
    if value <= 0:
        raise ValueError(f"must be positive, got {raw!r}")
    return value


def _data(name: str) -> str:
    return resources.files("solver").joinpath(f"materials/data/{name}").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def references():
    """The entries of references.bib by citation key (``pybtex.database.Entry`` objects)."""
    from pybtex.database import parse_string  # imported on first use: `dendrite validate` stays quick

    return dict(parse_string(_data("references.bib"), "bibtex").entries)


def _short_name(key: str) -> str:
    """``Wang et al. 2023`` for a reference key (first author's last name, year)."""
    entry = references()[key]
    people = entry.persons.get("author", [])
    first = " ".join(people[0].last_names).strip("{}") if people else key
    if len(people) > 2:
        first += " et al."
    elif len(people) == 2:
        first += " and " + " ".join(people[1].last_names)
    return f"{first} {entry.fields.get('year', '')}".strip()


def _citation(where: str, item: dict) -> Citation:
    """The citation of one library value; a ValueError naming ``where`` when it is incomplete."""
    missing = [k for k in ("ref", "at", "basis") if not str(item.get(k, "")).strip()]
    if missing:
        raise ValueError(f"materials.yaml: {where} needs {', '.join(missing)} (its source)")
    if item["ref"] not in references():
        raise ValueError(f"materials.yaml: {where} cites {item['ref']!r}, which references.bib does not have")
    if item["basis"] not in BASES:
        raise ValueError(f"materials.yaml: {where}.basis must be one of {', '.join(BASES)}")
    return Citation(item["ref"], str(item["at"]), item["basis"], str(item.get("note", "")))


def _entry(name: str, entry: dict, origin: str = "materials.yaml") -> Material:
    """One material of materials.yaml (or of a plugin: ``origin``), its values in SI.

    A library value cites a key of references.bib (``ref``, ``at``, ``basis``); a plugin's
    value may instead give its own ``source`` text, as its package cannot add to the bib file.
    """
    values, citations, sources, t_ref, temperatures = {}, {}, {}, DEFAULT_REFERENCE_TEMPERATURE, {}
    for prop, item in entry.items():
        if prop in ("description", "role"):
            continue
        if prop not in PROPERTIES:
            raise ValueError(f"{origin}: {name}.{prop} is not a known property")
        values[prop] = _si(item["value"], PROPERTIES[prop])
        if origin != "materials.yaml" and "ref" not in item:
            if not str(item.get("source", "")).strip():
                raise ValueError(f"{origin}: {name}.{prop} needs a source")
            sources[prop] = str(item["source"])
        else:
            citations[prop] = _citation(f"{name}.{prop}", item)
        if "temperature" in item:
            temperatures[prop] = to_si(item["temperature"], "K")
        if prop == "ionic_conductivity" and "temperature" in item:
            t_ref = to_si(item["temperature"], "K")
    sources.update({prop: c.text() for prop, c in citations.items()})
    return Material(name, entry.get("description", ""), entry.get("role", ""), values, sources, t_ref,
                    citations, temperatures)


_PLUGIN_ENTRIES: dict[str, tuple[dict, str]] = {}  # materials added by plugins: name -> (entry, origin)


def add_materials(entries: dict, origin: str) -> None:
    """Add materials in the format of ``materials.yaml`` to the library (each value with
    ``value`` and either a citation of references.bib or its own ``source`` text);
    ``origin`` names where they come from, for errors."""
    builtin = yaml.safe_load(_data("materials.yaml"))
    for name, entry in entries.items():
        if name in builtin or name in _PLUGIN_ENTRIES:
            raise ValueError(f"{origin}: material {name!r} is already in the library")
        try:
            _entry(name, entry, origin)  # fail now, naming the plugin, rather than at the next case
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{origin}: invalid material entry: {type(exc).__name__}: {exc}") from None
    _PLUGIN_ENTRIES.update({name: (entry, origin) for name, entry in entries.items()})
    library.cache_clear()


@lru_cache(maxsize=1)
def library() -> dict[str, Material]:
    """All materials of the library (plugins' included), by name."""
    found = {name: _entry(name, entry) for name, entry in yaml.safe_load(_data("materials.yaml")).items()}
    found.update({name: _entry(name, entry, origin) for name, (entry, origin) in _PLUGIN_ENTRIES.items()})
    return found


def format_reference(key: str) -> str:
    """A reference as one line of plain text (pybtex's ``plain`` style)."""
    from pybtex.plugin import find_plugin

    style = find_plugin("pybtex.style.formatting", "plain")()
    return style.format_entry(key, references()[key]).text.render_as("text")


def references_for(materials) -> list[dict]:
    """The works cited by the library values of ``materials``, one dict per work, sorted by key.

    ``materials`` is an iterable of :class:`Material` or a mapping of region -> Material (as
    ``Case.materials``). Each dict has ``key`` (references.bib), ``citation`` (plain text),
    ``doi`` ("" when unknown) and ``used_for`` (``MATERIAL.property: where`` for every value
    that cites it). Values overridden in a case cite nothing.
    """
    if isinstance(materials, Mapping):
        materials = materials.values()
    used: dict[str, list[str]] = {}
    for mat in materials:
        for prop, cite in mat.citations.items():
            entry = f"{mat.name}.{prop}: {cite.at} ({cite.basis})"
            if entry not in used.setdefault(cite.key, []):
                used[cite.key].append(entry)
    return [{"key": key, "citation": format_reference(key), "doi": references()[key].fields.get("doi", ""),
             "used_for": uses} for key, uses in sorted(used.items())]


def material(spec, key: str) -> Material:
    """Resolve a case's material spec (a name, or a mapping with ``material`` + overrides)."""
    if isinstance(spec, str):
        name, overrides = spec, {}
    elif isinstance(spec, dict) and isinstance(spec.get("material"), str):
        overrides = {k: v for k, v in spec.items() if k != "material"}
        name = spec["material"]
    else:
        raise CaseError(key, "expected a material name or a mapping with 'material: NAME' "
                             "and property overrides")
    lib = library()
    if name not in lib:
        raise CaseError(key, f"unknown material {name!r}; the library has: {', '.join(sorted(lib))}")
    return lib[name].with_overrides(overrides, key)
