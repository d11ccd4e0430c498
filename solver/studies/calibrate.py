"""Calibrate one unknown conductivity so that a meshed microstructure reproduces a
measured total conductivity (e.g. the GB phase of LPS7228 against 13.2 mS/cm, seed 000).

    dendrite calibrate CASE.yaml --unknown grain_boundaries --target "13.2 mS/cm"

The effective conductivity is computed along the anode -> counter axis with the case's
mesh, materials and temperature (:func:`solver.analysis.homogenisation.effective_conductivity`);
the unknown is a region name or ``grain_boundary_facets`` (the lumped GB model of the
``grain_boundaries`` section, whose thickness stays as given). Brent's method on log(sigma) finds it.
"""

from __future__ import annotations

from solver.config.case import Case
from solver.errors import CaseError
from solver.analysis.homogenisation import calibrate, effective_conductivity
from solver.config.adapter import GB_FACETS, build_case_mesh, case_conductivities, case_keys

# settings of the homogenisation -> the command-line flag or YAML key that sets them
CALIBRATION_KEYS = {
    "bracket": "--bracket",
    "conductivity": "materials",
    "grain_boundary": f"materials.{GB_FACETS}",
}

__all__ = ["calibrate_case"]


def calibrate_case(case: Case, unknown: str, target: float, bracket: tuple[float, float]) -> dict:
    """The conductivity [S/m] of ``unknown`` giving sigma_eff = ``target`` [S/m], with a check."""
    with case_keys(CALIBRATION_KEYS, "--unknown"):
        return _calibrate(case, unknown, target, bracket)


def _calibrate(case: Case, unknown: str, target: float, bracket: tuple[float, float]) -> dict:
    tagged = build_case_mesh(case)
    conductivity, grain_boundary = case_conductivities(case)
    axis = tagged.gdim - 1
    if unknown == GB_FACETS:
        if grain_boundary is None:
            raise CaseError("--unknown", "the case has no grain_boundaries section")
        thickness = case.grain_boundary.get("thickness")
        value = calibrate(tagged, conductivity, unknown, target, bracket, direction=axis,
                          grain_boundary_thickness=thickness)
    elif unknown in conductivity:
        known = {k: v for k, v in conductivity.items() if k != unknown}
        value = calibrate(tagged, known, unknown, target, bracket, direction=axis, grain_boundary=grain_boundary)
    else:
        raise CaseError("--unknown", f"must be one of {sorted(conductivity) + ([GB_FACETS] if grain_boundary else [])}")
    before = effective_conductivity(tagged, conductivity, direction=axis, grain_boundary=grain_boundary)
    return {"unknown": unknown, "conductivity_S_m": value, "target_S_m": target,
            "effective_conductivity_with_case_values_S_m": before}
