"""The ``pictures`` output of a run: ``current_density.png`` (2D map or 3D view) and
``interface_current.png`` (profile along a 2D interface, histograms in 3D). Collective:
every rank calls :func:`write_run_pictures`; rank 0 draws.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_run_pictures"]

FIELD = "current_density_magnitude_A_m2"


def _fronts(risk: dict | None) -> list:
    """Crack-front polylines [m] of the flaws at the applied current (when the risk analysis has them)."""
    flaws = ((risk or {}).get("at_applied") or {}).get("flaws") or []
    return [st["front"]["points"] for st in flaws if isinstance(st, dict) and st.get("front")]


def write_run_pictures(folder: Path, context) -> list[Path]:
    from solver.io.pictures.fields2d import field_map
    from solver.io.pictures.fields3d import interface_view
    from solver.io.pictures.gather import facets_of, picture_grid
    from solver.io.pictures.interface import interface_histogram, interface_profile

    tagged = context.fields.tagged
    grid = picture_grid(context.fields, FIELD)
    if context.comm.rank != 0:
        return []
    facets = facets_of(grid)
    folder = Path(folder)
    samples = context.samples
    net = float((samples["current_density"].mean(axis=1) * samples["area"]).sum())
    sign = 1.0 if net >= 0 else -1.0  # the operating direction, as the metrics take it
    if tagged.gdim == 2:
        field_map(grid, FIELD, folder / "current_density.png", case=context.case_name, facets=facets)
        interface_profile(context.samples, folder / "interface_current.png", case=context.case_name, sign=sign)
    else:
        interface_view(grid, FIELD, context.samples, folder / "current_density.png", case=context.case_name,
                       facets=facets, fronts=_fronts(context.risk))
        interface_histogram(context.samples, folder / "interface_current.png", case=context.case_name)
    return [folder / "current_density.png", folder / "interface_current.png"]
