"""Checks of a case that need no mesh: against the geometry's declaration, and bare numbers.

Each raises one :class:`CaseError` naming the YAML key. They run in
:func:`solver.config.case.parse_case`, so ``dendrite validate`` reports them before
anything is meshed (and without importing DOLFINx).
"""

from __future__ import annotations

from pydantic import BaseModel

from solver.config.choices import marker
from solver.config.units import SIUnit
from solver.errors import CaseError

__all__ = ["against_geometry", "bare_numbers", "old_grain_boundary_key", "BARE_NUMBER_RANGE"]

GB_FACETS = "grain_boundary_facets"

#: SI unit -> (lowest, highest) plausible value of a bare number, and a unit to suggest.
#: A bare number is read in SI; outside this range it is almost surely in another unit
#: (``size: 0.5`` meant 0.5 um, not 0.5 m; ``temperature: 25`` meant 25 degC, not 25 K).
BARE_NUMBER_RANGE = {
    "m": (0.0, 1e-2, "um"),  # nothing here is larger than a centimetre
    "K": (150.0, 1e4, "degC"),  # no battery operates below -123 degC
}


def old_grain_boundary_key(raw: dict) -> None:
    """The zero-thickness GB model moved from a magic material key to its own section."""
    materials = raw.get("materials")
    if isinstance(materials, dict) and GB_FACETS in materials:
        spec = materials[GB_FACETS]
        name = spec if isinstance(spec, str) else "NAME"
        raise CaseError(f"materials.{GB_FACETS}", "zero-thickness grain boundaries have their own section now: "
                        f"grain_boundaries: {{model: lumped_facets, material: {name}}}")


def bare_numbers(model: BaseModel, raw, prefix: str = "") -> None:
    """Every quantity given as a bare number in ``raw`` lies in :data:`BARE_NUMBER_RANGE`."""
    if not isinstance(raw, dict):
        return
    for name, field in type(model).model_fields.items():
        if name not in raw:
            continue
        key = f"{prefix}.{name}" if prefix else name
        value, given = getattr(model, name, None), raw[name]
        unit = getattr(marker(field, SIUnit), "unit", None)
        if unit in BARE_NUMBER_RANGE and isinstance(given, (int, float)) and not isinstance(given, bool):
            low, high, suggest = BARE_NUMBER_RANGE[unit]
            if given != 0 and not low <= abs(given) <= high:
                raise CaseError(key, f"the bare number {given!r} is read as {given!r} {unit}, which is implausible "
                                f"here; give the unit (e.g. '{given!r} {suggest}')")
        _nested(value, given, key)


def _nested(value, given, key: str) -> None:
    if isinstance(value, BaseModel):
        bare_numbers(value, given, key)
    elif isinstance(value, (list, tuple)) and isinstance(given, list):
        for i, (v, g) in enumerate(zip(value, given)):
            _nested(v, g, f"{key}.{i}")
    elif isinstance(value, dict) and isinstance(given, dict):
        for k, v in value.items():
            _nested(v, given.get(k), f"{key}.{k}")


def against_geometry(case, criteria: dict) -> None:
    """Regions, boundaries, grain boundaries and flaw requests of ``case`` against what its
    geometry declares (no mesh is built)."""
    gtype, decl = case.model.geometry.type, case.declaration
    if decl is None:  # a generator without a declaration: checked once meshed
        return
    regions = decl.regions | decl.optional_regions
    boundaries = decl.boundaries | decl.optional_boundaries
    for region in case.model.materials:
        if region not in regions:
            raise CaseError(f"materials.{region}", f"geometry {gtype} has no region {region!r}; "
                            f"its regions: {', '.join(sorted(regions))}")
    if missing := sorted(decl.regions - set(case.model.materials)):
        raise CaseError("materials", f"no material for region {missing[0]!r} of geometry {gtype}")
    ec = case.electrochemistry
    for key in ("anode_interface", "counter_electrode"):
        if getattr(ec, key) not in boundaries:
            raise CaseError(f"electrochemistry.{key}", f"geometry {gtype} has no boundary {getattr(ec, key)!r}; "
                            f"its boundaries: {', '.join(sorted(boundaries))}")
    if case.model.grain_boundaries is not None and GB_FACETS not in boundaries:
        raise CaseError("grain_boundaries", f"geometry {gtype} has no {GB_FACETS} to carry zero-thickness grain "
                        "boundaries (e.g. polycrystal_2d with gb: facets)")
    if case.model.risk is not None and case.model.cycling is None:  # cycling brings its own filament flaw
        _flaw_request(criteria[case.model.risk.criterion], criteria, gtype, decl)
    cycling = case.model.cycling
    if cycling is not None and cycling.flaws is not None and (decl.flaws is None or not decl.flaws.tips):
        raise CaseError("cycling.flaws", f"Li filling and crack extension need a geometry with flaws (flaw_2d); "
                        f"geometry {gtype} has none: leave cycling.flaws out")


def _flaw_request(criterion, criteria: dict, gtype: str, decl) -> None:
    """A criterion that needs K_I needs flaws whose K_I the geometry can give."""
    if not criterion.needs_mechanics:
        return
    others = ", ".join(n for n, c in criteria.items() if not c.needs_mechanics)
    if decl.flaws is None or not decl.flaws.tips:
        raise CaseError("risk.criterion", f"{criterion.name} needs K_I at flaw tips, and geometry {gtype} has no "
                        f"flaws; use a geometry with flaws (flaw_2d) or a criterion without K_I ({others})")
    if not decl.flaws.stress_intensity:
        raise CaseError("risk.criterion", f"{criterion.name} needs K_I, which cannot be computed for the flaws of "
                        f"geometry {gtype} ({decl.dimension}D flaws without a crack front; in 3D, K_I needs a crack geometry "
                        f"such as surface_crack_3d with li_filled: true); use {others}")

