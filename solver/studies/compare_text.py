"""Sentences of the comparison report: the verdict, the inputs that differ, the assumptions.

Verdict rules (CCD or focusing metric, designs A = baseline and B):

* both designs with two or more realisations: distinguishable when the means differ by more
  than twice the combined standard error (``solver.studies.compare``);
* one deterministic design (one realisation is exact) against an ensemble: the same test
  with the ensemble's standard error alone;
* a random geometry with a single realisation: the spread is unknown; no design is called
  safer, the report says which has the higher value in this realisation;
* within 1 % (ratio 0.99..1.01): never called different;
* a CCD not reached (inf) or not computed in one design: said so, no ratio.
"""

from __future__ import annotations

import math

from solver.materials.library import PROPERTIES

__all__ = ["assumptions", "input_differences", "verdict"]

# SI unit -> (display unit, factor from SI)
_DISPLAY = {"S/m": ("mS/cm", 10.0), "A/m^2": ("mA/cm^2", 0.1), "Pa": ("MPa", 1e-6), "Pa*m^0.5": ("MPa m^0.5", 1e-6),
            "m": ("um", 1e6), "eV": ("eV", 1.0), "J/mol": ("kJ/mol", 1e-3), "m^3/mol": ("m^3/mol", 1.0),
            "K": ("K", 1.0), "ohm m^2": ("ohm cm^2", 1e4), "m^2": ("mm^2", 1e6), "": ("", 1.0)}
# resolved case keys (after the section) with an SI unit
_KEY_UNITS = {"applied_current_density": "A/m^2", "temperature": "K", "film_resistance": "ohm m^2",
              "stack_pressure": "Pa", "critical_overpotential": "V", "pressure_cap": "Pa", "reference_temperature": "K",
              "grain_size": "m", "interface_size": "m", "size": "m", "integration_radius": "m", "electrode_area": "m^2", "molar_volume": "m^3/mol"}
# properties shown in another unit than their SI unit's default
_PROPERTY_DISPLAY = {"youngs_modulus": ("GPa", 1e-9), "electronic_conductivity": ("S/cm", 1e-2)}
# raw case keys whose resolved value is listed instead (None in the case: taken from the library)
_RESOLVED_ELSEWHERE = ("case.electrochemistry.kinetics.exchange_current_density",)


def _unit_of(key: str) -> str | None:
    last = key.rsplit(".", 1)[-1]
    if ".values." in key or key.startswith("exchange_current_density"):
        prop = key.split(".values.")[-1] if ".values." in key else "exchange_current_density"
        return PROPERTIES.get(prop)
    return _KEY_UNITS.get(last)


def _shown(value, unit: str | None, key: str = "") -> str:
    if value is None or value == "-":
        return "not set"
    if isinstance(value, float):
        prop = key.rsplit(".", 1)[-1]
        if prop in _PROPERTY_DISPLAY:
            shown, factor = _PROPERTY_DISPLAY[prop]
            return f"{value * factor:.4g} {shown}"
        if unit == "V":
            return f"{value * 1e3:.4g} mV"
        if unit is not None and unit in _DISPLAY:
            shown, factor = _DISPLAY[unit]
            return f"{value * factor:.4g} {shown}".rstrip()
        return f"{value:.4g}"
    return str(value)


def _flat(node, prefix: str = "") -> dict:
    out = {}
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("sources", "name", "description", "units") or "source" in k:
                continue
            out.update(_flat(v, f"{prefix}{k}."))
    elif isinstance(node, list):
        out[prefix[:-1]] = str(node)[:80]
    elif node is not None:
        out[prefix[:-1]] = node
    return out


def input_differences(a, b, limit: int = 20) -> list[str]:
    """Inputs that differ between two cases, in the case's own words where it gives them
    (geometry, materials, mesh, with their units) and then the resolved material and kinetics
    values in display units; a difference is listed once."""
    ra, rb = _flat(a.resolved()), _flat(b.resolved())
    only_one = set(a.materials) ^ set(b.materials)  # regions in one design: named once, by material
    diffs, seen = [], set()
    for key in sorted(set(ra) | set(rb), key=lambda k: (not k.startswith("case."), k)):
        if key.startswith(("geometry_parameters.", "temperature_rules.", "case.outputs.", "case.solver.",
                           *_RESOLVED_ELSEWHERE)):
            continue  # SI echoes of the case's geometry; numerics; values listed in resolved form
        if key.startswith("materials.") and key.split(".")[1] in only_one:
            continue
        va, vb = ra.get(key), rb.get(key)
        if va == vb or (isinstance(va, float) and isinstance(vb, float) and math.isclose(va, vb, rel_tol=1e-9)):
            continue
        unit = _unit_of(key)
        label = key.removeprefix("case.")
        shown = (_shown(va, unit, key), _shown(vb, unit, key))
        if (label.rsplit(".", 1)[-1], shown) in seen:
            continue  # e.g. the kinetics i0 and the resolved i0
        seen.add((label.rsplit(".", 1)[-1], shown))
        diffs.append(f"`{label}`: {shown[0]} -> {shown[1]}")
    if len(diffs) > limit:
        diffs = diffs[:limit] + [f"and {len(diffs) - limit} more (see each run's resolved case)"]
    return diffs


def _distinct(stats_a, stats_b) -> bool | None:
    """Means differ by more than twice the standard error (of the ensembles among the two);
    None when both are deterministic."""
    (ma, sa, na), (mb, sb, nb) = stats_a, stats_b
    if na < 2 and nb < 2:
        return None
    se2 = (sa**2 / na if na > 1 else 0.0) + (sb**2 / nb if nb > 1 else 0.0)
    return abs(mb - ma) > 2 * math.sqrt(se2)


def verdict(name_a: str, name_b: str, stats_a, stats_b, random_a: bool, random_b: bool,
            higher_is_safer: bool) -> tuple[str, str]:
    """(conclusion, spread sentence) for designs A, B with (mean, std, n) of the metric."""
    (ma, _, na), (mb, _, nb) = stats_a, stats_b
    better, what = ((name_b if mb > ma else name_a), "is predicted safer") if higher_is_safer else \
        ((name_b if mb < ma else name_a), "focuses current less")
    neither = "neither is predicted safer" if higher_is_safer else "neither focuses current less"
    within = abs(mb / ma - 1) < 0.01 if ma else False
    if (na < 2 and random_a) or (nb < 2 and random_b):
        if within:
            return neither + " in this realisation (within 1 %)", ("Single realisation of a random geometry: the "
                                                                  "ensemble spread is unknown.")
        value = "the higher CCD" if higher_is_safer else "the lower focusing"
        return (f"{better} has {value} in this realisation, which does not show which design is safer",
                "Single realisation of a random geometry: the ensemble spread is unknown; run with more seeds "
                "before concluding.")
    distinct = _distinct(stats_a, stats_b)
    if distinct is None:
        spread = "Deterministic geometries: the difference is exact for the model (within 1 % counts as equal)."
    elif distinct:
        spread = (f"Over {na} and {nb} realisations the difference is larger than twice the standard error "
                  "(distinguishable).")
    else:
        spread = (f"Over {na} and {nb} realisations the difference is within twice the standard error: "
                  "**not distinguishable**.")
    if within or distinct is False:
        return neither + (" (within 1 %)" if within else ""), spread
    return f"{better} {what}", spread


def assumptions(criteria: set[str], electronic: bool) -> list[str]:
    """The assumptions paragraph, naming only the physics the compared designs use."""
    lines = ["- Parameters come from the material library (each with its source) and the case files; nothing is "
             "fitted to the measured CCDs.",
             "- Steady ionic conduction with charge-transfer kinetics; Li metal is an equipotential."]
    if "fracture_toughness" in criteria:
        lines.append("- Flaw pressure from Porz et al. (p = F|eta|/V_m at the flaw tip), linear elastic fracture "
                     "mechanics (plane strain in 2D); the CCD is where the worst flaw first reaches K_I = K_IC.")
    if "critical_overpotential" in criteria:
        lines.append("- Critical overpotential criterion: the CCD is where the largest local overpotential on the "
                     "interface reaches the critical value; no flaw mechanics.")
    other = criteria - {"fracture_toughness", "critical_overpotential"}
    if other:
        lines.append(f"- Criteria {', '.join(sorted(other))}: the CCD is where the worst point meets it.")
    if not criteria:
        lines.append("- No risk criterion: focusing metrics only, no CCD.")
    if electronic:
        lines.append("- Electronic conduction in the electrolyte where a case has an electronic section: Li may "
                     "form inside the electrolyte (its onset current is the other CCD mechanism).")
    return lines
