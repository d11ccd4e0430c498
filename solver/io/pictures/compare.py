"""Comparison pictures: the designs' current density maps side by side on one colour
scale (the robust range over all of them), 2D maps or 3D views."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from solver.io.pictures import style
from solver.io.pictures.meta import save_figure

__all__ = ["maps_side_by_side"]

FIELD = "current_density_magnitude_A_m2"


def _shared_range(designs, gdim: int, percentile: float) -> style.ColourRange:
    from solver.io.pictures.fields2d import map_values

    factor, _ = style.display("current_density_magnitude", gdim)
    if gdim == 2:
        parts = [map_values(grid, FIELD, "current_density_magnitude")[3:] for _, grid in designs]
        values = np.concatenate([v for v, _ in parts])
        weights = np.concatenate([w / w.sum() for _, w in parts])  # each design counts alike
        return style.robust_range(values, weights, percentile)
    return style.robust_range(np.concatenate([np.asarray(g.cell_data[FIELD]) * factor for _, g in designs]),
                              percentile=percentile)


@style.styled
def maps_side_by_side(designs: list[tuple[str, object]], path: Path, *, title: str, samples=None,
                      percentile: float = 99.5) -> dict:
    """``designs``: (name, pyvista grid with the cell field ``current_density_magnitude_A_m2``
    [A/m^2]); 3D designs also need their interface ``samples`` (a list in the same order)."""
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    from solver.io.pictures.fields2d import draw_map
    from solver.io.pictures.fields3d import render_view
    from solver.io.pictures.gather import facets_of

    gdim = 2 if np.ptp(np.asarray(designs[0][1].points)[:, 2]) == 0 else 3
    q = style.quantity("current_density_magnitude")
    _, unit = style.display(q.name, gdim)
    cr = _shared_range(designs, gdim, percentile)
    n = len(designs)
    span = np.ptp(np.asarray(designs[0][1].points), axis=0)
    height = 4.2 * span[1] / span[0] + 0.9 if gdim == 2 else 4.6
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n + 1.0, height), squeeze=False, layout="compressed")
    for j, (name, grid) in enumerate(designs):
        ax = axes[0, j]
        if gdim == 2:
            draw_map(ax, grid, FIELD, cr, inset=False, facets=facets_of(grid))
        else:
            ax.imshow(render_view(grid, FIELD, samples[j] if samples else None, facets_of(grid), None, q.cmap,
                                  (cr.lo, cr.hi)))
            ax.set_axis_off()
        ax.set_title(name, loc="left")
    cbar_label = style.axis_label(q.name, gdim)
    fig.colorbar(ScalarMappable(Normalize(cr.lo, cr.hi), q.cmap), ax=axes[0, :].tolist(), extend=cr.extend,
                 label=cbar_label, shrink=0.85, pad=0.02)
    fig.suptitle(title, x=0.01, ha="left")
    caption = (f"one colour scale: {style.format_number(cr.lo)} to {style.format_number(cr.hi)} {unit} "
               f"({100 - percentile:g}-{percentile:g} percentiles over all designs); maximum "
               f"{style.format_number(cr.data_max)} {unit}; triangles mark each design's maximum")
    style.caption(fig, caption)
    info = {"title": title, "case": ", ".join(name for name, _ in designs), "quantity": q.label, "unit": unit,
            "kind": "maps_compared", "axes": {"x": "x [um]", "y": "y [um]", "colour": cbar_label}, **cr.as_dict(),
            "caption": caption}
    save_figure(fig, path, info)
    return info
