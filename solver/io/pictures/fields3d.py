"""3D views (pyvista off screen) of what matters inside a 3D cell: the anode interface
coloured by the current density into it, two slices through the electrolyte at the hot
spot coloured by |i| on the same colour scale, the grain-boundary network where it cuts
the slices and meets the interface, and flaw fronts as tubes. The render is framed by
matplotlib (title, colour bar in display units, caption) so 3D views read like the 2D maps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from solver.io.pictures import style
from solver.io.pictures.gather import pyvista
from solver.io.pictures.meta import save_figure

__all__ = ["draw_axes", "interface_view", "render_view"]


def _interface_surface(pv, samples: dict, factor: float):
    pts = samples["points"] * 1e6
    n, nv, _ = pts.shape
    faces = np.hstack([np.full((n, 1), nv), np.arange(n * nv).reshape(n, nv)]).ravel()
    surf = pv.PolyData(pts.reshape(-1, 3), faces)
    surf.point_data["i"] = samples["current_density"].ravel() * factor
    return surf


def _slice_origin(bounds, point) -> np.ndarray:
    lo, hi = np.array(bounds[0::2]), np.array(bounds[1::2])
    return np.clip(point, lo + 0.001 * (hi - lo), hi - 0.001 * (hi - lo))


_NORMALS = np.eye(3)


def view_axes(points: np.ndarray) -> tuple[int, int, int]:
    """(up, a, b): the axis across the interface (the one its points spread least along,
    anode to counter electrode) and the two along it, in cyclic order."""
    up = int(np.argmin(np.ptp(points, axis=0)))
    return up, (up + 1) % 3, (up + 2) % 3


def _gb_lines(pv, facets, origin, axes, interface_level: float):
    """The GB facets cut by the two slice planes and just above the interface (line sets, um)."""
    up, a, b = axes
    tris = facets * 1e6
    n = tris.shape[0]
    gb = pv.PolyData(tris.reshape(-1, 3), np.hstack([np.full((n, 1), 3), np.arange(3 * n).reshape(n, 3)]).ravel())
    level = np.array(origin, float)
    level[up] = interface_level
    lines = [gb.slice(normal=_NORMALS[a], origin=origin), gb.slice(normal=_NORMALS[b], origin=origin),
             gb.slice(normal=_NORMALS[up], origin=level)]
    return [piece for piece in lines if piece.n_points]


#: axis titles of the 3D views (the micro sign needs the 3D text of the axes: VTK's 2D
#: text drops it)
_TITLES = ("x [\u00b5m]", "y [\u00b5m]", "z [\u00b5m]")


def draw_axes(plotter, bounds, titles: tuple[str, str, str] = _TITLES):
    """Axes with ticks and titles around ``bounds`` [um], in the font of the plots."""
    axes_actor = plotter.show_bounds(bounds=bounds, xtitle=titles[0], ytitle=titles[1], ztitle=titles[2],
                                     color="black", font_size=26, location="outer", fmt="%.2g", ticks="outside",
                                     n_xlabels=3, n_ylabels=3, n_zlabels=3, use_3d_text=True)
    _use_plot_font(axes_actor)
    return axes_actor


def _use_plot_font(axes_actor) -> None:
    """Draw the axis titles and labels of a 3D view in the font of the matplotlib plots
    (DejaVu Sans, shipped with matplotlib), which has the micro sign."""
    import vtk
    from matplotlib import font_manager

    font = font_manager.findfont("DejaVu Sans")
    for axis in range(3):
        for prop in (axes_actor.GetTitleTextProperty(axis), axes_actor.GetLabelTextProperty(axis)):
            prop.SetFontFamily(vtk.VTK_FONT_FILE)
            prop.SetFontFile(font)


def _crop(img: np.ndarray, pad: int = 8) -> np.ndarray:
    """The render without its white margins."""
    ink = np.flatnonzero(np.any(img[:, :, :3].min(axis=2) < 250, axis=1)), np.flatnonzero(
        np.any(img[:, :, :3].min(axis=2) < 250, axis=0))
    if not ink[0].size:
        return img
    r0, r1 = max(ink[0][0] - pad, 0), min(ink[0][-1] + pad, img.shape[0])
    c0, c1 = max(ink[1][0] - pad, 0), min(ink[1][-1] + pad, img.shape[1])
    return img[r0:r1, c0:c1]


def region_of_interest(bounds, fronts) -> tuple | None:
    """Bounds [um] around the flaw fronts (three times their extent, within the domain), or None."""
    if not fronts:
        return None
    pts = np.vstack([np.asarray(f) for f in fronts]) * 1e6
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    reach = 2.0 * float(max(np.ptp(pts, axis=0)))
    dlo, dhi = np.array(bounds[0::2]), np.array(bounds[1::2])
    lo, hi = np.maximum(lo - reach, dlo), np.minimum(hi + reach, dhi)
    if np.all(hi - lo >= 0.8 * (dhi - dlo)):
        return None
    return tuple(v for pair in zip(lo, hi) for v in pair)


def render_view(grid, name: str, samples: dict, facets, fronts, cmap: str, clim) -> np.ndarray:
    """The rendered 3D scene (RGB array) of one design, on the colour range ``clim`` (display units)."""
    factor, _ = style.display("current_density_magnitude", 3)
    pv = pyvista()
    vol = grid.copy()
    vol.points = vol.points * 1e6
    vol.cell_data["|i|"] = np.asarray(grid.cell_data[name]) * factor
    surf = _interface_surface(pv, samples, factor) if samples is not None else None
    roi = region_of_interest(vol.bounds, fronts)
    if roi is not None:  # the flaw is small: show the part of the cell around it
        vol = vol.clip_box(roi, invert=False)
        surf = surf.clip_box(roi, invert=False).extract_surface(algorithm="dataset_surface")
    if surf is not None:
        hot = surf.points[np.argmax(surf.point_data["i"])]
    else:  # no interface samples: the hottest cell, the interface drawn as the volume's bottom face
        hot = vol.cell_centers().points[np.argmax(vol.cell_data["|i|"])]
        surf = vol.extract_surface(algorithm="dataset_surface").cell_data_to_point_data()
        anode = (facets or {}).get("anode_interface")
        up = view_axes(np.asarray(anode).reshape(-1, 3))[0] if anode is not None and len(anode) else 2
        surf = surf.extract_points(surf.points[:, up] <= vol.bounds[2 * up] + 1e-6 * np.ptp(surf.points[:, up]),
                                   adjacent_cells=False).extract_surface(algorithm="dataset_surface")
        surf.point_data["i"] = surf.point_data["|i|"]
    axes = view_axes(surf.points)
    up, a, b = axes
    origin = _slice_origin(vol.bounds, hot)
    size = float(max(np.ptp(vol.points, axis=0)))
    surf.points = surf.points + 0.004 * size * np.ones(3)  # drawn over a slice in its plane (crack faces)
    plotter = pv.Plotter(off_screen=True, window_size=(1400, 1100))
    plotter.set_background("white")
    kw = dict(cmap=cmap, clim=clim, show_scalar_bar=False, lighting=False)  # unshaded: colours are values
    plotter.add_mesh(surf, scalars="i", **kw, smooth_shading=False)
    for normal in (_NORMALS[a], _NORMALS[b]):
        cut = vol.slice(normal=normal, origin=origin)
        if cut.n_points:
            plotter.add_mesh(cut, scalars="|i|", **kw, opacity=1.0)
    plotter.add_mesh(vol.outline(), color="#555555", line_width=1.5)
    plotter.add_mesh(pv.Sphere(radius=0.012 * size, center=hot), color="white")
    if facets is not None and "grain_boundary_facets" in facets and len(facets["grain_boundary_facets"]):
        level = vol.bounds[2 * up] + 0.01 * (vol.bounds[2 * up + 1] - vol.bounds[2 * up])
        for piece in _gb_lines(pv, facets["grain_boundary_facets"], origin, axes, level):
            plotter.add_mesh(piece, color="white", line_width=2.5)
    for front in fronts or []:
        line = pv.Spline(np.asarray(front) * 1e6, max(2 * len(front), 20))
        plotter.add_mesh(line.tube(radius=0.012 * max(np.ptp(vol.points, axis=0))), color=style.OKABE_ITO[3])
    draw_axes(plotter, vol.bounds)
    c = np.array(vol.center)
    eye = c + size * (1.7 * _NORMALS[a] + 1.3 * _NORMALS[up] + 2.1 * _NORMALS[b])
    plotter.camera_position = [tuple(eye), tuple(c), tuple(_NORMALS[up])]
    plotter.camera.zoom(0.94)
    img = _crop(plotter.screenshot(return_img=True))
    plotter.close()
    return img


@style.styled
def interface_view(grid, name: str, samples: dict, path: Path, *, case: str, facets=None, fronts=None,
                   percentile: float = 99.5, clim=None) -> dict:
    """The 3D view (see the module) of the cell field ``name`` of ``grid`` (SI) and the
    interface samples; written to ``path`` with its description, which is returned."""
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    q = style.quantity("current_density_magnitude")
    factor, unit = style.display(q.name, 3)
    values = np.concatenate([np.asarray(grid.cell_data[name]) * factor, samples["current_density"].ravel() * factor])
    cr = style.robust_range(values, percentile=percentile)
    if clim is not None:
        cr = style.ColourRange(float(clim[0]), float(clim[1]), cr.data_min, cr.data_max, percentile)
    img = render_view(grid, name, samples, facets, fronts, q.cmap, (cr.lo, cr.hi))
    fig, ax = plt.subplots(figsize=(6.4, 5.2), layout="compressed")
    ax.imshow(img)
    ax.set_axis_off()
    cbar_label = style.axis_label(q.name, 3, "current density")
    fig.colorbar(ScalarMappable(Normalize(cr.lo, cr.hi), q.cmap), ax=ax, extend=cr.extend, label=cbar_label,
                 shrink=0.8, pad=0.01)
    title = f"{case}: current density at the interface and in the electrolyte"
    ax.set_title(title, loc="left")
    layers = ["interface (current into the anode)", "slices through the hot spot (|i|)",
              "white sphere: maximum at the interface"]
    if facets is not None and len(facets.get("grain_boundary_facets", ())):
        layers.append("grain boundaries (white lines)")
    if fronts:
        layers.append("crack fronts (vermilion tubes)")
    caption = (f"{'; '.join(layers)}. Colour range {style.format_number(cr.lo)} to {style.format_number(cr.hi)} "
               f"{unit}; maximum {style.format_number(cr.data_max)} {unit}")
    style.caption(fig, caption)
    info = {"title": title, "case": case, "quantity": q.label, "unit": unit, "kind": "view_3d",
            "axes": {"x": _TITLES[0], "y": _TITLES[1], "z": _TITLES[2], "colour": cbar_label}, **cr.as_dict(),
            "layers": layers, "caption": caption}
    save_figure(fig, path, info)
    return info
