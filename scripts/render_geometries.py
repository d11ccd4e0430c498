"""Render one picture per geometry kind into docs/img/geometry_<name>.png (off screen).

Each geometry is built by the tool itself (``solver.geometry.driver.build_mesh``, small parameters),
converted with ``dolfinx.plot.vtk_mesh`` and drawn with pyvista, cells coloured by region
(polycrystals without a GB phase: by grain, i.e. nearest seed). Run from the repository
root (serial):

    .venv/bin/python scripts/render_geometries.py [name ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import solver  # noqa: F401  (before dolfinx)
import dolfinx.plot
import pyvista

import meshes
from meshes import MeshSettings
from solver.geometry.driver import build_mesh

pyvista.OFF_SCREEN = True
OUT = Path(__file__).resolve().parents[1] / "docs" / "img"

EXAMPLES = {
    "rough_interface_2d": dict(width="20 um", thickness="10 um",
                               profile=dict(kind="random", rms_height="0.6 um", correlation_length="3 um", seed=2),
                               contact=dict(fraction=0.8, void_size="2 um", seed=1)),
    "rough_interface_3d": dict(width="10 um", depth="10 um", thickness="6 um",
                               height_map=dict(kind="random", rms_height="0.5 um", correlation_length="2.5 um", seed=1)),
    "flaw_2d": dict(width="12 um", thickness="6 um",
                    flaws=[dict(position="3.5 um", depth="2 um", width="0.8 um", tip_radius="0.1 um"),
                           dict(position="8.5 um", depth="1.2 um", width="1.6 um", shape="semi_ellipse")]),
    "flaw_3d": dict(width="5 um", depth="5 um", thickness="4 um", pit_depth="1.5 um", pit_radius="0.6 um"),
    "profile_2d": dict(thickness="6 um"),
    "polycrystal_2d": dict(width="10 um", thickness="8 um", mean_grain_size="1 um", seed=1,
                           gb="explicit", gb_thickness="60 nm"),
    "polycrystal_2d_facets": dict(width="10 um", thickness="8 um", mean_grain_size="1.2 um", seed=1, spread=1.0),
    "polycrystal_3d": dict(width="5 um", depth="5 um", thickness="5 um", mean_grain_size="1 um", seed=1),
    "nanodomains_2d": dict(width="200 nm", thickness="150 nm", seed=1),
    "stratified_anode_2d": dict(width="8 um", li_thickness="3 um", electrolyte_thickness="3 um",
                                interphase_thickness="200 nm", graded_thickness="200 nm",
                                skeleton=dict(fraction=0.12, particle_diameter="0.5 um", seed=1),
                                profile=dict(kind="sinusoids", modes=[dict(amplitude="0.3 um", wavelength="4 um")])),
    "trench_2d": dict(),
}

COLOURS = {
    "electrolyte": "#9ecae1", "grains": "#fdd0a2", "grain_boundaries": "#d94801", "interphase": "#74c476",
    "interphase_graded": "#c7e9c0", "li_metal": "#bdbdbd", "skeleton": "#636363",
}


def render(key: str) -> Path:
    name = key.removesuffix("_facets")
    p = meshes.get(name).parameters(**EXAMPLES[key])
    tm = build_mesh(name, p, MeshSettings())
    msh = tm.mesh
    tdim = msh.topology.dim
    grid = pyvista.UnstructuredGrid(*dolfinx.plot.vtk_mesh(msh, tdim))
    n = msh.topology.index_map(tdim).size_local
    region = np.full(n, -1)
    region[tm.cell_tags.indices] = tm.cell_tags.values
    if name == "flaw_3d":  # cut through the pit axis to show the pit and its refinement
        tip = tm.metadata["flaws"][0]["tip"]
        grid.cell_data["region"] = region
        grid = grid.clip(normal="y", origin=(tip[0], tip[1], 0.0), crinkle=True)
        region = np.asarray(grid.cell_data["region"])
    names = {t: r for r, t in tm.regions.items()}
    plotter = pyvista.Plotter(off_screen=True, window_size=(1000, 800))
    seeds = tm.metadata.get("seeds_m")
    if set(tm.regions) == {"grains"} and seeds:
        from scipy.spatial import cKDTree

        centres = grid.cell_centers().points[:, :tdim]
        grain = cKDTree(np.asarray(seeds)).query(centres)[1]
        rng = np.random.default_rng(0)
        grid.cell_data["grain"] = rng.permutation(grain.max() + 1)[grain]
        plotter.add_mesh(grid, scalars="grain", cmap="tab20", show_edges=tdim == 2, edge_color="#555555",
                         line_width=0.3, show_scalar_bar=False)
    else:
        for tag, rname in sorted(names.items()):
            part = grid.extract_cells(np.flatnonzero(region == tag))
            plotter.add_mesh(part, color=COLOURS.get(rname, "white"), show_edges=True, edge_color="#555555",
                             line_width=0.2, label=rname, lighting=tdim == 3)
        x = 20
        for tag, rname in sorted(names.items()):  # a one-line legend along the bottom edge
            plotter.add_text(f"\u25a0 {rname}", position=(x, 12), font_size=12, color=COLOURS.get(rname, "black"))
            x += 14 * (len(rname) + 4)
    if tdim == 2:
        plotter.view_xy()
        plotter.camera.zoom(1.15)
    else:
        plotter.camera_position = "iso"
        plotter.camera.elevation = -25 if name in ("rough_interface_3d", "flaw_3d") else 0
    plotter.add_text(f"{key}  ({tm.statistics['cells']} cells)", font_size=12)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"geometry_{key}.png"
    plotter.screenshot(str(path))
    plotter.close()
    return path


def main(argv: list[str]) -> None:
    for key in argv or list(EXAMPLES):
        print(render(key))


if __name__ == "__main__":
    main(sys.argv[1:])
