"""Registered metrics of the ``electronic`` section of a run (stage ``electronic``).

Computed from the section's dictionary (solver.studies.electronic): the electronic leakage,
the onset current of Li formation inside the electrolyte and where that Li forms first
(solver.analysis.electronic_site), so that ``dendrite compare`` and ``dendrite sweep`` show
them with their units.
"""

from __future__ import annotations

import math

from solver.analysis.registry import Metric

__all__ = ["ELECTRONIC_METRICS"]

CURRENT_DENSITY = {"unit": "A/m^2", "display_unit": "mA/cm^2"}
LENGTH = {"unit": "m", "display_unit": "um"}


def _onset(section: dict):
    """inf when searched and not reached below the search maximum; None when not searched."""
    if section.get("onset_current_density") is not None:
        return section["onset_current_density"]
    return math.inf if section.get("onset_note") else None


def _site(key: str):
    def compute(section: dict):
        site = section.get("first_internal_li") or {}
        return site.get(key)
    return compute


ELECTRONIC_METRICS = [
    Metric("leakage_share", stage="electronic", label="electronic leakage share",
           description="electronic / external current at the applied load", unit="", display_unit="",
           compute=lambda s: s.get("leakage_share")),
    Metric("leakage_current_density", stage="electronic", label="electronic leakage current density",
           description="electronic current density through the counter (mean) at the applied load",
           compute=lambda s: s.get("electronic_current_density"), **CURRENT_DENSITY),
    Metric("internal_li_onset_current_density", stage="electronic", label="onset of Li formation inside",
           description="applied current density at which eta_Li <= -critical_supersaturation at least "
           "internal_distance from the anode (inf: not in range)", compute=_onset, **CURRENT_DENSITY),
    Metric("first_internal_li_distance", stage="electronic", label="first internal Li: distance from the anode",
           description="distance from the anode of the point where Li forms first inside (at the onset current)",
           compute=_site("distance_from_anode"), **LENGTH),
    Metric("first_internal_li_depth_fraction", stage="electronic", label="first internal Li: depth fraction",
           description="distance from the anode / (distance from the anode + distance to the counter) of that point "
           "(0 anode, 1 counter)", compute=_site("depth_fraction"), unit="", display_unit=""),
    Metric("first_internal_li_grain_boundary_distance", stage="electronic",
           label="first internal Li: distance to the nearest GB",
           description="distance of that point from the nearest grain-boundary facet (0 on a GB or in the GB region)",
           compute=_site("grain_boundary_distance"), **LENGTH),
]
