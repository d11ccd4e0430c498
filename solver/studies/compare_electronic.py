"""The "where Li forms first" section of a comparison whose designs have an ``electronic`` section.

For each design (its first realisation): the CCD of the flaw criterion, the onset of Li
formation inside the electrolyte, which of the two sets the combined CCD, and the site of
the first internal Li (solver.analysis.electronic_site: its distance from the anode, depth
fraction, distance to the nearest grain boundary, the site class). Nothing is solved here.
"""

from __future__ import annotations

__all__ = ["first_li_section"]


def _number(value, scale: float = 1.0, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value * scale:.{digits}g}"


def _row(name: str, summary: dict) -> str:
    section = summary.get("electronic") or {}
    risk = summary.get("risk") or {}
    combined = risk.get("combined") or {}
    site = section.get("first_internal_li") or {}
    onset = section.get("onset_current_density")
    first = combined.get("mechanism") or (section.get("first_mechanism") or {}).get("mechanism")
    if onset is None:
        where = section.get("onset_note") or "no onset searched"
    else:
        where = site.get("site") or "-"
    return (f"| {name} | {_number(section.get('leakage_share'))} | {_number(risk.get('ccd'), 0.1)} | "
            f"{_number(onset, 0.1)} | {first or '-'} | {where} | {_number(site.get('distance_from_anode'), 1e6)} | "
            f"{_number(site.get('depth_fraction'))} | {_number(site.get('grain_boundary_distance'), 1e6)} | "
            f"{_number(site.get('overpotential'), 1e3)} |")


def first_li_section(names: list[str], summaries: list[dict]) -> list[str]:
    """Markdown lines (none when no design has an ``electronic`` section)."""
    if not any("electronic" in s for s in summaries):
        return []
    lines = ["## Where Li forms first", "",
             "At the anode interface Li forms wherever eta_Li = eta_a < 0; inside the electrolyte it forms first, "
             "as the current rises, at the most supersaturated point at least `electronic.internal_distance` from "
             "the anode, at the onset current (solver.analysis.electronic_site). Site: grain_boundary (on a GB), "
             "anode_half or counter_half.", "",
             "| design | leakage share [-] | flaw CCD [mA/cm^2] | onset inside [mA/cm^2] | sets the CCD | "
             "first internal Li | distance from the anode [um] | depth fraction [-] | distance to a GB [um] | "
             "eta_Li there [mV] |", "|---|---|---|---|---|---|---|---|---|---|"]
    lines += [_row(n, s) for n, s in zip(names, summaries)]
    return lines + [""]
