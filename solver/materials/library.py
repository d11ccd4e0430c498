"""The material library: named materials with sourced properties, in SI units.

Library data live in ``solver/materials/data/materials.yaml`` (one entry per material; each value
with its units and source). Cases refer to materials by name and may override any value:

    materials:
      electrolyte: Li6PS5Cl
      grain_boundaries: {material: LLZO_grain_boundary, ionic_conductivity: 1 uS/cm}

Conductivity depends on temperature by Arrhenius' law,
``sigma(T) = sigma_ref exp(-E_a / k_B (1/T - 1/T_ref))`` [S/m], when the material has an
activation energy; otherwise it is taken as temperature independent (and a run at a
temperature other than the reference says so in its summary).
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from importlib import resources

import yaml

from solver.errors import CaseError
from solver.config.units import to_si

__all__ = ["Material", "PROPERTIES", "library", "material", "add_materials"]

BOLTZMANN_EV = 8.617333262e-5  # eV/K (CODATA 2018)
DEFAULT_REFERENCE_TEMPERATURE = 298.15  # K

#: property name -> SI unit. Anything else in the library or an override is an error.
PROPERTIES = {
    "ionic_conductivity": "S/m",
    "electronic_conductivity": "S/m",
    "activation_energy": "eV",
    "exchange_current_density": "A/m^2",
    "youngs_modulus": "Pa",
    "poissons_ratio": "",
    "fracture_toughness": "Pa*m^0.5",
    "yield_strength": "Pa",
    "molar_volume": "m^3/mol",
    "thickness": "m",
}


@dataclasses.dataclass(frozen=True)
class Material:
    """A material's properties in SI units, each with its source text.

    ``values[name]`` is an SI float, ``sources[name]`` where it comes from,
    ``reference_temperature`` [K] the temperature of the conductivity value.
    """

    name: str
    description: str
    role: str
    values: dict[str, float]
    sources: dict[str, str]
    reference_temperature: float = DEFAULT_REFERENCE_TEMPERATURE

    def get(self, prop: str, key: str = "") -> float:
        """A property [SI]; a CaseError naming ``key`` when the material lacks it."""
        if prop not in self.values:
            raise CaseError(
                key or f"materials.{self.name}",
                f"material {self.name!r} has no {prop}; give it in the case (e.g. {prop}: <value with units>)",
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
        values, sources = dict(self.values), dict(self.sources)
        for prop, raw in overrides.items():
            if prop not in PROPERTIES:
                raise CaseError(f"{key}.{prop}", f"unknown material property; allowed: {', '.join(PROPERTIES)}")
            try:
                values[prop] = _si(raw, PROPERTIES[prop])
            except ValueError as exc:
                raise CaseError(f"{key}.{prop}", str(exc)) from None
            sources[prop] = "case override"
        return dataclasses.replace(self, values=values, sources=sources)


def _si(raw, unit: str) -> float:
    """An SI value of a property; every property here is a positive magnitude."""
    value = to_si(raw, unit or "dimensionless")
    if value <= 0:
        raise ValueError(f"must be positive, got {raw!r}")
    return value


_PLUGIN_ENTRIES: dict[str, dict] = {}  # materials added by plugins (entry-point group dendrite.materials)


def add_materials(entries: dict, origin: str) -> None:
    """Add materials in the format of ``materials.yaml`` (each value with ``value`` and
    ``source``) to the library; ``origin`` names where they come from, for errors."""
    builtin = yaml.safe_load(resources.files("solver").joinpath("materials/data/materials.yaml").read_text())
    for name in entries:
        if name in builtin or name in _PLUGIN_ENTRIES:
            raise ValueError(f"{origin}: material {name!r} is already in the library")
    try:
        _parse(entries)  # fail now, naming the plugin, rather than at the next case
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{origin}: invalid material entry: {type(exc).__name__}: {exc}") from None
    _PLUGIN_ENTRIES.update(entries)
    library.cache_clear()


@lru_cache(maxsize=1)
def library() -> dict[str, Material]:
    """All materials of the library (plugins' included), by name."""
    text = resources.files("solver").joinpath("materials/data/materials.yaml").read_text()
    return _parse({**yaml.safe_load(text), **_PLUGIN_ENTRIES})


def _parse(entries: dict) -> dict[str, Material]:
    out = {}
    for name, entry in entries.items():
        values, sources, t_ref = {}, {}, DEFAULT_REFERENCE_TEMPERATURE
        for prop, item in entry.items():
            if prop in ("description", "role"):
                continue
            if prop not in PROPERTIES:
                raise ValueError(f"materials.yaml: {name}.{prop} is not a known property")
            values[prop] = _si(item["value"], PROPERTIES[prop])
            sources[prop] = item["source"]
            if prop == "ionic_conductivity" and "temperature" in item:
                t_ref = to_si(item["temperature"], "K")
        out[name] = Material(name, entry.get("description", ""), entry.get("role", ""), values, sources, t_ref)
    return out


def material(spec, key: str) -> Material:
    """Resolve a case's material spec (a name, or a mapping with ``material`` + overrides)."""
    if isinstance(spec, str):
        name, overrides = spec, {}
    elif isinstance(spec, dict) and isinstance(spec.get("material"), str):
        overrides = {k: v for k, v in spec.items() if k != "material"}
        name = spec["material"]
    else:
        raise CaseError(key, "expected a material name or a mapping with 'material: NAME' and property overrides")
    lib = library()
    if name not in lib:
        raise CaseError(key, f"unknown material {name!r}; the library has: {', '.join(sorted(lib))}")
    return lib[name].with_overrides(overrides, key)
