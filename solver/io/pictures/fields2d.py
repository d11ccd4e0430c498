"""2D maps of a cell field: physical axes in um, a scale bar, the colour bar in the
quantity's display unit, the grain-boundary network and the contact voids drawn over it,
the true maximum marked, and a zoomed inset where the field peaks in a small feature
(a flaw tip). Matplotlib (Agg), rank 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from solver.io.pictures import style
from solver.io.pictures.gather import FACET_LAYERS
from solver.io.pictures.meta import save_figure

__all__ = ["draw_map", "field_map", "map_range", "triangles"]

# VTK cell types: triangle, quadratic and Lagrange triangle; quad, quadratic, biquadratic and Lagrange quad
_TRIANGLES, _QUADS = (5, 22, 69), (9, 23, 28, 70)


def triangles(grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(points (n, 2) [m], triangles (m, 3), the cell of each triangle) of a 2D pyvista grid."""
    conn = np.asarray(grid.cell_connectivity)
    start = np.asarray(grid.cell_offsets)[:-1]
    types = np.asarray(grid.celltypes)
    tri = np.flatnonzero(np.isin(types, _TRIANGLES))
    quad = np.flatnonzero(np.isin(types, _QUADS))
    corner = lambda cells, k: conn[start[cells] + k]  # noqa: E731
    parts = [np.column_stack([corner(tri, 0), corner(tri, 1), corner(tri, 2)]),
             np.column_stack([corner(quad, 0), corner(quad, 1), corner(quad, 2)]),
             np.column_stack([corner(quad, 0), corner(quad, 2), corner(quad, 3)])]
    return (np.asarray(grid.points)[:, :2], np.vstack(parts).astype(np.int64),
            np.concatenate([tri, quad, quad]))


def _cell_areas(pts: np.ndarray, tris: np.ndarray, owner: np.ndarray, n_cells: int) -> np.ndarray:
    a, b, c = (pts[tris[:, k]] for k in range(3))
    tri_area = 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))
    return np.bincount(owner, tri_area, minlength=n_cells)


def nice_length(span: float) -> float:
    """A 1-2-5 length near a fifth of ``span``."""
    target = span / 5
    p = 10 ** np.floor(np.log10(target))
    return float(max(m * p for m in (1, 2, 5) if m * p <= target * 1.0001))


def _scale_bar(ax, span_um: float, where: str = "upper right") -> None:
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    length = nice_length(span_um)
    label = f"{length:g} \u00b5m" if length >= 1 else f"{length * 1e3:g} nm"
    bar = AnchoredSizeBar(ax.transData, length, label, where, pad=0.4, borderpad=0.5, sep=3,
                          color="black", frameon=True, size_vertical=span_um / 250, fontproperties={"size": 8})
    bar.patch.set(alpha=0.8, facecolor="white", edgecolor="none")
    ax.add_artist(bar)


def _draw_facets(ax, facets: dict | None, scale: float) -> list[str]:
    """GB facets as thin dark lines on a white halo; voids as thick vermilion lines."""
    from matplotlib.collections import LineCollection

    drawn = []
    for name, segs in (facets or {}).items():
        if not len(segs) or name not in FACET_LAYERS:
            continue
        xy = np.asarray(segs)[:, :, :2] * scale
        if name == "contact_voids":
            ax.add_collection(LineCollection(xy, colors="white", linewidths=4.5, zorder=4))
            ax.add_collection(LineCollection(xy, colors=style.OKABE_ITO[3], linewidths=3.0, zorder=5,
                                             label=FACET_LAYERS[name]))
        else:
            ax.add_collection(LineCollection(xy, colors="white", linewidths=1.1, alpha=0.7, zorder=3))
            ax.add_collection(LineCollection(xy, colors="#222222", linewidths=0.5, zorder=3,
                                             label=FACET_LAYERS.get(name, name)))
        drawn.append(FACET_LAYERS.get(name, name))
    return drawn


def _mark_max(ax, where, value: float, unit: str, clipped: bool) -> None:
    ax.plot(*where, marker="^", ms=8, mfc="white", mec="black", mew=1.0, ls="none", zorder=6,
            label=f"maximum {style.format_number(value)} {style.tex_unit(unit)}" + (" (beyond colour bar)" if clipped
                                                                                     else ""))


def _needs_inset(pts_um, tris, where, width_um) -> bool:
    """A strongly graded mesh at the maximum (the median cell within 1/20 of the width of it
    is smaller than 1/250 of the width): zoom in."""
    centres = pts_um[tris].mean(axis=1)
    near = np.linalg.norm(centres - np.asarray(where), axis=1) < width_um / 20
    if not near.any():
        return False
    a = pts_um[tris[near]]
    u, v = a[:, 1] - a[:, 0], a[:, 2] - a[:, 0]
    h = np.sqrt(0.5 * np.abs(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]))
    return float(np.median(h)) < width_um / 250


def _inset_corner(ax, where) -> list[float]:
    """Inset axes box in the upper corner away from the zoomed point (axes fraction)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    fx = (where[0] - x0) / (x1 - x0)
    fy = (where[1] - y0) / (y1 - y0)
    left = 0.1 if fx > 0.5 else 0.56
    bottom = 0.52 if fy < 0.5 else 0.04
    return [left, bottom, 0.34, 0.44]


def _inset(ax, pts_um, tris, draw, facets, where, width_um) -> str:
    """Draw the zoomed inset; the free upper corner (for the scale bar) is returned."""
    half = width_um / 12
    corner = _inset_corner(ax, where)
    box = ax.inset_axes(corner)
    draw(box)
    _draw_facets(box, facets, 1e6)
    box.plot(*where, marker="^", ms=7, mfc="white", mec="black", ls="none", zorder=6)
    box.set_xlim(where[0] - half, where[0] + half)
    box.set_ylim(where[1] - 0.75 * half, where[1] + 0.75 * half)
    box.set_aspect("equal")
    box.tick_params(labelsize=7)
    box.grid(False)
    box.set_facecolor("white")
    ax.indicate_inset_zoom(box, edgecolor="black", alpha=0.8)
    return "upper right" if corner[0] < 0.5 else "upper left"


def vertex_average(pts: np.ndarray, tris: np.ndarray, values: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Area-weighted average of the triangles' values at each vertex (values per triangle)."""
    num = np.zeros(len(pts))
    den = np.zeros(len(pts))
    for k in range(3):
        np.add.at(num, tris[:, k], values * areas)
        np.add.at(den, tris[:, k], areas)
    return num / np.where(den > 0, den, 1.0)


def _colour_bar(fig, ax, mappable, cr, label: str):
    """A colour bar as tall as the (equal-aspect) map, beside it."""
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    cax = make_axes_locatable(ax).append_axes("right", size="3.5%", pad=0.12)
    return fig.colorbar(mappable, cax=cax, extend=cr.extend, label=label)


def _legend_below(fig, ax) -> None:
    """The map's legend centred under its x label."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    fig.draw_without_rendering()
    box = ax.get_tightbbox(fig.canvas.get_renderer())
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, (box.y0 - 4) / fig.bbox.height),
              bbox_transform=fig.transFigure, ncols=min(len(labels), 2), frameon=False, fontsize=8)


def map_values(grid, name: str, quantity: str):
    """(triangulation points [m], triangles, owner cell, values in display units, cell areas)."""
    q = style.quantity(quantity)
    factor, _ = style.display(quantity, 2)
    pts, tris, owner = triangles(grid)
    values = style.round_off(np.asarray(grid.cell_data[name], float), q.roundoff_scale) * factor
    return pts, tris, owner, values, _cell_areas(pts, tris, owner, grid.n_cells)


def draw_map(ax, grid, name: str, cr: style.ColourRange, *, quantity: str = "current_density_magnitude",
             facets: dict | None = None, inset: bool = True):
    """Draw one 2D map on ``ax`` with the colour range ``cr``; (mappable, layers drawn)."""
    q = style.quantity(quantity)
    _, unit = style.display(quantity, 2)
    pts, tris, owner, values, _ = map_values(grid, name, quantity)
    pts_um = pts * 1e6
    (x0, y0), (x1, y1) = pts_um.min(axis=0), pts_um.max(axis=0)
    width = x1 - x0
    norm = style.norm(cr, q.signed)
    smooth = bool(facets and len(facets.get("grain_boundary_facets", ())))
    if smooth:  # grain maps: cell values averaged to the vertices, so the grains read, not the cells
        tri_areas = _cell_areas(pts, tris, np.arange(len(tris)), len(tris))
        nodal = vertex_average(pts_um, tris, values[owner], tri_areas)

        def draw(target):
            return target.tripcolor(pts_um[:, 0], pts_um[:, 1], tris, nodal, shading="gouraud", cmap=q.cmap,
                                    norm=norm, rasterized=True)
    else:
        def draw(target):
            return target.tripcolor(pts_um[:, 0], pts_um[:, 1], tris, facecolors=values[owner], cmap=q.cmap,
                                    norm=norm, rasterized=True)
    mesh = draw(ax)
    drawn = _draw_facets(ax, facets, 1e6) + (["cell values averaged to the vertices"] if smooth else [])
    k = int(np.argmax(values))
    centroid = pts_um[tris[owner == k]].reshape(-1, 2).mean(axis=0)
    _mark_max(ax, centroid, float(values[k]), unit, float(values[k]) > cr.hi * (1 + 1e-12))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    free = "upper right"
    if inset and _needs_inset(pts_um, tris, centroid, width):
        free = _inset(ax, pts_um, tris, draw, facets, centroid, width)
    _scale_bar(ax, width, free)
    ax.set_aspect("equal")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.grid(False)
    ax.set_xlabel("x [\u00b5m]")
    ax.set_ylabel("y [\u00b5m]")
    return mesh, drawn


def map_range(grid, name: str, quantity: str = "current_density_magnitude", percentile: float = 99.5):
    """The area-weighted robust colour range of one 2D map."""
    _, _, _, values, areas = map_values(grid, name, quantity)
    return style.robust_range(values, areas, percentile, style.quantity(quantity).signed)


@style.styled
def field_map(grid, name: str, path: Path, *, case: str, quantity: str = "current_density_magnitude",
              facets: dict | None = None, percentile: float = 99.5, clim=None, note: str = "") -> dict:
    """Draw the cell field ``name`` of the 2D ``grid`` (SI values) to ``path``; the picture's
    description (also stored in the PNG) is returned.

    ``clim`` (display units) fixes the colour range (comparisons share one); otherwise it
    is the area-weighted robust range of ``percentile``.
    """
    import matplotlib.pyplot as plt

    q = style.quantity(quantity)
    _, unit = style.display(quantity, 2)
    cr = map_range(grid, name, quantity, percentile)
    if clim is not None:
        cr = style.ColourRange(float(clim[0]), float(clim[1]), cr.data_min, cr.data_max, percentile)
    span = np.ptp(np.asarray(grid.points)[:, :2], axis=0)
    fig_w = 6.4
    fig = plt.figure(figsize=(fig_w, max(2.4, min(7.5, (fig_w - 1.6) * span[1] / span[0] + 0.9))), layout="none")
    ax = fig.add_axes([0.1, 0.12, 0.78, 0.8])
    mesh, drawn = draw_map(ax, grid, name, cr, quantity=quantity, facets=facets)
    cbar_label = style.axis_label(quantity, 2)
    _colour_bar(fig, ax, mesh, cr, cbar_label)
    title = f"{case}: {q.label}"
    ax.set_title(title, loc="left")
    caption = (f"colour range {style.format_number(cr.lo)} to {style.format_number(cr.hi)} {unit}"
               + (f" (area-weighted {100 - percentile:g}-{percentile:g} percentiles)" if clim is None else
                  " (shared)") + f"; maximum {style.format_number(cr.data_max)} {unit}"
               + ("; cell values averaged to the vertices" if "cell values averaged to the vertices" in drawn else ""))
    _legend_below(fig, ax)
    style.caption(fig, caption + (f"; {note}" if note else ""))
    info = {"title": title, "case": case, "quantity": q.label, "unit": unit, "kind": "map_2d",
            "axes": {"x": ax.get_xlabel(), "y": ax.get_ylabel(), "colour": cbar_label}, **cr.as_dict(),
            "layers": drawn, "caption": caption}
    save_figure(fig, path, info)
    return info
